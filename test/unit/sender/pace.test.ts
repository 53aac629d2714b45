import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../../src/lib/clock.js';
import { createPace } from '../../../src/sender/pace.js';

describe('pace', () => {
  it('is unpaced until a 429 or a return from an outage', () => {
    const pace = createPace(createManualClock(), () => 50);
    pace.accepted(5000);
    assert.equal(pace.rate, null);
    assert.equal(pace.reserve(2000), 0);
  });

  it('halves what went through over the last two seconds at the first 429', () => {
    const clock = createManualClock();
    const pace = createPace(clock, () => 50);
    pace.accepted(2000);
    clock.advance(1000);
    pace.accepted(2000);
    pace.throttled();
    assert.equal(pace.rate, 1000, '4000 samples in 2 s is 2000/s, halved');
  });

  it('counts the 429s of requests in flight together as one cut', () => {
    const clock = createManualClock();
    const pace = createPace(clock, () => 50);
    pace.accepted(4000);
    pace.throttled();
    pace.throttled();
    clock.advance(500);
    pace.throttled();
    assert.equal(pace.rate, 1000);
    clock.advance(600);
    pace.throttled();
    assert.equal(pace.rate, 500, 'a second later a 429 cuts again');
  });

  it('spaces requests by the time their samples take at the rate', () => {
    const clock = createManualClock();
    const pace = createPace(clock, () => 50);
    pace.resumed();
    assert.equal(pace.rate, 100, 'a slow start begins at twice the stream');
    assert.equal(pace.reserve(100), 0);
    assert.equal(pace.reserve(100), 1000);
    assert.equal(pace.reserve(50), 2000);
    clock.advance(2500);
    assert.equal(pace.reserve(100), 0, 'the next slot is free by then');
  });

  it('doubles every second after a return from an outage until the first 429, then grows by a thirtieth of the stream a second', () => {
    const clock = createManualClock();
    const pace = createPace(clock, () => 60);
    pace.resumed();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      pace.accepted(1000);
    }
    assert.equal(Math.round(pace.rate!), 960, '120 doubled three times');
    pace.throttled();
    assert.equal(Math.round(pace.rate!), 480);
    clock.advance(10_000);
    pace.accepted(1000);
    assert.equal(Math.round(pace.rate!), 500, '10 s of 60/30 = 2 samples/s a second');
  });

  it('does not grow past twice what was delivered lately', () => {
    const clock = createManualClock();
    const pace = createPace(clock, () => 50);
    pace.resumed();
    clock.advance(10_000);
    pace.accepted(100);
    assert.equal(pace.rate, 100, 'ten seconds of slow start with nothing sent do not inflate it');
  });

  it('ends once caught up and a minute has passed without a 429', () => {
    const clock = createManualClock();
    const pace = createPace(clock, () => 50);
    pace.accepted(1000);
    pace.throttled();
    clock.advance(30_000);
    pace.caughtUp();
    assert.notEqual(pace.rate, null, 'still paced half a minute after the 429');
    clock.advance(30_000);
    pace.caughtUp();
    assert.equal(pace.rate, null);
  });

  it('never paces below 10 samples a second', () => {
    const clock = createManualClock();
    const pace = createPace(clock, () => 0);
    pace.throttled();
    assert.equal(pace.rate, 10);
  });
});
