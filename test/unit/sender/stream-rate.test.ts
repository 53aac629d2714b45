import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../../src/lib/clock.js';
import { createStreamRate } from '../../../src/sender/stream-rate.js';

describe('stream rate', () => {
  it('measures wire bytes a second between acked rounds, weighing the newest by a fifth', () => {
    const clock = createManualClock();
    const stream = createStreamRate(clock);
    stream.roundSent(5000);
    stream.roundEnded(100, 0);
    assert.equal(stream.bytesPerSecond, null, 'one round says nothing about a rate');
    clock.advance(2000);
    stream.roundSent(4000);
    stream.roundEnded(100, 0);
    assert.equal(stream.bytesPerSecond, 2000);
    clock.advance(1000);
    stream.roundSent(7000);
    stream.roundEnded(100, 0);
    assert.equal(stream.bytesPerSecond, 0.8 * 2000 + 0.2 * 7000);
  });

  it('leaves the bytes a second of the stream as they were while a backlog drains', () => {
    const clock = createManualClock();
    const stream = createStreamRate(clock);
    stream.roundSent(1000);
    stream.roundEnded(100, 0);
    clock.advance(1000);
    stream.roundSent(1000);
    stream.roundEnded(100, 0);
    assert.equal(stream.bytesPerSecond, 1000);
    // A backlog found: its rounds go back to back, far faster than the stream.
    clock.advance(1000);
    stream.roundSent(1000);
    stream.roundEnded(100, 50_000);
    clock.advance(100);
    stream.roundSent(400_000);
    stream.roundEnded(20_000, 30_000);
    clock.advance(100);
    stream.roundSent(400_000);
    stream.roundEnded(20_000, 10_000);
    assert.equal(stream.bytesPerSecond, 1000);
  });

  it('measures samples a second only between two rounds that left nothing pending', () => {
    const clock = createManualClock();
    const stream = createStreamRate(clock);
    stream.roundEnded(10_000, 0);
    clock.advance(1000);
    stream.roundEnded(10_000, 500);
    clock.advance(1000);
    stream.roundEnded(600, 0);
    assert.equal(stream.samplesPerSecond, 0, 'a backlog round is not the stream');
    clock.advance(2000);
    stream.roundEnded(100, 0);
    assert.equal(stream.samplesPerSecond, 50);
    clock.advance(1000);
    stream.roundEnded(100, 0);
    assert.equal(stream.samplesPerSecond, 0.8 * 50 + 0.2 * 100);
  });

  it('tells the samples a second from the backlog found until the stream is measured', () => {
    const clock = createManualClock(100_000);
    const stream = createStreamRate(clock);
    stream.backlogFound(650_000, clock.now() - 65_000);
    assert.equal(stream.samplesPerSecond, 10_000, '65 s of backlog at 10,000 samples a second');
    stream.backlogFound(500, clock.now() - 10);
    assert.equal(stream.samplesPerSecond, 500, 'a backlog younger than a second counts as a second old');
    stream.roundEnded(100, 0);
    clock.advance(1000);
    stream.roundEnded(100, 0);
    assert.equal(stream.samplesPerSecond, 100, 'the measured stream wins');
  });
});
