/**
 * The age past which an endpoint refuses samples, as learned from its refusals.
 *
 * Prometheus, Mimir and Thanos refuse samples older than their head allows ("out of bounds",
 * "too old"): after a long outage everything older than about an hour. Sending such a backlog
 * request by request only to have each refused wastes a metered link, so the sender learns the
 * age and leaves older samples out before sending (counting them). The estimate is careful:
 * - it is learned only from samples refused on their own: the sender splits a refused request
 *   (request-parts.ts `splitByTime`) until the refused part spans at most a second, so one device
 *   with a bad clock in a request never teaches a limit of a few seconds;
 * - the limit is the age the newest such sample had when refused, so nothing younger than a
 *   sample the receiver itself refused is ever left out;
 * - it expires `ttlMs` after the last refusal that taught it, and at once when the endpoint
 *   accepts a sample older than it (the receiver's window moved or its configuration changed).
 */
import type { Clock } from '../lib/clock.js';

/** One endpoint's learned age limit. */
export interface AgeLimit {
  /** The limit in milliseconds of age, or null when none is known (or it expired). */
  current(): number | null;
  /** Samples at or before this time (epoch ms) are predicted to be refused; null when none. */
  cutoffMs(): number | null;
  /** A part refused for its age that cannot be split further; `newestMs` its newest sample time. */
  refused(newestMs: number): void;
  /** A part was accepted; `oldestMs` its oldest sample time. */
  accepted(oldestMs: number): void;
}

/**
 * How long a learned limit holds without a new refusal. Ten minutes: a backlog being drained
 * meets the receiver's window again within that time if the limit still applies, and a limit that
 * no longer applies costs at most ten minutes of samples that would now be accepted.
 */
export const DEFAULT_AGE_LIMIT_TTL_MS = 10 * 60_000;

/** Creates an endpoint's limit, unknown at first. */
export function createAgeLimit(clock: Clock, ttlMs = DEFAULT_AGE_LIMIT_TTL_MS): AgeLimit {
  let limitMs: number | null = null;
  let learnedAt = 0;
  const current = (): number | null => {
    if (limitMs !== null && clock.now() - learnedAt > ttlMs) limitMs = null;
    return limitMs;
  };
  return {
    current,
    cutoffMs() {
      const limit = current();
      return limit === null ? null : clock.now() - limit;
    },
    refused(newestMs) {
      const now = clock.now();
      const age = Math.max(0, now - newestMs);
      limitMs = current() === null ? age : Math.min(limitMs!, age);
      learnedAt = now;
    },
    accepted(oldestMs) {
      const limit = current();
      if (limit !== null && clock.now() - oldestMs > limit) limitMs = null;
    },
  };
}
