import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createManualClock } from '../../../src/lib/clock.js';
import { appendRound, openTestWal, readAll, recordingCounters, seriesLabels } from '../../helpers/wal-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** Disk usage of a directory as `du` counts it (allocated blocks). */
function du(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).blocks * 512;
  return total;
}

const T0 = 1_700_000_000_000;
const MiB = 1024 * 1024;

describe('WAL contract', () => {
  it('returns committed samples oldest first with their labels, and nothing uncommitted', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    appendRound(wal, 3, T0, (i) => i + 0.5);
    wal.append(wal.seriesRef(seriesLabels(0)), T0 + 1000, 99);
    const samples = readAll(wal, wal.consumer('a'));
    assert.deepEqual(samples, [
      { labels: '__name__=test_metric,i=0', t: T0, v: 0.5 },
      { labels: '__name__=test_metric,i=1', t: T0, v: 1.5 },
      { labels: '__name__=test_metric,i=2', t: T0, v: 2.5 },
    ]);
    wal.commit();
    assert.deepEqual(readAll(wal, wal.consumer('a')), [{ labels: '__name__=test_metric,i=0', t: T0 + 1000, v: 99 }]);
    wal.close();
  });

  it('resumes each consumer at its acked cursor after a reopen, and starts a new one at the oldest data', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    let wal = openTestWal(dir.path);
    for (let r = 0; r < 5; r++) appendRound(wal, 4, T0 + r * 1000, () => r);
    const a = wal.consumer('a');
    const first = a.read(6)!;
    a.ack(first.end);
    a.read(3); // read but never acked: must be read again after the reopen
    wal.close();

    wal = openTestWal(dir.path);
    const rest = readAll(wal, wal.consumer('a'));
    assert.equal(rest.length, 20 - 6);
    assert.deepEqual(rest[0], { labels: '__name__=test_metric,i=2', t: T0 + 1000, v: 1 });
    assert.equal(readAll(wal, wal.consumer('b')).length, 20);
    wal.close();
  });

  it('bounds a read by samples and by stored bytes', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    for (let r = 0; r < 10; r++) appendRound(wal, 100, T0 + r * 1000, () => Math.random());
    const c = wal.consumer('a');
    assert.equal(c.read(250)!.count, 250);
    const small = c.read(10_000, 1)!;
    assert.ok(small.count >= 1 && small.count <= 100, `got ${small.count}`);
    wal.close();
  });

  it('rewind re-reads exactly what was not acked', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    for (let r = 0; r < 3; r++) appendRound(wal, 5, T0 + r * 1000, (i) => r * 10 + i);
    const c = wal.consumer('a');
    const b1 = c.read(7)!;
    c.ack(b1.end);
    const unacked = readAll(wal, c);
    c.rewind();
    assert.deepEqual(readAll(wal, c), unacked);
    wal.close();
  });

  it('truncates segments delivered to every consumer, and keeps what a slower consumer still needs', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const clock = createManualClock(T0);
    const wal = openTestWal(dir.path, { clock, segmentDurationMs: 60_000 });
    const fast = wal.consumer('fast');
    const slow = wal.consumer('slow');
    for (let r = 0; r < 6; r++) {
      appendRound(wal, 10, T0 + r * 30_000, () => r);
      clock.advance(30_000);
    }
    assert.equal(wal.stats().segments, 3);
    readAll(wal, fast, true);
    wal.truncate();
    assert.equal(wal.stats().segments, 3, 'the slow consumer has not acked anything');
    const b = slow.read(25)!; // two full segments and part of the third
    slow.ack(b.end);
    wal.truncate();
    assert.equal(wal.stats().segments, 2, 'only the first, fully delivered closed segment goes');
    assert.equal(readAll(wal, slow).length, 35);
    assert.deepEqual(wal.stats().dropped, { retention: 0, disk_budget: 0, corruption: 0 });
    wal.close();
  });

  it('keeps everything in offline mode (no consumers) until retention, then drops and counts it', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const clock = createManualClock(T0);
    const counters = recordingCounters();
    const wal = openTestWal(dir.path, { clock, counters, segmentDurationMs: 60_000, retentionMs: 3_600_000 });
    for (let r = 0; r < 4; r++) {
      appendRound(wal, 10, clock.now(), () => r);
      clock.advance(60_000);
    }
    assert.equal(wal.stats().segments, 4);
    clock.advance(3_600_000 - 2 * 60_000);
    wal.commit();
    assert.equal(counters.dropped.retention, 20, 'the two segments last written over an hour ago');
    assert.equal(wal.stats().segments, 2);
    assert.equal(readAll(wal, wal.consumer('late')).length, 20);
    wal.close();
  });

  it('counts as dropped only the part of a segment a consumer had not acked', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const clock = createManualClock(T0);
    const counters = recordingCounters();
    const wal = openTestWal(dir.path, { clock, counters, segmentDurationMs: 60_000, retentionMs: 120_000 });
    const c = wal.consumer('c');
    appendRound(wal, 10, T0, () => 1);
    appendRound(wal, 10, T0 + 1000, () => 2);
    c.ack(c.read(15)!.end);
    clock.advance(60_000);
    appendRound(wal, 10, clock.now(), () => 3);
    clock.advance(121_000);
    wal.truncate();
    assert.equal(counters.dropped.retention, 5 + 10);
    wal.close();
  });

  it('collects series that no remaining segment holds, and says so through the series generation', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const clock = createManualClock(T0);
    let wal = openTestWal(dir.path, { clock, segmentDurationMs: 60_000 });
    const c = wal.consumer('c');
    const gone = wal.seriesRef(seriesLabels(1, 'gone'));
    wal.append(gone, T0, 1);
    wal.commit();
    const generation = wal.seriesGeneration();
    clock.advance(60_000);
    appendRound(wal, 2, clock.now(), () => 2);
    assert.equal(wal.seriesGeneration(), generation, 'commits that collect nothing keep refs valid');
    readAll(wal, c, true);
    wal.truncate();
    assert.equal(wal.stats().series, 2);
    assert.notEqual(wal.seriesGeneration(), generation, 'collection ages the refs held by inputs');
    assert.throws(() => wal.append(gone, clock.now(), 1), /unknown series ref/);
    wal.close();
    wal = openTestWal(dir.path, { clock });
    assert.equal(wal.stats().series, 2, 'the collected series stays gone after a reopen');
    wal.close();
  });

  it('refuses new series past the cardinality cap while existing series keep flowing', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const counters = recordingCounters();
    const wal = openTestWal(dir.path, { counters, maxSeries: 3 });
    const refs = [0, 1, 2, 3, 4].map((i) => wal.seriesRef(seriesLabels(i)));
    assert.deepEqual(refs.map((r) => r > 0), [true, true, true, false, false]);
    assert.equal(counters.seriesLimited, 2);
    wal.append(refs[0]!, T0, 1);
    wal.commit();
    assert.equal(readAll(wal, wal.consumer('c')).length, 1);
    wal.close();
  });

  it('runs afterCommit callbacks only once their samples are durable', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    const calls: string[] = [];
    wal.append(wal.seriesRef(seriesLabels(0)), T0, 1);
    wal.afterCommit(() => calls.push('acked'));
    assert.deepEqual(calls, []);
    wal.commit();
    assert.deepEqual(calls, ['acked']);
    wal.close();
  });

  it('keeps the data directory within the disk budget plus 1 MiB while ten times the budget is appended', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const counters = recordingCounters();
    const budget = 2 * MiB;
    const wal = openTestWal(dir.path, { counters, maxBytes: budget });
    let written = 0;
    let peak = 0;
    let round = 0;
    while (written < 10 * budget) {
      // Noisy values do not compress: about 9 bytes a sample, so the budget fills quickly.
      appendRound(wal, 2000, T0 + round * 1000, () => Math.random());
      written += 2000 * 9;
      round++;
      peak = Math.max(peak, du(dir.path));
    }
    assert.ok(peak <= budget + MiB, `peak ${peak} bytes`);
    assert.ok(counters.dropped.disk_budget > 0, 'drops over the budget are counted');
    const kept = readAll(wal, wal.consumer('c')).length;
    assert.ok(kept > 0 && kept + counters.dropped.disk_budget === round * 2000, 'every sample is either kept or counted');
    wal.close();
  });
});
