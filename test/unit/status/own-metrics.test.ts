import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOwnMetrics } from '../../../src/status/own-metrics.js';

test('own metrics show the memory limit, the resident memory to compare with it, and the cache sheds', () => {
  const own = createOwnMetrics('1.2.3', 1 << 30, 96 * 1024 * 1024, { walStats: () => null, inputs: () => [] });
  own.memoryCounters.shed();
  const text = own.registry.render();
  assert.match(text, /^outpost_memory_limit_bytes 100663296$/m);
  assert.match(text, /^outpost_memory_cache_sheds_total 1$/m);
  const resident = Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1]);
  assert.ok(resident > 10 * 1024 * 1024 && resident < 4 * 1024 ** 3, `resident ${resident}`);
});
