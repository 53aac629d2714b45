/**
 * Retry delays of one shard: exponential backoff with jitter between the configured minimum and
 * maximum (`OUTPOST_QUEUE_MIN_BACKOFF` / `_MAX_BACKOFF`), and a server's `Retry-After` wins.
 *
 * The n-th consecutive retry (n = 1, 2, …) waits a uniformly random time in
 * `[min, min(max, min·2ⁿ)]`. This is AWS's "full jitter" (random over the whole window, so
 * gateways that lost the same endpoint at the same moment spread out instead of hammering it in
 * step) with the window's floor raised from 0 to `min`: the contract promises that no retry comes
 * sooner than the minimum backoff. The window starts at `[min, 2·min]`, not at `min` alone, so the
 * very first retry is already spread.
 *
 * A `Retry-After` is obeyed as the shortest wait and spread over up to half as much again: a
 * receiver that tells a whole fleet "1 second" in the same second would otherwise get every
 * gateway back in the same second.
 */

/** Settings of a backoff; `minMs` and `maxMs` are the queue config values. */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /**
   * Longest `Retry-After` obeyed. Default 10 minutes: long enough for any maintenance window a
   * receiver announces, short enough that a wrong "come back tomorrow" does not park a gateway's
   * backlog for a day; the endpoint is simply asked again and can repeat itself.
   */
  maxRetryAfterMs?: number;
  /** Uniform in [0, 1); injected by tests. Default Math.random. */
  random?: () => number;
}

/** The retry state of one sequential stream of requests. Not shared between shards. */
export interface Backoff {
  /**
   * Counts one more failed attempt and returns how long to wait before the next one, in
   * milliseconds. A positive `retryAfterMs` (the server's `Retry-After`), up to `maxRetryAfterMs`,
   * is the shortest wait, spread over up to half as much again; it still counts, so later failures
   * without one keep growing.
   */
  next(retryAfterMs?: number): number;
  /** Back to the first window; call after a success. */
  reset(): void;
  /** Failed attempts since the last reset. */
  readonly attempts: number;
}

// How much longer than a Retry-After a retry may wait, as a share of it (see the header).
const RETRY_AFTER_SPREAD = 0.5;

/** Default of `BackoffOptions.maxRetryAfterMs`. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Creates a backoff at its first window. */
export function createBackoff(options: BackoffOptions): Backoff {
  const { minMs, maxMs } = options;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const random = options.random ?? Math.random;
  let attempts = 0;
  return {
    next(retryAfterMs) {
      attempts++;
      // Retry-After: 0 would make a tight loop against a server that keeps saying it; back off as usual.
      if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.min(retryAfterMs, maxRetryAfterMs) * (1 + RETRY_AFTER_SPREAD * random());
      // The exponent stops growing long before 2ⁿ loses precision; max has capped the window by then.
      const ceiling = Math.max(minMs, Math.min(maxMs, minMs * 2 ** Math.min(attempts, 52)));
      return minMs + random() * (ceiling - minMs);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
