/**
 * How many shards (parallel request streams) one endpoint uses, between the queue's min and max.
 *
 * The target comes from what Prometheus weighs: the samples arriving per second, the backlog to
 * work off, and the time one sample takes to send. The count then moves towards it AIMD-style
 * (Vector's adaptive request concurrency): one more shard after a clean round whose latency did
 * not grow, half as many after a failure or a latency jump, and no change at all while the
 * endpoint is backing off (adding load to a link that is failing only makes it fail harder).
 */
export interface ConcurrencyOptions {
  minShards: number;
  maxShards: number;
}

/** The shard count of one endpoint; `current` is what the next round uses. */
export interface Concurrency {
  readonly current: number;
  /**
   * Records a round that sent everything: `samples` in `durationMs`, with `pending` samples still
   * to send and `incomingPerSecond` arriving.
   */
  roundSucceeded(samples: number, durationMs: number, pending: number, incomingPerSecond: number): void;
  /** Records a failed attempt: halve, never below min. */
  failed(): void;
}

// A round may take this long before more shards are wanted for the backlog: a few seconds keeps
// requests large on a slow link, and the backlog is still worked off quickly once it returns.
const CATCH_UP_ROUND_SECONDS = 5;
// Latency may grow this much over its average before it counts as congestion (Vector uses a
// similar threshold on its RTT mean).
const LATENCY_TOLERANCE = 1.5;

/** Creates the controller at `minShards`. */
export function createConcurrency(options: ConcurrencyOptions): Concurrency {
  const { minShards, maxShards } = options;
  let current = minShards;
  let secondsPerSample: number | null = null;
  let roundMsAverage: number | null = null;
  return {
    get current() {
      return current;
    },
    roundSucceeded(samples, durationMs, pending, incomingPerSecond) {
      if (samples <= 0) return;
      const perSample = durationMs / 1000 / samples;
      secondsPerSample = secondsPerSample === null ? perSample : 0.8 * secondsPerSample + 0.2 * perSample;
      const congested = roundMsAverage !== null && durationMs > LATENCY_TOLERANCE * roundMsAverage;
      roundMsAverage = roundMsAverage === null ? durationMs : 0.8 * roundMsAverage + 0.2 * durationMs;
      // Shards needed so that the incoming rate plus the backlog spread over a few rounds fits.
      const wanted = Math.ceil((incomingPerSecond + pending / CATCH_UP_ROUND_SECONDS) * secondsPerSample);
      const target = Math.min(maxShards, Math.max(minShards, wanted));
      if (congested) current = Math.max(minShards, Math.floor(current / 2));
      else if (target > current) current++;
      else if (target < current) current--;
    },
    failed() {
      current = Math.max(minShards, Math.floor(current / 2));
    },
  };
}
