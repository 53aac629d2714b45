/**
 * The pace of one endpoint's requests, in samples per second, for a receiver that can take less
 * than the sender could give it: a central store behind a tenant limit (Mimir, Cortex, a
 * vmauth rate limit) that answers 429 when the whole fleet sends too much.
 *
 * Unpaced is the normal state: requests go out as fast as shards and link allow. Two events
 * switch the pace on, and it then works like TCP's congestion control, in samples a second:
 * - a 429 halves the rate (starting from what was delivered over the last seconds), at most once
 *   a second, so the answers to requests already in flight count as one signal;
 * - the endpoint answering again after an outage starts a slow start: the rate begins at twice
 *   the endpoint's own stream and doubles every second until the first 429. Fifty gateways that
 *   find the store back within the same seconds then ramp up together instead of sending their
 *   whole backlogs at once, and each finds its share within a few seconds.
 * After the first 429 the rate grows additively, by a thirtieth of the stream every second, so
 * the fleet probes for spare capacity slowly and a gateway's catch-up speed is proportional to
 * its own stream; equal gateways converge to equal shares (AIMD's fairness). The rate never
 * grows past twice what was delivered recently (a pace the sender does not use says nothing
 * about the receiver). Once the backlog is gone and nothing was refused for PACE_RELEASE_MS the
 * pace is dropped.
 *
 * Requests reserve their samples' time in order (a virtual clock): `reserve` says how long to
 * wait before sending, and the reservation stands even when the wait is cut short.
 */
import type { Clock } from '../lib/clock.js';

/** The pace of one endpoint. */
export interface Pace {
  /** Samples per second allowed now; null while unpaced. */
  readonly rate: number | null;
  /** Reserves the time `samples` take at the current rate; returns the milliseconds to wait first (0 unpaced). */
  reserve(samples: number): number;
  /** The receiver accepted `samples`. */
  accepted(samples: number): void;
  /** The receiver answered 429. */
  throttled(): void;
  /** The endpoint answers again after an outage. */
  resumed(): void;
  /** Nothing is left to send; the pace ends once nothing has been refused for a while. */
  caughtUp(): void;
}

// Never slower than this: one small request every few seconds keeps asking the receiver.
const MIN_RATE = 10;
// Halving more than once a second would count one overload signal once per request in flight.
const CUT_HOLD_MS = 1_000;
// The additive step a second, as a share of the stream: slow enough that fifty gateways together
// probe for capacity at a few percent of it a second, fast enough to regain a halving in a minute.
const INCREASE_SHARE = 1 / 30;
// Delivered samples are summed over this window to know the rate that went through.
const DELIVERED_WINDOW_MS = 2_000;
// The pace stays on this long after the last 429, so a caught-up fleet does not burst back.
const PACE_RELEASE_MS = 60_000;

/** Creates an unpaced pace; `streamPerSecond` tells the samples arriving a second (0 when unknown). */
export function createPace(clock: Clock, streamPerSecond: () => number): Pace {
  let rate: number | null = null;
  let phase: 'slow-start' | 'avoid' = 'avoid';
  let nextFreeAt = 0;
  let grownAt = 0;
  let cutAt = -Infinity;
  const delivered: Array<{ at: number; samples: number }> = [];

  const deliveredRate = (now: number): number => {
    while (delivered.length > 0 && delivered[0]!.at < now - DELIVERED_WINDOW_MS) delivered.shift();
    return (delivered.reduce((n, d) => n + d.samples, 0) * 1000) / DELIVERED_WINDOW_MS;
  };

  return {
    get rate() {
      return rate;
    },
    reserve(samples) {
      if (rate === null) return 0;
      const now = clock.now();
      const start = Math.max(now, nextFreeAt);
      nextFreeAt = start + (samples * 1000) / rate;
      return start - now;
    },
    accepted(samples) {
      const now = clock.now();
      delivered.push({ at: now, samples });
      if (rate === null) return;
      const seconds = Math.max(0, now - grownAt) / 1000;
      grownAt = now;
      const step = Math.max(MIN_RATE, streamPerSecond()) * INCREASE_SHARE;
      const grown = phase === 'slow-start' ? rate * 2 ** seconds : rate + step * seconds;
      rate = Math.max(MIN_RATE, Math.min(grown, Math.max(rate, 2 * deliveredRate(now))));
    },
    throttled() {
      const now = clock.now();
      if (now - cutAt < CUT_HOLD_MS) return;
      cutAt = now;
      grownAt = now;
      phase = 'avoid';
      rate = Math.max(MIN_RATE, (rate ?? deliveredRate(now)) / 2);
      // The next request waits its turn at the new rate, not at the old one's slot.
      nextFreeAt = Math.max(nextFreeAt, now);
    },
    resumed() {
      if (rate !== null) return;
      rate = Math.max(MIN_RATE, 2 * streamPerSecond());
      phase = 'slow-start';
      grownAt = clock.now();
      nextFreeAt = grownAt;
    },
    caughtUp() {
      if (rate !== null && clock.now() - cutAt >= PACE_RELEASE_MS) rate = null;
    },
  };
}
