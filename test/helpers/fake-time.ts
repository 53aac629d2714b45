import { createManualClock } from '../../src/lib/clock.js';

/** Lets every pending promise callback run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A manual clock whose sleeps (`RateLimiterTiming`) wake when `advance` moves past them, earliest first. */
export function fakeTime() {
  const clock = createManualClock(0);
  const sleepers: Array<{ until: number; wake: () => void }> = [];
  return {
    clock,
    sleep: (ms: number) => new Promise<void>((wake) => { sleepers.push({ until: clock.now() + ms, wake }); }),
    async advance(ms: number): Promise<void> {
      const target = clock.now() + ms;
      await settle();
      for (;;) {
        sleepers.sort((a, b) => a.until - b.until);
        if (sleepers.length === 0 || sleepers[0]!.until > target) break;
        const next = sleepers.shift()!;
        clock.set(Math.max(clock.now(), next.until));
        next.wake();
        await settle();
      }
      clock.set(target);
      await settle();
    },
  };
}
