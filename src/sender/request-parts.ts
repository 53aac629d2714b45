/**
 * Cutting a shard's series into requests, and requests into parts, without copying samples: every
 * piece is a `SeriesSamples` view into the same columns, one object per series per piece.
 *
 * A request is split by size (`requestsOf`: samples and bytes per request) and, when the receiver
 * refuses some of its samples, by time (`splitByTime`): the older half goes first, then the newer,
 * so each series' samples still reach the receiver oldest first.
 */
import type { SeriesSamples } from './series-samples.js';

/** The series of one request, and how many samples they hold. */
export interface Request {
  readonly series: SeriesSamples[];
  readonly samples: number;
}

/** Splits `series` into requests of at most `maxSamples` samples, a series' samples in order. */
export function requestsOf(series: ReadonlyArray<SeriesSamples>, maxSamples: number): Request[] {
  const cutter = requestCutter(series);
  const requests: Request[] = [];
  for (let request = cutter.next(maxSamples); request !== null; request = cutter.next(maxSamples)) requests.push(request);
  return requests;
}

/** Cuts requests off the front of a shard's series one at a time. */
export interface RequestCutter {
  /** The next request of at most `maxSamples` samples (at least one), or null when none is left. */
  next(maxSamples: number): Request | null;
}

/**
 * Cuts `series` into requests in order, each of the size asked for when it is cut: a sender
 * that slows down mid-round (a receiver's 429) makes its next requests smaller at once.
 */
export function requestCutter(series: ReadonlyArray<SeriesSamples>): RequestCutter {
  let index = 0;
  let offset = 0;
  return {
    next(maxSamples) {
      const limit = Math.max(1, maxSamples);
      const current: SeriesSamples[] = [];
      let samples = 0;
      while (index < series.length && samples < limit) {
        const s = series[index]!;
        if (s.count === 0) {
          index++;
          continue;
        }
        const take = Math.min(s.count - offset, limit - samples);
        current.push(take === s.count ? s : slice(s, s.start + offset, take));
        samples += take;
        offset += take;
        if (offset >= s.count) {
          index++;
          offset = 0;
        }
      }
      return samples === 0 ? null : { series: current, samples };
    },
  };
}

/**
 * Splits `series` at the middle of its time span into the samples before it and the rest, or
 * returns null when the span is at most `resolutionMs` (nothing left worth telling apart). Halving
 * the span rather than the sample count isolates outliers fast: a device whose clock is an hour
 * behind lands alone in the older half at the first cut.
 */
export function splitByTime(series: ReadonlyArray<SeriesSamples>, resolutionMs: number): [SeriesSamples[], SeriesSamples[]] | null {
  const oldest = oldestTimestamp(series);
  const newest = newestTimestamp(series);
  if (oldest === null || newest === null || newest - oldest <= resolutionMs) return null;
  const middle = oldest + (newest - oldest) / 2;
  const older: SeriesSamples[] = [];
  const newer: SeriesSamples[] = [];
  for (const s of series) {
    const cut = firstAfter(s, middle);
    if (cut > 0) older.push(cut === s.count ? s : slice(s, s.start, cut));
    if (cut < s.count) newer.push(cut === 0 ? s : slice(s, s.start + cut, s.count - cut));
  }
  return [older, newer];
}

/** `series` without its samples at or before `cutoffMs`, and how many were left out. */
export function withoutOlderThan(series: SeriesSamples[], cutoffMs: number): { kept: SeriesSamples[]; dropped: number } {
  const kept: SeriesSamples[] = [];
  let dropped = 0;
  for (const s of series) {
    const cut = firstAfter(s, cutoffMs);
    dropped += cut;
    if (cut < s.count) kept.push(cut === 0 ? s : slice(s, s.start + cut, s.count - cut));
  }
  return { kept, dropped };
}

/** Samples held by `series`. */
export function sampleCount(series: ReadonlyArray<SeriesSamples>): number {
  let n = 0;
  for (const s of series) n += s.count;
  return n;
}

/** The newest sample time in `series`, or null when it holds none. */
export function newestTimestamp(series: ReadonlyArray<SeriesSamples>): number | null {
  let newest: number | null = null;
  for (const s of series) if (s.count > 0) newest = Math.max(newest ?? -Infinity, s.timestamps[s.start + s.count - 1]!);
  return newest;
}

/** The oldest sample time in `series`, or null when it holds none. */
export function oldestTimestamp(series: ReadonlyArray<SeriesSamples>): number | null {
  let oldest: number | null = null;
  for (const s of series) if (s.count > 0) oldest = Math.min(oldest ?? Infinity, s.timestamps[s.start]!);
  return oldest;
}

/** How many of the series' samples (oldest first) lie at or before `timeMs`. */
function firstAfter(s: SeriesSamples, timeMs: number): number {
  let k = 0;
  while (k < s.count && s.timestamps[s.start + k]! <= timeMs) k++;
  return k;
}

function slice(s: SeriesSamples, start: number, count: number): SeriesSamples {
  return { series: s.series, timestamps: s.timestamps, values: s.values, start, count };
}
