/**
 * An endpoint's own stream as its sender measures it, round by round: the wire bytes a second the
 * link must carry (whether rounds may go out every other commit: sender.ts `bytesAreCheap`) and the
 * samples a second arriving while caught up (the pace's yardstick and the size of paced requests).
 * Both are moving averages that weigh the newest round by a fifth.
 *
 * A sender started with a backlog (a restart during an outage) has no caught-up rounds to measure
 * yet, and a pace set for no stream at all starts at its floor, with requests of 50 samples: a
 * restart into an outage at 10,000 series sent its backlog and everything after it 50 at a time,
 * 40,000 requests in 90 s where the same outage without the restart took 1,100. Until the stream
 * is measured, the samples waiting and their age tell its rate: every sample newer than the
 * oldest one waiting is waiting too.
 */
import type { Clock } from '../lib/clock.js';

/** The measured stream of one endpoint. */
export interface StreamRate {
  /**
   * Wire bytes a second of the stream: measured over rounds that follow a round that left nothing
   * pending (a drain's rounds send faster than samples arrive, and would make the stream look
   * several times larger than the link); null until such a round was acked.
   */
  readonly bytesPerSecond: number | null;
  /**
   * Samples a second, measured between rounds that left nothing pending; until then the last
   * backlog found over its age; 0 while neither is known.
   */
  readonly samplesPerSecond: number;
  /** A round found `samples` waiting, the oldest stamped `oldestTimestampMs`. */
  backlogFound(samples: number, oldestTimestampMs: number | null): void;
  /** A round was acked that sent `bytes`. */
  roundSent(bytes: number): void;
  /** An acked round of `samples` left `pending` samples in the WAL. */
  roundEnded(samples: number, pending: number): void;
}

/** Creates the measure of a stream not seen yet. */
export function createStreamRate(clock: Clock): StreamRate {
  let bytesPerSecond: number | null = null;
  let lastRoundAt: number | null = null;
  let samplesPerSecond = 0;
  // The backlog's samples over its age, the age at least a second (a whole commit arrives at once).
  let backlogPerSecond = 0;
  // The end of the last round that left nothing pending, to measure the stream between two such.
  let caughtUpAt: number | null = null;
  // Whether the round before this one left nothing pending.
  let wasCaughtUp = false;

  return {
    get bytesPerSecond() {
      return bytesPerSecond;
    },
    get samplesPerSecond() {
      return samplesPerSecond > 0 ? samplesPerSecond : backlogPerSecond;
    },
    backlogFound(samples, oldestTimestampMs) {
      if (samples > 0 && oldestTimestampMs !== null) backlogPerSecond = (samples * 1000) / Math.max(1000, clock.now() - oldestTimestampMs);
    },
    roundSent(bytes) {
      const now = clock.now();
      if (wasCaughtUp && lastRoundAt !== null && now > lastRoundAt) {
        const rate = (bytes * 1000) / (now - lastRoundAt);
        bytesPerSecond = bytesPerSecond === null ? rate : 0.8 * bytesPerSecond + 0.2 * rate;
      }
      lastRoundAt = now;
    },
    roundEnded(samples, pending) {
      if (pending === 0) {
        const now = clock.now();
        if (wasCaughtUp && caughtUpAt !== null && now > caughtUpAt) {
          const rate = (samples * 1000) / (now - caughtUpAt);
          samplesPerSecond = samplesPerSecond === 0 ? rate : 0.8 * samplesPerSecond + 0.2 * rate;
        }
        caughtUpAt = now;
      }
      wasCaughtUp = pending === 0;
    },
  };
}
