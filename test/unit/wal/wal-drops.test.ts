import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../../src/lib/clock.js';
import type { DropReason } from '../../../src/wal/wal.js';
import { appendRound, openTestWal, recordingCounters } from '../../helpers/wal-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

const T0 = 1_700_000_000_000;

describe('WAL onDrop hook', () => {
  it('reports each undelivered drop with its sample-time range, after counting it', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const clock = createManualClock(T0);
    const counters = recordingCounters();
    const drops: Array<{ reason: DropReason; samples: number; fromMs: number | null; toMs: number | null; counted: number }> = [];
    const wal = openTestWal(dir.path, {
      clock, counters, segmentDurationMs: 60_000, retentionMs: 120_000,
      onDrop: (reason, samples, fromMs, toMs) => drops.push({ reason, samples, fromMs, toMs, counted: counters.dropped[reason] }),
    });
    const c = wal.consumer('c');
    appendRound(wal, 10, T0 - 5000, () => 1);
    appendRound(wal, 10, T0 - 4000, () => 2);
    c.ack(c.read(15)!.end); // half of the second commit is still undelivered
    clock.advance(60_000);
    appendRound(wal, 10, clock.now(), () => 3);
    clock.advance(121_000);
    wal.truncate();
    wal.close();
    assert.deepEqual(drops, [
      { reason: 'retention', samples: 5, fromMs: T0 - 4000, toMs: T0 - 4000, counted: 5 },
      { reason: 'retention', samples: 10, fromMs: T0 + 60_000, toMs: T0 + 60_000, counted: 15 },
    ]);
  });

  it('is not called for segments removed because they were delivered', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const clock = createManualClock(T0);
    let calls = 0;
    const wal = openTestWal(dir.path, { clock, segmentDurationMs: 60_000, onDrop: () => calls++ });
    const c = wal.consumer('c');
    appendRound(wal, 10, T0, () => 1);
    clock.advance(60_000);
    appendRound(wal, 10, clock.now(), () => 2);
    c.ack(c.read(100)!.end);
    wal.truncate();
    assert.equal(wal.stats().segments, 1, 'the delivered, closed segment went');
    assert.equal(calls, 0);
    wal.close();
  });
});
