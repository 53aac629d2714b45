import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeRefSet } from '../../../src/wal/encoding.js';
import { WAL_FILE } from '../../../src/wal/sqlite-wal.js';
import { appendRound, openTestWal, readAll } from '../../helpers/wal-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

const T0 = 1_700_000_000_000;

/** The stored series set of every segment, as refs (duplicates kept, as `decodeRefSet` returns them). */
function storedSeriesSets(dir: string): number[][] {
  const db = new Database(join(dir, WAL_FILE), { readonly: true });
  try {
    const rows = db.prepare('SELECT refs FROM segment_series ORDER BY segment').all() as Array<{ refs: Buffer }>;
    return rows.map((row) => [...decodeRefSet(row.refs)]);
  } finally {
    db.close();
  }
}

describe('WAL reopen after a crash', () => {
  it('keeps each series of the segment left open once, however many commits wrote it', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    // Never closed: the process "died" with its segment open, which the next open recovers.
    const crashed = openTestWal(dir.path);
    for (let r = 0; r < 20; r++) appendRound(crashed, 5, T0 + r * 1000, () => r);

    const wal = openTestWal(dir.path);
    t.after(() => wal.close());
    const sets = storedSeriesSets(dir.path);
    assert.equal(sets.length, 1);
    assert.deepEqual(sets[0], [1, 2, 3, 4, 5], 'five series, each once, not once per commit');
    assert.equal(readAll(wal, wal.consumer('a')).length, 20 * 5, 'and every sample is still there');
  });
});
