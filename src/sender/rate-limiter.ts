/**
 * The uplink budget, `OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND`: one token bucket shared by every
 * endpoint and shard, so the cap holds for the gateway as a whole (a metered or shared 2G link is
 * one link, however many receivers there are).
 *
 * The bucket holds at most one second's worth of bytes: after an idle spell at most one second of
 * budget goes out at once, which keeps the cap meaningful over any window of a few seconds. A
 * request larger than that cannot wait for tokens that would never fit; it waits for a full bucket,
 * goes, and leaves the bucket in debt, which the next takers wait off. Over time every byte is paid
 * for at the configured rate, whatever the request sizes.
 *
 * Takers are served strictly in arrival order: a queue of small requests cannot starve a large one
 * by always fitting into the tokens that trickle in.
 */
import type { Clock } from '../lib/clock.js';

/** The shared bucket. */
export interface RateLimiter {
  /** Resolves when `bytes` may be sent, after every earlier caller's turn. Never rejects. */
  take(bytes: number): Promise<void>;
}

/** Time sources of a limiter, injected by tests. */
export interface RateLimiterTiming {
  /** Milliseconds, monotonic. Default performance.now: a wall clock that NTP sets at boot (a Pi has no RTC) would hand out hours of budget at once. */
  clock?: Clock;
  /** Waits `ms` milliseconds. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** Creates the bucket, full. `bytesPerSecond` 0 means no cap: `take` resolves at once. */
export function createRateLimiter(bytesPerSecond: number, timing: RateLimiterTiming = {}): RateLimiter {
  if (bytesPerSecond <= 0) return { take: () => Promise.resolve() };
  const clock = timing.clock ?? { now: () => performance.now() };
  const sleep = timing.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const capacity = bytesPerSecond;
  let tokens = capacity;
  let refilledAt = clock.now();
  // Each taker chains onto the previous one: that chain is the FIFO queue.
  let tail: Promise<void> = Promise.resolve();

  function refill(): void {
    const t = clock.now();
    tokens = Math.min(capacity, tokens + ((t - refilledAt) * bytesPerSecond) / 1000);
    refilledAt = t;
  }

  async function acquire(bytes: number): Promise<void> {
    const needed = Math.min(bytes, capacity);
    refill();
    while (tokens < needed) {
      // Rounded up so one sleep is enough unless the timer fires early.
      await sleep(Math.ceil(((needed - tokens) * 1000) / bytesPerSecond));
      refill();
    }
    tokens -= bytes;
  }

  return {
    take(bytes) {
      const turn = tail.then(() => acquire(bytes));
      tail = turn;
      return turn;
    },
  };
}
