import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createBandwidthEstimator, DEFAULT_EWMA_WEIGHT } from '../../../src/sender/bandwidth.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('bandwidth estimator', () => {
  it('knows nothing before the first request and then asks for the smallest size', () => {
    const estimator = createBandwidthEstimator();
    assert.equal(estimator.bytesPerSecond, null);
    assert.equal(estimator.latencyMs, null);
    assert.equal(estimator.targetRequestBytes(), 16 * KiB);
  });

  it('takes the first observation as it is', () => {
    const estimator = createBandwidthEstimator();
    assert.equal(estimator.record(50_000, 500), 100_000);
    assert.equal(estimator.bytesPerSecond, 100_000);
    assert.equal(estimator.latencyMs, 500);
  });

  it('moves a fifth of the way toward each new observation', () => {
    assert.equal(DEFAULT_EWMA_WEIGHT, 0.2);
    const estimator = createBandwidthEstimator();
    estimator.record(100_000, 1000);
    estimator.record(100_000, 2000);
    assert.equal(estimator.latencyMs, 1200);
    assert.ok(Math.abs(estimator.bytesPerSecond! - 100_000 / 1.2) < 1e-6);
  });

  it('weighs requests by size, so small round-trip-bound requests do not hide a fast link', () => {
    const estimator = createBandwidthEstimator(0.5);
    estimator.record(4 * MiB, 4000);
    estimator.record(16 * KiB, 200);
    // Per-request rates would average to ~0.54 MiB/s; the link carried 1 MiB/s for the big one.
    assert.ok(estimator.bytesPerSecond! > 0.9 * MiB, `${estimator.bytesPerSecond}`);
  });

  it('converges to a new link speed within a few requests', () => {
    const estimator = createBandwidthEstimator();
    for (let i = 0; i < 20; i++) estimator.record(1 * MiB, 1000);
    for (let i = 0; i < 15; i++) estimator.record(10 * KiB, 1000);
    assert.ok(estimator.bytesPerSecond! < 50 * KiB, `${estimator.bytesPerSecond}`);
  });

  it('sizes requests to take the target time, within the bounds', () => {
    const slow = createBandwidthEstimator();
    slow.record(16 * KiB, 4000); // 4 KiB/s: a poor 2G link
    assert.equal(slow.targetRequestBytes(), 16 * KiB);
    const medium = createBandwidthEstimator();
    medium.record(100 * KiB, 1000);
    assert.equal(medium.targetRequestBytes(), 200 * KiB);
    assert.equal(medium.targetRequestBytes(5), 500 * KiB);
    assert.equal(medium.targetRequestBytes(2, 1, 150 * KiB), 150 * KiB);
    const fibre = createBandwidthEstimator();
    fibre.record(4 * MiB, 40);
    assert.equal(fibre.targetRequestBytes(), 4 * MiB);
  });

  it('ignores observations that are not finite and non-negative', () => {
    const estimator = createBandwidthEstimator();
    estimator.record(1000, 1000);
    for (const [bytes, ms] of [[NaN, 10], [10, Infinity], [-1, 10], [10, -1]] as const) estimator.record(bytes, ms);
    assert.equal(estimator.bytesPerSecond, 1000);
  });

  it('keeps the estimate finite for requests faster than the timer', () => {
    const estimator = createBandwidthEstimator();
    assert.equal(estimator.record(5000, 0), 5_000_000);
  });

  it('always gives a target within [min, max]', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(100 * MiB), fc.double({ min: 0, max: 1e6, noNaN: true })), { maxLength: 30 }),
      fc.double({ min: 0.1, max: 60, noNaN: true }),
      (observations, seconds) => {
        const estimator = createBandwidthEstimator();
        for (const [bytes, ms] of observations) estimator.record(bytes, ms);
        const target = estimator.targetRequestBytes(seconds);
        assert.ok(Number.isInteger(target) && target >= 16 * KiB && target <= 4 * MiB, `${target}`);
      },
    ));
  });
});
