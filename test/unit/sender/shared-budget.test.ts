import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRateLimiter, type RateLimiter } from '../../../src/sender/rate-limiter.js';
import { createSharedBudget } from '../../../src/sender/shared-budget.js';
import { fakeTime, settle } from '../../helpers/fake-time.js';

/** Keeps `shards` requests of `bytes` each waiting on `limiter` at all times; `given` counts the bytes let through. */
function busyEndpoint(limiter: RateLimiter, bytes: number, shards: number) {
  const endpoint = { given: 0, stopped: false };
  const loop = async (): Promise<void> => {
    while (!endpoint.stopped) {
      await limiter.take(bytes);
      endpoint.given += bytes;
    }
  };
  for (let i = 0; i < shards; i++) void loop();
  return endpoint;
}

describe('shared uplink budget', () => {
  it('shares the cap evenly between two endpoints behind, whatever their request sizes and shard counts', async () => {
    const time = fakeTime();
    const budget = createSharedBudget(10_000, time);
    const big = busyEndpoint(budget.share(), 5_000, 4);
    const small = busyEndpoint(budget.share(), 500, 1);
    await time.advance(60_000);
    big.stopped = small.stopped = true;
    const total = big.given + small.given;
    assert.ok(total <= 10_000 * 61 + 5_000, `the cap holds: ${total} bytes in 60 s`);
    assert.ok(total >= 10_000 * 59, `the cap is used: ${total} bytes in 60 s`);
    assert.ok(Math.abs(big.given - small.given) <= 0.05 * total, `even shares: ${big.given} and ${small.given}`);
  });

  it('gives all of the cap to the only endpoint waiting, and an endpoint that was idle claims no credit for it', async () => {
    const time = fakeTime();
    const budget = createSharedBudget(10_000, time);
    const early = busyEndpoint(budget.share(), 1_000, 2);
    const lateShare = budget.share();
    await time.advance(30_000);
    assert.ok(early.given >= 10_000 * 29, `alone it gets the whole cap: ${early.given}`);
    const before = early.given;
    const late = busyEndpoint(lateShare, 1_000, 2);
    await time.advance(30_000);
    early.stopped = late.stopped = true;
    const earlyAfter = early.given - before;
    assert.ok(Math.abs(earlyAfter - late.given) <= 2_000, `from the late one's start the shares are even: ${earlyAfter} and ${late.given}`);
  });

  it('holds a per-endpoint cap below the shared one, leaving the rest to the other endpoint', async () => {
    const time = fakeTime();
    const budget = createSharedBudget(10_000, time);
    const own = createRateLimiter(2_000, time);
    const shareOfCapped = budget.share();
    const capped = busyEndpoint({ take: async (b) => { await own.take(b); await shareOfCapped.take(b); } }, 500, 2);
    const free = busyEndpoint(budget.share(), 500, 2);
    await time.advance(60_000);
    capped.stopped = free.stopped = true;
    assert.ok(capped.given <= 2_000 * 61, `its own cap holds: ${capped.given} in 60 s`);
    assert.ok(capped.given >= 2_000 * 58, `it gets its own cap: ${capped.given} in 60 s`);
    assert.ok(capped.given + free.given <= 10_000 * 61, `the shared cap holds: ${capped.given + free.given}`);
    assert.ok(free.given >= 7_500 * 59, `the other gets the rest: ${free.given}`);
  });

  it('does not wait when there is no cap (0)', async () => {
    const budget = createSharedBudget(0);
    let given = 0;
    const share = budget.share();
    for (let i = 0; i < 100; i++) void share.take(1_000_000).then(() => given++);
    await settle();
    assert.equal(given, 100);
  });
});
