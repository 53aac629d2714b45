import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../../src/lib/clock.js';
import { Generations } from '../../../src/lib/generations.js';

describe('Generations', () => {
  it('keeps a value moved to the current period, drops one unused for a whole period, and holds a moved value once', () => {
    const clock = createManualClock();
    const kept = new Generations<string>(clock, 1_000);
    kept.current.set(1, 'used');
    kept.current.set(2, 'unused');
    clock.advance(1_000);
    assert.equal(kept.rotateIfDue(), true);
    assert.equal(kept.current.size, 0);
    const moved = kept.takePrevious(1)!;
    kept.current.set(1, moved);
    assert.equal(kept.takePrevious(1), undefined, 'taken, so no longer held in the previous period');
    clock.advance(1_000);
    kept.rotateIfDue();
    assert.equal(kept.takePrevious(1), 'used');
    assert.equal(kept.takePrevious(2), undefined);
  });
});
