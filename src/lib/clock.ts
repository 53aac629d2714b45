/** Wall-clock source, injected so tests can move time without patching globals. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Timers beside a clock, injected with it so code that waits can run on a fake clock in tests. */
export interface Timers {
  /** Calls `fn` once, `ms` milliseconds from now; the function returned cancels the call. */
  after(ms: number, fn: () => void): () => void;
}

/** The real timers: setTimeout. */
export const systemTimers: Timers = {
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/** A clock that only moves when told to; for tests. */
export function createManualClock(startMs = 1_700_000_000_000): Clock & { advance(ms: number): void; set(ms: number): void } {
  let current = startMs;
  return {
    now: () => current,
    advance(ms: number) { current += ms; },
    set(ms: number) { current = ms; },
  };
}
