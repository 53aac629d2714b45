import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WAL_FILE } from '../../src/wal/sqlite-wal.js';
import { appendRound, openTestWal, readAll, recordingCounters } from '../helpers/wal-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

const T0 = 1_700_000_000_000;

/**
 * A skip reason when this process cannot mount the full-disk test's tmpfs (it is not root), except
 * under CI=true, where the test must fail rather than hide it.
 */
function tmpfsSkip(): string | false {
  if (process.env.CI === 'true' || process.getuid?.() === 0) return false;
  return 'mounting a tmpfs needs root (run npm test as root, as CI does)';
}

/** Writes a closed WAL with `rounds` commits of 500 noisy samples (noise keeps the file large). */
function populate(dir: string, rounds: number): void {
  const wal = openTestWal(dir);
  for (let r = 0; r < rounds; r++) appendRound(wal, 500, T0 + r * 1000, () => Math.random());
  wal.close();
}

function asideFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.corrupt-') && !n.endsWith('-wal') && !n.endsWith('-shm'));
}

describe('WAL damage and full disk', () => {
  it('starts a fresh WAL when the file was truncated, keeps the old one aside and counts the loss', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    populate(dir.path, 40);
    const file = join(dir.path, WAL_FILE);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const counters = recordingCounters();
    const wal = openTestWal(dir.path, { counters });
    assert.equal(asideFiles(dir.path).length, 1);
    assert.equal(counters.dropped.corruption, 40 * 500);
    appendRound(wal, 3, T0, () => 1);
    assert.equal(readAll(wal, wal.consumer('c')).length, 3, 'the fresh WAL works');
    wal.close();
  });

  it('starts a fresh WAL when page headers are overwritten, keeping the damaged file', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    populate(dir.path, 40);
    const file = join(dir.path, WAL_FILE);
    const pageSize = 4096;
    const pages = Math.floor(statSync(file).size / pageSize);
    const fd = openSync(file, 'r+');
    for (let p = Math.floor(pages / 2); p < pages; p += 3) writeSync(fd, Buffer.alloc(8, 0xa5), 0, 8, p * pageSize);
    closeSync(fd);
    const counters = recordingCounters();
    const wal = openTestWal(dir.path, { counters });
    const aside = asideFiles(dir.path);
    assert.equal(aside.length, 1);
    const kept = Buffer.alloc(16);
    const afd = openSync(join(dir.path, aside[0]!), 'r');
    readSync(afd, kept, 0, 16, 0);
    closeSync(afd);
    assert.equal(kept.toString('latin1'), 'SQLite format 3\0', 'the damaged file is kept for inspection');
    assert.ok(counters.dropped.corruption > 0);
    assert.equal(readAll(wal, wal.consumer('c')).length, 0);
    wal.close();
  });

  it('drops and counts a segment whose chunk fails its checksum, and reads on past it', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    populate(dir.path, 3); // one segment of three chunks
    let wal = openTestWal(dir.path);
    appendRound(wal, 500, T0 + 10_000, () => 7); // a new segment starts at every open
    wal.close();
    const db = new Database(join(dir.path, WAL_FILE));
    const row = db.prepare('SELECT id, data FROM chunks ORDER BY id LIMIT 1').get() as { id: number; data: Buffer };
    row.data[Math.floor(row.data.length / 2)] ^= 0xff;
    db.prepare('UPDATE chunks SET data = ? WHERE id = ?').run(row.data, row.id);
    db.close();
    const counters = recordingCounters();
    wal = openTestWal(dir.path, { counters });
    const samples = readAll(wal, wal.consumer('c'));
    assert.equal(counters.dropped.corruption, 3 * 500, 'the whole damaged segment, counted once');
    assert.equal(samples.length, 500, 'the next segment is still delivered');
    assert.ok(samples.every((s) => s.v === 7));
    wal.close();
  });

  it('keeps committing when another writer fills the disk, truncating the oldest data and counting it', { skip: tmpfsSkip() }, (t) => {
    const dir = tempDir();
    // A real 8 MiB filesystem. The WAL's budget is far larger, so only the disk limits it.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir.path]);
    t.after(() => {
      execFileSync('umount', ['-l', dir.path]);
      dir.remove();
    });
    const counters = recordingCounters();
    const wal = openTestWal(dir.path, { counters, maxBytes: 512 * 1024 * 1024 });
    let appended = 0;
    let failures = 0;
    const round = (r: number): void => {
      for (let i = 0; i < 500; i++) wal.append(wal.seriesRef([{ name: '__name__', value: 'm' }, { name: 'i', value: String(i) }]), T0 + r * 1000, Math.random());
      appended += 500;
      if (wal.commit().error) failures++;
    };
    for (let r = 0; r < 300; r++) round(r);
    assert.equal(counters.dropped.disk_budget + failures, 0, 'the budget shrinks to the free space; no data dropped yet');
    // Another process takes every byte left.
    const filler = openSync(join(dir.path, 'filler'), 'w');
    try {
      for (;;) writeSync(filler, Buffer.alloc(64 * 1024));
    } catch (error) {
      assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      closeSync(filler);
    }
    for (let r = 300; r < 400; r++) round(r);
    const kept = readAll(wal, wal.consumer('c')).length;
    const pending = wal.stats().pendingSamples;
    assert.ok(counters.dropped.disk_budget > 0, 'the full disk forced truncation');
    assert.equal(kept + counters.dropped.disk_budget + pending, appended, 'every sample is kept, pending, or counted');
    assert.ok(failures < 5, `${failures} commits failed`);
    wal.close();
  });
});
