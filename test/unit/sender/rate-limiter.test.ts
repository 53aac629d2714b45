import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRateLimiter, type RateLimiter } from '../../../src/sender/rate-limiter.js';
import { fakeTime, settle } from '../../helpers/fake-time.js';

/** Starts `take(bytes)` and records, in order, the labels of the takes that have resolved. */
function tracker(limiter: RateLimiter) {
  const done: string[] = [];
  return { done, take: (label: string, bytes: number) => void limiter.take(bytes).then(() => done.push(label)) };
}

describe('rate limiter', () => {
  it('does not wait at all when unlimited (0)', async () => {
    const time = fakeTime();
    const { done, take } = tracker(createRateLimiter(0, time));
    for (let i = 0; i < 100; i++) take(String(i), 1_000_000);
    await settle();
    assert.equal(done.length, 100);
  });

  it('lets out at most one second of budget at once after idling', async () => {
    const time = fakeTime();
    const { done, take } = tracker(createRateLimiter(1000, time));
    await time.advance(3_600_000);
    for (let i = 0; i < 50; i++) take(String(i), 100);
    await settle();
    assert.equal(done.length, 10, 'a full bucket holds 1000 bytes: ten takes of 100');
    await time.advance(100);
    assert.equal(done.length, 11, 'then one more per 100 ms');
  });

  it('holds the long-run rate to the configured bytes per second', async () => {
    const time = fakeTime();
    const limiter = createRateLimiter(2000, time);
    let granted = 0;
    let running = true;
    void (async () => {
      while (running) {
        await limiter.take(300);
        granted += 300;
      }
    })();
    for (let second = 1; second <= 30; second++) {
      await time.advance(1000);
      // The initial full bucket (2000) plus 2000 per second, give or take one take in flight.
      assert.ok(granted <= 2000 + second * 2000 + 300, `${granted} bytes granted after ${second} s`);
      assert.ok(granted >= second * 2000 - 300, `${granted} bytes granted after ${second} s`);
    }
    running = false;
  });

  it('lets a request larger than the burst go, and makes the next takers pay its debt', async () => {
    const time = fakeTime();
    const { done, take } = tracker(createRateLimiter(1000, time));
    take('large', 5000);
    take('next', 100);
    await settle();
    assert.deepEqual(done, ['large'], 'the bucket was full, so 5000 bytes go at once');
    await time.advance(4099);
    assert.deepEqual(done, ['large'], 'debt of 4000 bytes plus 100 more: 4.1 s');
    await time.advance(1);
    assert.deepEqual(done, ['large', 'next']);
  });

  it('makes a large request wait for a full bucket when the bucket is not full', async () => {
    const time = fakeTime();
    const { done, take } = tracker(createRateLimiter(1000, time));
    take('small', 600);
    take('large', 5000);
    await settle();
    assert.deepEqual(done, ['small']);
    await time.advance(599);
    assert.deepEqual(done, ['small']);
    await time.advance(1);
    assert.deepEqual(done, ['small', 'large']);
  });

  it('serves takers in arrival order: a small request never overtakes a waiting large one', async () => {
    const time = fakeTime();
    const { done, take } = tracker(createRateLimiter(1000, time));
    take('a', 800);
    take('b', 800);
    take('c', 100);
    await settle();
    assert.deepEqual(done, ['a'], 'c would fit in the 200 bytes left, but b came first');
    await time.advance(600);
    assert.deepEqual(done, ['a', 'b']);
    await time.advance(100);
    assert.deepEqual(done, ['a', 'b', 'c']);
  });

  it('waits on real timers by default', async () => {
    const limiter = createRateLimiter(10_000);
    await limiter.take(10_000);
    const started = performance.now();
    await limiter.take(1000);
    const waited = performance.now() - started;
    assert.ok(waited >= 90 && waited < 1000, `waited ${waited} ms for 1000 bytes at 10000 B/s`);
  });
});
