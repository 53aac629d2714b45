import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../lib/log.js';

/** A WAL database as `openWalDatabase` leaves it: schema in place, pragmas set. */
export type WalDatabase = Database.Database;

/** What an open found when the previous file failed its check. */
export interface CorruptionRecovery {
  /** Where the damaged files were moved. */
  asidePath: string;
  /** Samples the damaged file held by its own bookkeeping, or 0 when even that was unreadable. */
  lostSamples: number;
  problem: string;
}

/** Sizes that bound the database's own files (see sqlite-wal.ts on the disk budget). */
export interface DatabaseLimits {
  /** Bytes the SQLite journal (-wal file) may grow to between checkpoints. */
  journalBytes: number;
}

const SCHEMA_VERSION = 3;

/**
 * Tables added after schema version 3 that older code ignores: a database without one gains it at
 * open, and the version stays, so going back to an older release keeps the WAL instead of moving
 * it aside as an unknown schema. A change older code would misread still needs a new version.
 */
const ADDED_TABLES: ReadonlyArray<{ name: string; sql: string }> = [
  // Metric metadata by family (metadata-store.ts): a few hundred short rows, rewritten only on change.
  { name: 'metadata', sql: 'CREATE TABLE metadata (family TEXT PRIMARY KEY, type TEXT NOT NULL, help TEXT NOT NULL, unit TEXT NOT NULL) WITHOUT ROWID;' },
];

// auto_vacuum must be set before the first table exists; INCREMENTAL lets truncation hand freed
// pages back to the filesystem in small steps instead of a full VACUUM (which needs 2x space).
const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
  CREATE TABLE series (ref INTEGER PRIMARY KEY, labels TEXT NOT NULL);
  CREATE TABLE segment_series (segment INTEGER PRIMARY KEY, refs BLOB NOT NULL);
  CREATE TABLE segments (
    id INTEGER PRIMARY KEY, started_ms INTEGER NOT NULL, last_commit_ms INTEGER NOT NULL,
    first_chunk INTEGER NOT NULL, last_chunk INTEGER NOT NULL, samples INTEGER NOT NULL,
    bytes INTEGER NOT NULL, min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL);
  CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, segment INTEGER NOT NULL, samples INTEGER NOT NULL, committed_ms INTEGER NOT NULL,
    min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL, data BLOB NOT NULL);
  CREATE TABLE cursors (name TEXT PRIMARY KEY, chunk INTEGER NOT NULL, offset INTEGER NOT NULL) WITHOUT ROWID;
` + ADDED_TABLES.map((t) => t.sql).join('\n');

/**
 * Opens (or creates) the WAL database at `path`. A file that SQLite cannot read or whose
 * `quick_check` fails is moved aside with its journal (the last such copy is kept for inspection,
 * older ones removed so repeated damage cannot fill the disk) and a fresh database is created.
 * Other failures (permissions, a missing directory) throw.
 */
export function openWalDatabase(path: string, limits: DatabaseLimits, log: Logger): { db: WalDatabase; recovery?: CorruptionRecovery } {
  try {
    return { db: openChecked(path, limits) };
  } catch (error) {
    if (!isCorruption(error)) throw new Error('cannot open WAL at ' + path, { cause: error });
    const problem = error instanceof Error ? error.message : String(error);
    const asidePath = moveAside(path);
    const lostSamples = countSamplesBestEffort(asidePath);
    log.error({ path, asidePath, problem, lostSamples }, 'WAL database failed its check at open; moved it aside and started a fresh one');
    return { db: openChecked(path, limits), recovery: { asidePath, lostSamples, problem } };
  }
}

class CorruptDatabaseError extends Error {}

function openChecked(path: string, limits: DatabaseLimits): WalDatabase {
  const db = new Database(path);
  try {
    const fresh = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    if (fresh.n === 0) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    // NORMAL: SQLite syncs around checkpoints only; each commit is made durable by JournalSync's
    // fdatasync of the journal, so a power cut still loses at most the open batch.
    db.pragma('synchronous = NORMAL');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`wal_autocheckpoint = ${Math.max(16, Math.floor(limits.journalBytes / pageSize))}`);
    db.pragma(`journal_size_limit = ${limits.journalBytes}`);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new CorruptDatabaseError(`quick_check: ${String(check)}`);
    if (fresh.n === 0) {
      // One transaction, so a kill during creation leaves no half-made schema behind.
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('next_ref', 1)").run(SCHEMA_VERSION);
      })();
    } else {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: number } | undefined;
      if (row?.value !== SCHEMA_VERSION) throw new CorruptDatabaseError(`unexpected schema version ${String(row?.value)}`);
      addMissingTables(db);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Creates the `ADDED_TABLES` a database written by older code lacks; no write when none is missing. */
function addMissingTables(db: WalDatabase): void {
  const has = db.prepare<[string]>("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  const missing = ADDED_TABLES.filter((t) => has.get(t.name) === undefined);
  if (missing.length > 0) db.transaction(() => { for (const t of missing) db.exec(t.sql); })();
}

function isCorruption(error: unknown): boolean {
  if (error instanceof CorruptDatabaseError) return true;
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

/**
 * Reads how many samples the damaged file's segments table lists. A file cut short fails every
 * query while its header claims the old length, so the second try sets the header's page count
 * to what the file really holds (bytes 28-31; a change only to the copy kept aside).
 */
function countSamplesBestEffort(path: string): number {
  const count = (): number => {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT coalesce(sum(samples), 0) AS n FROM segments').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  try {
    return count();
  } catch {
    try {
      const header = Buffer.alloc(4);
      const fd = openSync(path, 'r+');
      try {
        readSync(fd, header, 0, 2, 16);
        const pageSize = header.readUInt16BE(0) === 1 ? 65536 : header.readUInt16BE(0);
        header.writeUInt32BE(Math.floor(fstatSync(fd).size / pageSize));
        writeSync(fd, header, 0, 4, 28);
      } finally {
        closeSync(fd);
      }
      return count();
    } catch {
      return 0;
    }
  }
}

/** Moves `path` and its -wal/-shm files to `<path>.corrupt-<time>`; returns the new db path. */
function moveAside(path: string): string {
  const dir = dirname(path);
  const base = basename(path);
  for (const name of readdirSync(dir)) {
    if (name.startsWith(base + '.corrupt-')) rmSync(join(dir, name), { force: true });
  }
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  return aside;
}
