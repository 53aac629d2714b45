import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { repeat } from '../../../src/lib/repeat.js';

function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* holds the event loop, as a long parse does */ }
}

/** Runs `repeat` until `calls` calls were made; returns when each came, from the start. */
async function callTimes(intervalMs: number, firstMs: number, calls: number, during: (call: number) => void): Promise<number[]> {
  const start = performance.now();
  const times: number[] = [];
  await new Promise<void>((resolve) => {
    const stop = repeat(intervalMs, () => {
      times.push(performance.now() - start);
      during(times.length);
      if (times.length === calls) {
        stop();
        resolve();
      }
    }, firstMs);
  });
  return times;
}

describe('repeat', () => {
  it('keeps its calls on fixed times from the start when the loop is busy as each call falls due', async () => {
    // 180 ms after each call the loop is held for 60 ms, so the next call, due 200 ms after the
    // last one's slot, comes up to 40 ms late. Timed from the call before (as setInterval is),
    // that lateness would add up, 40 ms more every call; here no call is later than one delay.
    const times = await callTimes(200, 60, 8, () => void setTimeout(() => busyFor(60), 180));
    times.forEach((t, k) => {
      assert.ok(t >= 60 + 200 * k - 2, `call ${k} at ${t.toFixed(1)} ms, before its slot ${60 + 200 * k}`);
      assert.ok(t < 60 + 200 * k + 100, `call ${k} at ${t.toFixed(1)} ms, late for its slot ${60 + 200 * k}`);
    });
  });

  it('makes one call for all that fell due while the loop was blocked, then goes on at its times', async () => {
    // The second call (at 200 ms) holds the loop for 500 ms: the calls due at 400 and 600 ms come
    // as one, at 700 ms; the next is at 800 ms, not at 900 nor in a burst.
    const times = await callTimes(200, 0, 4, (call) => { if (call === 2) busyFor(500); });
    assert.ok(times[2]! >= 699 && times[2]! < 760, `third call at ${times[2]!.toFixed(1)} ms, not right after the block (700 ms)`);
    assert.ok(times[3]! >= 798 && times[3]! < 860, `fourth call at ${times[3]!.toFixed(1)} ms, not at its time (800 ms)`);
  });

  it('makes no call after it is stopped', async () => {
    let calls = 0;
    const stop = repeat(20, () => void calls++, 0);
    await new Promise((resolve) => setTimeout(resolve, 70));
    stop();
    const seen = calls;
    await new Promise((resolve) => setTimeout(resolve, 70));
    assert.ok(seen >= 2, `only ${seen} calls in 70 ms at 20 ms`);
    assert.equal(calls, seen);
  });
});
