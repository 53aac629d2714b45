import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createManualClock } from '../../../src/lib/clock.js';
import { WAL_FILE } from '../../../src/wal/sqlite-wal.js';
import type { Wal } from '../../../src/wal/wal.js';
import { appendRound, openTestWal } from '../../helpers/wal-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

const MiB = 1024 * 1024;
// A 64 MiB budget keeps up to 4 MiB of freed pages (its journal size) for reuse.
const BUDGET = 64 * MiB;
const KEPT = 4 * MiB;
const SEGMENT_MS = 60_000;

/** Pages of the database as a second connection sees them (committed state, journal included). */
function pages(dir: string): { totalBytes: number; freeBytes: number } {
  const db = new Database(join(dir, WAL_FILE), { readonly: true });
  try {
    const size = db.pragma('page_size', { simple: true }) as number;
    return { totalBytes: (db.pragma('page_count', { simple: true }) as number) * size, freeBytes: (db.pragma('freelist_count', { simple: true }) as number) * size };
  } finally {
    db.close();
  }
}

/** Fills one segment with about `bytes` of chunks (random values barely compress), then starts the next. */
function fillSegment(wal: Wal, clock: ReturnType<typeof createManualClock>, bytes: number): void {
  // About 8 bytes a random sample once encoded.
  const rounds = Math.ceil(bytes / 8 / 1000);
  for (let r = 0; r < rounds; r++) {
    appendRound(wal, 1000, clock.now(), () => Math.random());
    clock.advance(SEGMENT_MS / rounds / 2);
  }
  clock.advance(SEGMENT_MS);
}

function deliverAll(wal: Wal): void {
  const c = wal.consumer('c');
  let end;
  for (let b = c.read(100_000); b !== null; b = c.read(100_000)) end = b.end;
  if (end) c.ack(end);
}

/**
 * A WAL under the 64 MiB budget with one consumer, in a directory removed after the test: `fill`
 * writes a segment, `deliver` acks everything and starts the next segment (which truncates the
 * delivered ones), `pages` is the file as a second connection sees it.
 */
function budgetWal(t: TestContext): { fill(bytes: number): void; deliver(): void; pages(): { totalBytes: number; freeBytes: number } } {
  const dir = tempDir();
  t.after(dir.remove);
  const clock = createManualClock(1_700_000_000_000);
  const wal = openTestWal(dir.path, { clock, maxBytes: BUDGET, segmentDurationMs: SEGMENT_MS, consumers: ['c'] });
  t.after(() => wal.close());
  return {
    fill: (bytes) => fillSegment(wal, clock, bytes),
    deliver: () => {
      deliverAll(wal);
      appendRound(wal, 1000, clock.now(), () => Math.random());
    },
    pages: () => pages(dir.path),
  };
}

describe('WAL free pages', () => {
  it('keeps the pages of a small delivered segment and reuses them for the next ones, so steady delivery does not grow the file', (t) => {
    const wal = budgetWal(t);
    wal.fill(MiB);
    wal.deliver();
    const afterFirst = wal.pages();
    assert.ok(afterFirst.freeBytes > 0.8 * MiB, `the delivered segment's pages stay in the file for reuse (${afterFirst.freeBytes} bytes free)`);
    for (let i = 0; i < 4; i++) {
      wal.fill(MiB);
      wal.deliver();
    }
    const afterFive = wal.pages();
    assert.ok(afterFive.totalBytes < afterFirst.totalBytes + 0.5 * MiB,
      `four more segments of 1 MiB fit in the freed pages: ${afterFirst.totalBytes} bytes after the first, ${afterFive.totalBytes} after five`);
  });

  it('hands freed pages beyond a journal\'s worth back to the filesystem once a large backlog is delivered', (t) => {
    const wal = budgetWal(t);
    wal.fill(12 * MiB);
    const before = wal.pages();
    wal.deliver();
    const after = wal.pages();
    assert.ok(before.totalBytes > 10 * MiB, `the backlog took ${before.totalBytes} bytes`);
    assert.ok(after.freeBytes <= KEPT, `at most a journal's worth of free pages is kept (${after.freeBytes} bytes)`);
    assert.ok(after.totalBytes < 2 * MiB, `the file shrank from ${before.totalBytes} to ${after.totalBytes} bytes`);
  });
});
