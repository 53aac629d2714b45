import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createManualClock } from '../../../src/lib/clock.js';
import { createLogger } from '../../../src/lib/log.js';
import { startMemoryGuard } from '../../../src/lib/memory-guard.js';

test('the memory guard drops caches near the limit, at most once a minute, and not below it', async () => {
  const clock = createManualClock();
  let resident = 50;
  let shedCalls = 0;
  let counted = 0;
  const stop = startMemoryGuard({
    limitBytes: 100, residentBytes: () => resident, intervalMs: 5, clock,
    shedCaches: () => shedCalls++, counters: { shed: () => counted++ }, log: createLogger({ level: 'error', format: 'json' }),
  });
  try {
    await sleep(40);
    assert.equal(shedCalls, 0, 'half the limit: nothing dropped');
    resident = 95;
    await sleep(40);
    assert.equal(shedCalls, 1, 'within 10 % of the limit: dropped once, not on every check');
    clock.advance(60_000);
    await sleep(40);
    assert.equal(shedCalls, 2, 'still near the limit a minute later: dropped again');
    assert.equal(counted, 2);
  } finally {
    stop();
  }
});
