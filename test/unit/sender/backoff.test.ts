import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createBackoff, DEFAULT_MAX_RETRY_AFTER_MS } from '../../../src/sender/backoff.js';

describe('backoff', () => {
  it('doubles the window per attempt from [min, 2·min] up to max', () => {
    const highest = createBackoff({ minMs: 1000, maxMs: 60_000, random: () => 0.999999 });
    const rounded = Array.from({ length: 8 }, () => Math.round(highest.next()));
    assert.deepEqual(rounded, [2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('never waits less than min, even at the bottom of the jitter', () => {
    const lowest = createBackoff({ minMs: 1000, maxMs: 60_000, random: () => 0 });
    for (let i = 0; i < 10; i++) assert.equal(lowest.next(), 1000);
  });

  it('spreads the delay over the window', () => {
    const backoff = createBackoff({ minMs: 1000, maxMs: 60_000, random: () => 0.5 });
    assert.equal(backoff.next(), 1500);
    assert.equal(backoff.next(), 2500);
  });

  it('starts over after reset', () => {
    const backoff = createBackoff({ minMs: 100, maxMs: 10_000, random: () => 0.999999 });
    for (let i = 0; i < 5; i++) backoff.next();
    assert.equal(backoff.attempts, 5);
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(Math.round(backoff.next()), 200);
  });

  it('lets Retry-After win over the computed delay, even beyond max', () => {
    const backoff = createBackoff({ minMs: 1000, maxMs: 5000, random: () => 0 });
    assert.equal(backoff.next(30_000), 30_000);
    assert.equal(backoff.next(10), 10, 'a short Retry-After is obeyed too');
    assert.equal(backoff.attempts, 2, 'Retry-After answers still count as attempts');
  });

  it('waits at least Retry-After and spreads retries over up to half of it more', () => {
    assert.equal(createBackoff({ minMs: 1000, maxMs: 5000, random: () => 0 }).next(2000), 2000);
    assert.equal(createBackoff({ minMs: 1000, maxMs: 5000, random: () => 0.5 }).next(2000), 2500);
    assert.ok(createBackoff({ minMs: 1000, maxMs: 5000, random: () => 0.999999 }).next(2000) < 3000);
  });

  it('caps Retry-After at maxRetryAfterMs, 10 minutes by default', () => {
    assert.equal(createBackoff({ minMs: 1000, maxMs: 5000, random: () => 0 }).next(86_400_000), DEFAULT_MAX_RETRY_AFTER_MS);
    assert.equal(createBackoff({ minMs: 1000, maxMs: 5000, maxRetryAfterMs: 20_000, random: () => 0 }).next(86_400_000), 20_000);
  });

  it('falls back to the computed delay for Retry-After 0', () => {
    assert.equal(createBackoff({ minMs: 1000, maxMs: 5000, random: () => 0 }).next(0), 1000);
  });

  it('stays within [min, max] for any attempt count and random value', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 120_000 }), fc.integer({ min: 0, max: 600_000 }), fc.integer({ min: 1, max: 2000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (minMs, extra, attempts, r) => {
        const maxMs = minMs + extra;
        const backoff = createBackoff({ minMs, maxMs, random: () => r });
        for (let i = 0; i < attempts; i++) {
          const delay = backoff.next();
          assert.ok(Number.isFinite(delay) && delay >= minMs && delay <= maxMs, `${delay} outside [${minMs}, ${maxMs}]`);
        }
      },
    ), { numRuns: 200 });
  });
});
