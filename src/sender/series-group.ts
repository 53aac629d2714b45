/**
 * Regrouping a WAL batch by series for a remote-write request.
 *
 * A WAL batch is in append order: the samples of one scrape interleave every series, and each
 * series' samples come oldest first. A stable counting sort by ref moves them into two new columns
 * where each series' samples sit together, still oldest first; each series then becomes one
 * `SeriesSamples` view (one object per series, none per sample) and one TimeSeries on the wire.
 */
import type { SampleColumns } from '../wal/encoding.js';
import type { SeriesSamples } from './remote-write.js';
import type { WireSeries } from './wire-series.js';

/** A batch regrouped by series (see `groupBySeries`). */
export interface GroupedSamples {
  /** One entry per series, in order of each series' first sample in the batch. */
  readonly series: SeriesSamples[];
  /** Samples left out because their series has no labels any more. */
  readonly unlabelled: number;
}

/**
 * Groups the first `count` samples of `columns` (a `WalBatch`) by series ref, keeping each
 * series' samples in batch order, and looks up each series once with `seriesOf` (a
 * `WireSeriesCache`'s `get`). Samples whose series has no labels (collected, which the WAL rules
 * out for data it still holds) are left out and counted, so they can be reported rather than
 * block delivery. The result owns new columns: it stays valid after the WAL's next `read()`.
 * Values are copied as bits, so NaN payloads survive.
 */
export function groupBySeries(
  columns: SampleColumns & { readonly count: number },
  seriesOf: (ref: number) => WireSeries | undefined,
): GroupedSamples {
  const n = columns.count;
  const { refs, timestamps } = columns;
  // Pass 1: the group of every sample (-1: unlabelled) and each group's size.
  const groupOf = new Int32Array(n);
  const groupByRef = new Map<number, number>();
  const groupSeries: WireSeries[] = [];
  const sizes: number[] = [];
  let unlabelled = 0;
  for (let i = 0; i < n; i++) {
    const ref = refs[i]!;
    let group = groupByRef.get(ref);
    if (group === undefined) {
      const wire = seriesOf(ref);
      group = wire === undefined ? -1 : groupSeries.length;
      groupByRef.set(ref, group);
      if (wire !== undefined) {
        groupSeries.push(wire);
        sizes.push(0);
      }
    }
    groupOf[i] = group;
    if (group < 0) unlabelled++;
    else sizes[group]!++;
  }

  // Pass 2: each group's start, then every sample to its place. Values move as two 32-bit words
  // so that no NaN ever passes through a JS number.
  const series: SeriesSamples[] = [];
  const next = new Uint32Array(groupSeries.length);
  const outTimestamps = new Float64Array(n - unlabelled);
  const outValues = new Float64Array(n - unlabelled);
  let start = 0;
  for (let g = 0; g < groupSeries.length; g++) {
    next[g] = start;
    series.push({ series: groupSeries[g]!, timestamps: outTimestamps, values: outValues, start, count: sizes[g]! });
    start += sizes[g]!;
  }
  const inWords = new Uint32Array(columns.values.buffer, columns.values.byteOffset, n * 2);
  const outWords = new Uint32Array(outValues.buffer);
  for (let i = 0; i < n; i++) {
    const group = groupOf[i]!;
    if (group < 0) continue;
    const to = next[group]!++;
    outTimestamps[to] = timestamps[i]!;
    outWords[2 * to] = inWords[2 * i]!;
    outWords[2 * to + 1] = inWords[2 * i + 1]!;
  }
  return { series, unlabelled };
}
