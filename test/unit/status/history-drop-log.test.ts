import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDropLog } from '../../../src/status/drop-log.js';
import { createHistoryRing } from '../../../src/status/history.js';

describe('history ring', () => {
  it('keeps the newest rows up to its capacity, oldest first', () => {
    const ring = createHistoryRing(3, 2);
    assert.equal(ring.size, 0);
    for (let i = 1; i <= 5; i++) ring.push([i, i * 10]);
    assert.equal(ring.size, 3);
    assert.deepEqual([0, 1, 2].map((i) => [ring.value(i, 0), ring.value(i, 1)]), [[3, 30], [4, 40], [5, 50]]);
  });

  it('stores missing values as NaN and refuses reads outside what it holds', () => {
    const ring = createHistoryRing(2, 3);
    ring.push([1]);
    assert.deepEqual([ring.value(0, 0), ring.value(0, 1), ring.value(0, 2)], [1, NaN, NaN]);
    assert.throws(() => ring.value(1, 0), RangeError);
    assert.throws(() => ring.value(0, 3), RangeError);
    assert.throws(() => createHistoryRing(0, 1), /capacity and width/);
  });
});

describe('drop log', () => {
  const drop = { reason: 'retention' as const, samples: 10, fromMs: 1000, toMs: 2000, endpoints: ['u'] };

  it('lists drops newest first and forgets the oldest past its capacity', () => {
    const log = createDropLog(2, 0);
    log.record({ ...drop, samples: 1 }, 100);
    log.record({ ...drop, samples: 2 }, 200);
    log.record({ ...drop, samples: 3 }, 300);
    assert.deepEqual(log.recent().map((d) => [d.samples, d.atMs]), [[3, 300], [2, 200]]);
  });

  it('merges repeats of the same reason and endpoints within the window into one entry', () => {
    const log = createDropLog(20, 60_000);
    log.record({ ...drop, reason: 'disk_budget', samples: 1, fromMs: 5000, toMs: 5000 }, 0);
    log.record({ ...drop, reason: 'disk_budget', samples: 1, fromMs: 4000, toMs: 4000 }, 60_000);
    log.record({ ...drop, reason: 'disk_budget', samples: 1, fromMs: 6000, toMs: 6000 }, 90_000);
    assert.deepEqual(log.recent(), [{ reason: 'disk_budget', samples: 3, fromMs: 4000, toMs: 6000, atMs: 90_000, endpoints: ['u'] }]);
    log.record({ ...drop, reason: 'disk_budget' }, 150_001);
    log.record(drop, 150_002);
    log.record({ ...drop, endpoints: ['u', 'v'] }, 150_003);
    log.record({ ...drop, fromMs: null, toMs: null }, 150_004);
    assert.equal(log.recent().length, 5, 'past the window, another reason, other endpoints, unknown range: new entries');
  });

  it('hands out copies', () => {
    const log = createDropLog();
    log.record(drop, 1);
    log.recent()[0]!.endpoints!.push('x');
    assert.deepEqual(log.recent()[0]!.endpoints, ['u']);
  });
});
