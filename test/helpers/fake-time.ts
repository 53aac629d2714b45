import { createManualClock, type Timers } from '../../src/lib/clock.js';

/** Lets every pending promise callback run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A fake clock and its timers; see `fakeTime`. */
export type FakeTime = ReturnType<typeof fakeTime>;

/**
 * A manual clock starting at `startMs` with timers (`Timers.after`, and `sleep` for
 * `RateLimiterTiming`) that fire only when `advance` moves past them, earliest first, letting
 * pending promise callbacks run after each.
 */
export function fakeTime(startMs = 0) {
  const clock = createManualClock(startMs);
  const timers: Array<{ at: number; fire: () => void }> = [];
  const after: Timers['after'] = (ms, fire) => {
    const timer = { at: clock.now() + ms, fire };
    timers.push(timer);
    return () => {
      const i = timers.indexOf(timer);
      if (i !== -1) timers.splice(i, 1);
    };
  };
  async function advance(ms: number): Promise<void> {
    const target = clock.now() + ms;
    await settle();
    for (;;) {
      // Stable: timers due at the same time fire in the order they were set, as Node's do.
      timers.sort((a, b) => a.at - b.at);
      if (timers.length === 0 || timers[0]!.at > target) break;
      const next = timers.shift()!;
      clock.set(Math.max(clock.now(), next.at));
      next.fire();
      await settle();
    }
    clock.set(target);
    await settle();
  }
  return {
    clock,
    after,
    sleep: (ms: number) => new Promise<void>((wake) => { after(ms, wake); }),
    advance,
    /** Advances in steps of `stepMs` until `done()` holds or `timeoutMs` has passed; returns `done()`. */
    async until(done: () => boolean, timeoutMs: number, stepMs = 10): Promise<boolean> {
      const end = clock.now() + timeoutMs;
      await settle();
      while (!done() && clock.now() < end) await advance(Math.min(stepMs, end - clock.now()));
      return done();
    },
  };
}
