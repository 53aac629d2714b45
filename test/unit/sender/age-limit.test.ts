import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAgeLimit, DEFAULT_AGE_LIMIT_TTL_MS } from '../../../src/sender/age-limit.js';
import { createManualClock } from '../../../src/lib/clock.js';

describe('learned age limit', () => {
  it('is the age of the newest sample refused on its own, and only shrinks with later refusals', () => {
    const clock = createManualClock();
    const limit = createAgeLimit(clock);
    assert.equal(limit.current(), null);
    assert.equal(limit.cutoffMs(), null);
    limit.refused(clock.now() - 3_600_000);
    assert.equal(limit.current(), 3_600_000);
    clock.advance(1000);
    assert.equal(limit.cutoffMs(), clock.now() - 3_600_000, 'the cutoff moves with time: an age, not an instant');
    limit.refused(clock.now() - 3_700_000);
    assert.equal(limit.current(), 3_600_000, 'an older refusal says nothing new');
    limit.refused(clock.now() - 3_500_000);
    assert.equal(limit.current(), 3_500_000);
  });

  it('expires ten minutes after the last refusal that taught it', () => {
    const clock = createManualClock();
    const limit = createAgeLimit(clock);
    limit.refused(clock.now() - 60_000);
    clock.advance(DEFAULT_AGE_LIMIT_TTL_MS);
    assert.equal(limit.current(), 60_000);
    clock.advance(1);
    assert.equal(limit.current(), null);
    assert.equal(limit.cutoffMs(), null);
  });

  it('is forgotten when the endpoint accepts a sample older than it, and kept when it accepts younger ones', () => {
    const clock = createManualClock();
    const limit = createAgeLimit(clock);
    limit.refused(clock.now() - 60_000);
    limit.accepted(clock.now() - 30_000);
    assert.equal(limit.current(), 60_000);
    limit.accepted(clock.now() - 90_000);
    assert.equal(limit.current(), null);
  });
});
