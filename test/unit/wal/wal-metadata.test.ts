import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createManualClock } from '../../../src/lib/clock.js';
import { metricMetadata } from '../../../src/model/metadata.js';
import type { WalDatabase } from '../../../src/wal/database.js';
import { MetadataStore } from '../../../src/wal/metadata-store.js';
import { WAL_FILE } from '../../../src/wal/sqlite-wal.js';
import { appendRound, openTestWal, readAll, seriesLabels } from '../../helpers/wal-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

const T0 = 1_700_000_000_000;
const COUNTER = metricMetadata('counter', 'Requests served.', 'requests');
const GAUGE = metricMetadata('gauge', 'Temperature of the room.\nIn \\ degrees.', 'celsius');

/**
 * A second connection to the WAL's database: `changed()` says whether another connection committed
 * anything since the last call (SQLite's data_version), `rows()` reads the metadata table.
 */
function observe(dir: string) {
  const db = new Database(join(dir, WAL_FILE), { readonly: true });
  let version = db.pragma('data_version', { simple: true }) as number;
  return {
    changed(): boolean {
      const now = db.pragma('data_version', { simple: true }) as number;
      const changed = now !== version;
      version = now;
      return changed;
    },
    rows: () => db.prepare('SELECT family, type, help, unit FROM metadata ORDER BY family').all(),
    close: () => db.close(),
  };
}

describe('WAL metadata', () => {
  it('keeps metric metadata across a reopen', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    let wal = openTestWal(dir.path);
    wal.setMetadata('http_requests_total', COUNTER);
    wal.setMetadata('room_temp', GAUGE);
    appendRound(wal, 1, T0, () => 1);
    wal.close();

    wal = openTestWal(dir.path);
    assert.deepEqual(wal.metadata('http_requests_total'), COUNTER);
    assert.deepEqual(wal.metadata('room_temp'), GAUGE);
    assert.equal(wal.metadata('absent'), undefined);
    assert.deepEqual([...wal.metadataFamilies().keys()].sort(), ['http_requests_total', 'room_temp']);
    wal.close();
  });

  it('writes metadata with the next commit, not before, and shows it only once committed', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    const db = observe(dir.path);
    t.after(db.close);
    wal.setMetadata('room_temp', GAUGE);
    wal.append(wal.seriesRef(seriesLabels(0, 'room_temp')), T0, 21);
    assert.equal(wal.metadata('room_temp'), undefined, 'not visible before the commit');
    assert.equal(db.changed(), false, 'nothing written before the commit');
    wal.commit();
    assert.deepEqual(wal.metadata('room_temp'), GAUGE);
    assert.equal(db.changed(), true);
    assert.deepEqual(db.rows(), [{ family: 'room_temp', type: 'gauge', help: GAUGE.help, unit: 'celsius' }]);
    wal.close();
  });

  it('writes nothing when metadata is restated unchanged, and a change once however often it is stated', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    const db = observe(dir.path);
    t.after(db.close);
    wal.setMetadata('room_temp', GAUGE);
    wal.commit();
    assert.equal(db.changed(), true, 'metadata without samples is committed on its own');

    for (let i = 0; i < 1000; i++) wal.setMetadata('room_temp', metricMetadata('gauge', GAUGE.help, GAUGE.unit));
    wal.commit();
    assert.equal(db.changed(), false, 'an equal entry, even a different object, is no change');

    for (let i = 0; i < 1000; i++) wal.setMetadata('room_temp', metricMetadata('gauge', `help ${i}`));
    assert.deepEqual(wal.metadata('room_temp'), GAUGE, 'the committed entry until the next commit');
    wal.commit();
    assert.equal(db.changed(), true);
    assert.deepEqual(db.rows(), [{ family: 'room_temp', type: 'gauge', help: 'help 999', unit: '' }], 'one row, the last value stated');
    wal.close();
  });

  it('keeps a caller from changing a stored entry through the object it passed', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    const mutable = { type: 'counter' as const, help: 'before', unit: '' };
    wal.setMetadata('x_total', mutable);
    wal.commit();
    mutable.help = 'after';
    assert.equal(wal.metadata('x_total')?.help, 'before');
    wal.close();
  });

  it('opens a database written before the metadata table existed and adds the table', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    let wal = openTestWal(dir.path);
    appendRound(wal, 3, T0, (i) => i);
    wal.close();
    // The database as the release before metadata left it: the same schema without the table.
    const old = new Database(join(dir.path, WAL_FILE));
    old.exec('DROP TABLE metadata');
    old.close();

    wal = openTestWal(dir.path);
    assert.equal(readAll(wal, wal.consumer('c')).length, 3, 'no data lost, nothing moved aside');
    assert.equal(wal.metadataFamilies().size, 0);
    wal.setMetadata('test_metric', GAUGE);
    wal.commit();
    wal.close();
    wal = openTestWal(dir.path);
    assert.deepEqual(wal.metadata('test_metric'), GAUGE);
    wal.close();
  });

  it('forgets the metadata of a family once its last series is collected, and bumps the series generation', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const clock = createManualClock(T0);
    let wal = openTestWal(dir.path, { clock, segmentDurationMs: 60_000 });
    const c = wal.consumer('c');
    wal.setMetadata('gone', GAUGE);
    wal.setMetadata('kept_seconds', metricMetadata('histogram', 'Kept.'));
    wal.append(wal.seriesRef(seriesLabels(1, 'gone')), T0, 1);
    wal.append(wal.seriesRef(seriesLabels(1, 'kept_seconds_bucket')), T0, 1);
    wal.commit();
    const generation = wal.seriesGeneration();
    clock.advance(60_000);
    // Only the histogram keeps being written: the family resolves through its `_bucket` series.
    wal.append(wal.seriesRef(seriesLabels(1, 'kept_seconds_bucket')), clock.now(), 2);
    wal.commit();
    readAll(wal, c, true);
    wal.truncate();
    assert.notEqual(wal.seriesGeneration(), generation);
    assert.equal(wal.metadata('gone'), undefined);
    assert.equal(wal.metadata('kept_seconds')?.type, 'histogram');
    wal.close();
    wal = openTestWal(dir.path, { clock });
    assert.deepEqual([...wal.metadataFamilies().keys()], ['kept_seconds'], 'the forgotten row is gone from disk too');
    wal.close();
  });
});

describe('MetadataStore', () => {
  /** A database whose statements only count the writes they are asked to run. */
  function countingDb() {
    const runs: unknown[][] = [];
    const db = { prepare: () => ({ run: (...args: unknown[]) => runs.push(args), iterate: () => [] }) };
    return { db: db as unknown as WalDatabase, runs };
  }

  it('runs one write per changed family at commit, however many times it was stated', () => {
    const { db, runs } = countingDb();
    const store = new MetadataStore(db);
    for (let i = 0; i < 100; i++) {
      store.set('a_total', metricMetadata('counter', `help ${i}`));
      store.set('b', GAUGE);
    }
    assert.equal(runs.length, 0, 'no write before the commit');
    store.write();
    store.persisted();
    assert.deepEqual(runs, [['a_total', 'counter', 'help 99', ''], ['b', 'gauge', GAUGE.help, 'celsius']]);
    store.set('b', GAUGE);
    assert.equal(store.hasPending(), false, 'an unchanged entry waits for nothing');
  });

  it('refuses a type that is not a metric type', () => {
    const store = new MetadataStore(countingDb().db);
    assert.throws(() => store.set('x', { type: 'untyped' as never, help: '', unit: '' }), /invalid type/);
  });
});
