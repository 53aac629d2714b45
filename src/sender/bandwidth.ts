/**
 * What one endpoint's link can carry, measured from the requests themselves, so a request can be
 * sized to take a couple of seconds: small on a 2G link (a 4 MiB request there would outlive the
 * timeout and be sent again and again), large on fibre (where small requests waste round trips).
 */

/** The running estimate of one endpoint. */
export interface BandwidthEstimator {
  /**
   * Adds one completed request: `bytes` on the wire taking `durationMs` from start to answer.
   * Returns the new throughput estimate in bytes per second. Ignores observations that are not
   * finite and non-negative.
   */
  record(bytes: number, durationMs: number): number;
  /** Throughput estimate in bytes/s; null before the first observation. */
  readonly bytesPerSecond: number | null;
  /** Request duration estimate in ms (round trips plus transfer); null before the first observation. */
  readonly latencyMs: number | null;
  /**
   * Request size in bytes that takes about `targetSeconds` on the measured link, clamped to
   * [`minBytes`, `maxBytes`]; `minBytes` before the first observation, so a first request never
   * risks the timeout on a slow link (the estimate grows fast: each request may be far larger
   * than the one measured before it). Defaults: 2 s (a few seconds per the architecture, short
   * enough that a retry resends little), 16 KiB (below that, headers and round trips dominate),
   * 4 MiB (bounds the memory of a request; receivers commonly cap bodies at a few MiB).
   */
  targetRequestBytes(targetSeconds?: number, minBytes?: number, maxBytes?: number): number;
}

/**
 * Weight of each new observation. 0.2 lets about five requests (ten seconds at the target size)
 * carry the estimate: a link that changes (2G to 4G, a congested hour) shows within a few
 * requests, while one slow outlier (a retransmit, a GC pause on the receiver) moves it by a fifth.
 */
export const DEFAULT_EWMA_WEIGHT = 0.2;

/** Creates an estimator with no observations; `weight` in (0, 1]. */
export function createBandwidthEstimator(weight = DEFAULT_EWMA_WEIGHT): BandwidthEstimator {
  // Bytes and time are averaged separately and divided, rather than averaging per-request rates:
  // a small request is dominated by its round trip and would drag a rate average far below what
  // the link carries; the ratio weighs each request by its size.
  let bytesAverage: number | null = null;
  let durationAverage: number | null = null;
  const blend = (average: number | null, value: number): number => average === null ? value : average + weight * (value - average);
  const rate = (): number | null => {
    if (bytesAverage === null || durationAverage === null) return null;
    // Below timer resolution a request took "no time"; 1 ms keeps the rate finite.
    return (bytesAverage * 1000) / Math.max(durationAverage, 1);
  };

  return {
    record(bytes, durationMs) {
      if (Number.isFinite(bytes) && Number.isFinite(durationMs) && bytes >= 0 && durationMs >= 0) {
        bytesAverage = blend(bytesAverage, bytes);
        durationAverage = blend(durationAverage, durationMs);
      }
      return rate() ?? 0;
    },
    get bytesPerSecond() {
      return rate();
    },
    get latencyMs() {
      return durationAverage;
    },
    targetRequestBytes(targetSeconds = 2, minBytes = 16 * 1024, maxBytes = 4 * 1024 * 1024) {
      const measured = rate();
      if (measured === null) return minBytes;
      return Math.round(Math.min(maxBytes, Math.max(minBytes, measured * targetSeconds)));
    },
  };
}
