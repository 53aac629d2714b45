/**
 * Regrouping a WAL batch by series for a remote-write request.
 *
 * A WAL batch is in append order: the samples of one scrape interleave every series, and each
 * series' samples come oldest first. A stable counting sort by series (ordered by each series'
 * first sample in the batch) moves them into two columns where each series' samples sit together,
 * still oldest first; each series then becomes one
 * `SeriesSamples` view (one object per series, none per sample) and one TimeSeries on the wire.
 *
 * A sender groups one batch per round, every few seconds, so the grouper keeps its work arrays
 * (a ref → group table, the columns) from round to round instead of making them anew: a round of
 * 40,000 samples would otherwise allocate a Map of 10,000 entries and about a megabyte of arrays.
 */
import type { SampleColumns } from '../wal/encoding.js';
import type { SeriesSamples } from './series-samples.js';
import type { WireSeries } from './wire-series.js';

/** A batch regrouped by series (see `SeriesGrouper.group`). */
export interface GroupedSamples {
  /** One entry per series, in order of each series' first sample in the batch. */
  readonly series: SeriesSamples[];
  /** Samples left out because their series has no labels any more. */
  readonly unlabelled: number;
  /** Samples left out because the endpoint's write relabel rules drop their series. */
  readonly filtered: number;
}

const EMPTY = 0; // WAL refs start at 1
const UNLABELLED = -1;
const FILTERED = -2;

/** Groups WAL batches by series, reusing its arrays; one grouping at a time (see `group`). */
export class SeriesGrouper {
  // Open addressing, ref → group (or UNLABELLED), at most half full.
  private slotRefs = new Uint32Array(1024);
  private slotGroups = new Int32Array(1024);
  private groupOf = new Int32Array(1024);
  private sizes: Uint32Array = new Uint32Array(256);
  private next = new Uint32Array(256);
  private timestamps = new Float64Array(1024);
  private values = new Float64Array(1024);
  // The views handed out, one per group, kept and refilled: a round's views live for seconds while
  // its requests go out, long enough to be promoted to the old generation if they were new every
  // round. (Arrays here are never cut with `length = 0`, which would free them.)
  private readonly views: Array<{ -readonly [K in keyof SeriesSamples]: SeriesSamples[K] }> = [];
  private groups = 0;
  private readonly result: SeriesSamples[] = [];

  /**
   * Groups the first `count` samples of `columns` (a `WalBatch`) by series ref, keeping each
   * series' samples in batch order, and looks up each series once with `seriesOf` (a
   * `WireSeriesCache`'s `get`). Samples whose series has no labels (collected, which the WAL rules
   * out for data it still holds) are left out and counted, so they can be reported rather than
   * block delivery. Samples of series `seriesOf` gives as null (dropped by the endpoint's write
   * relabel rules) are left out and counted apart. The result (its list, views and columns) is the grouper's own, not the batch's:
   * it stays valid after the WAL's next `read()`, until the next `group` call. Values are copied as
   * bits, so NaN payloads survive.
   */
  group(columns: SampleColumns & { readonly count: number }, seriesOf: (ref: number) => WireSeries | null | undefined): GroupedSamples {
    const n = columns.count;
    const { refs, timestamps } = columns;
    this.reserve(n);
    const { slotRefs, slotGroups, groupOf } = this;
    const mask = slotRefs.length - 1;
    slotRefs.fill(EMPTY);
    this.groups = 0;

    // Pass 1: the group of every sample and each group's size.
    let unlabelled = 0;
    let filtered = 0;
    for (let i = 0; i < n; i++) {
      const ref = refs[i]!;
      let slot = hashRef(ref) & mask;
      while (slotRefs[slot] !== ref && slotRefs[slot] !== EMPTY) slot = (slot + 1) & mask;
      let group: number;
      if (slotRefs[slot] === ref) {
        group = slotGroups[slot]!;
      } else {
        const wire = seriesOf(ref);
        group = wire === undefined ? UNLABELLED : wire === null ? FILTERED : this.addGroup(wire);
        slotRefs[slot] = ref;
        slotGroups[slot] = group;
      }
      groupOf[i] = group;
      if (group === UNLABELLED) unlabelled++;
      else if (group === FILTERED) filtered++;
      else this.sizes[group]!++;
    }

    // Pass 2: each group's start, then every sample to its place. Values move as two 32-bit words
    // so that no NaN ever passes through a JS number.
    const { sizes, next, views, result, timestamps: outTimes, values: outValues } = this;
    result.length = this.groups;
    let start = 0;
    for (let g = 0; g < this.groups; g++) {
      next[g] = start;
      const view = views[g]!;
      view.timestamps = outTimes;
      view.values = outValues;
      view.start = start;
      view.count = sizes[g]!;
      result[g] = view;
      start += sizes[g]!;
    }
    const inWords = new Uint32Array(columns.values.buffer, columns.values.byteOffset, n * 2);
    const outWords = new Uint32Array(outValues.buffer, 0, 2 * (n - unlabelled - filtered));
    for (let i = 0; i < n; i++) {
      const group = groupOf[i]!;
      if (group < 0) continue;
      const to = next[group]!++;
      outTimes[to] = timestamps[i]!;
      outWords[2 * to] = inWords[2 * i]!;
      outWords[2 * to + 1] = inWords[2 * i + 1]!;
    }
    return { series: result, unlabelled, filtered };
  }

  private addGroup(wire: WireSeries): number {
    const group = this.groups++;
    const view = this.views[group];
    if (view === undefined) this.views.push({ series: wire, timestamps: this.timestamps, values: this.values, start: 0, count: 0 });
    else view.series = wire;
    if (group === this.sizes.length) {
      this.sizes = grown(this.sizes, 2 * group);
      this.next = new Uint32Array(this.sizes.length);
    }
    this.sizes[group] = 0;
    return group;
  }

  /** Room for a batch of `n` samples (so at most `n` series). */
  private reserve(n: number): void {
    if (this.groupOf.length < n) {
      const size = Math.max(n, 2 * this.groupOf.length);
      this.groupOf = new Int32Array(size);
      this.timestamps = new Float64Array(size);
      this.values = new Float64Array(size);
    }
    let slots = this.slotRefs.length;
    while (slots < 2 * n) slots *= 2;
    if (slots !== this.slotRefs.length) {
      this.slotRefs = new Uint32Array(slots);
      this.slotGroups = new Int32Array(slots);
    }
  }
}

function hashRef(ref: number): number {
  const h = Math.imul(ref, 0x9e3779b1);
  return h ^ (h >>> 16);
}

function grown(a: Uint32Array, size: number): Uint32Array {
  const b = new Uint32Array(size);
  b.set(a);
  return b;
}
