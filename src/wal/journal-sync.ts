import { closeSync, fdatasyncSync, openSync } from 'node:fs';

/**
 * Makes committed transactions durable: one fdatasync of SQLite's journal (the `-wal` file) after
 * each commit. The database runs with synchronous=NORMAL, under which SQLite syncs only around
 * checkpoints, and this takes the place of its per-commit sync. SQLite's own sync is fsync (the
 * build has no fdatasync), and fsync also writes the file's changed mtime: on ext4 a journal commit
 * of several blocks and a second device flush for every commit, the largest share of what reached
 * an SD card. fdatasync skips the mtime once the journal stops growing and is rewritten in place.
 * A power cut then loses what a cut during the fsync would: the transactions not yet synced.
 */
export class JournalSync {
  private fd: number | null = null;
  private unsynced = false;

  /** `journalPath` is the database's `-wal` file, which exists once the database is open in WAL mode. */
  constructor(private readonly journalPath: string) {}

  /** Notes a committed write transaction that the next `sync` must make durable. */
  written(): void {
    this.unsynced = true;
  }

  /** Makes every write transaction committed so far durable; no device write when there was none. */
  sync(): void {
    if (!this.unsynced) return;
    // Opened for writing because some platforms refuse to flush a read-only descriptor.
    this.fd ??= openSync(this.journalPath, 'r+');
    fdatasyncSync(this.fd);
    this.unsynced = false;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
