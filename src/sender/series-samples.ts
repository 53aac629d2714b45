import type { WireSeries } from './wire-series.js';

/**
 * The samples of one series for one request: `count` samples from index `start` of two parallel
 * columns, oldest first. Many series may share the same columns (as `SeriesGrouper` builds them),
 * so a batch costs one object per series and none per sample.
 */
export interface SeriesSamples {
  /** The series: its labels, external labels merged in, and their encoding. */
  readonly series: WireSeries;
  /** Sample times in milliseconds since the epoch; each a safe integer. */
  readonly timestamps: Float64Array;
  /** Sample values; their bits (NaN payloads included) reach the wire unchanged. */
  readonly values: Float64Array;
  readonly start: number;
  readonly count: number;
}
