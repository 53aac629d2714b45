/**
 * What a scrape target's series look like in the WAL, and their staleness across scrapes.
 *
 * A scrape first parses the whole body into a `ScrapeBuffer` (a malformed line discards the
 * scrape, so nothing may reach the WAL before the last line is read), then `TargetSeries` appends
 * the buffered samples. It keeps, per series, the WAL key with the target labels added (the label
 * work runs once per new series, not once per sample), its ref, and whether it was in the last
 * scrape appended; it keeps them in the target's `SeriesCache`, beside what the parser keeps, so a
 * series costs one entry there and none here. A series missing from a successful scrape gets a
 * staleness marker; a failed scrape ends every series of the last appended one that way and
 * forgets that they were appended, so markers are written once. Series exposed with their own
 * timestamp are not marked, as in Prometheus: their times belong to the target.
 */
import { normalizeLabels, labelsKey, parseLabelsKey, type Label, type Labels } from '../../model/labels.js';
import { STALE_NAN } from '../../model/staleness.js';
import type { WalAppender } from '../../wal/wal.js';
import { IN_WAL, MARK_WHEN_LOST, SeriesCache } from './series-cache.js';

/**
 * The values and timestamps of one scrape in page order (sample k is the series
 * `SeriesCache.pageSeries(k)`), in typed arrays reused from scrape to scrape.
 */
export class ScrapeBuffer {
  count = 0;
  values = new Float64Array(1024);
  /** NaN where the sample had no timestamp (a parsed timestamp is always an integer). */
  timestamps = new Float64Array(1024);

  /** Adds one sample; bound, so it can be handed to `parseExposition` as it is. */
  readonly push = (_key: string, value: number, timestampMs: number | null): void => {
    const i = this.count++;
    if (i === this.values.length) {
      const values = new Float64Array(i * 2);
      values.set(this.values);
      this.values = values;
      const timestamps = new Float64Array(i * 2);
      timestamps.set(this.timestamps);
      this.timestamps = timestamps;
    }
    this.values[i] = value;
    this.timestamps[i] = timestampMs ?? NaN;
  };
}

// Prometheus's `exported_` prefix (honor_labels: false): an exposed label that a target label
// overrides is kept under this prefix, repeated until the name is free.
const EXPORTED_PREFIX = 'exported_';

/**
 * The series state of one target (not safe for overlapping scrapes; the poller never overlaps
 * rounds of one input).
 */
export class TargetSeries {
  /** The cache to parse this target's pages with; it holds this class's per-series state too. */
  readonly cache = new SeriesCache();
  private readonly targetLabels: Labels;
  // `seriesRefByKey` takes a labels thunk; one bound thunk over this field saves a closure per sample.
  private refKey = '';
  private readonly refLabels = (): Labels => parseLabelsKey(this.refKey);

  /**
   * `reservedKeys` are WAL keys the caller writes itself (the scrape's `up` and friends); an
   * exposed series that would land on one is dropped so the WAL never gets two values for one
   * series at one timestamp.
   */
  constructor(job: string, instance: string, private readonly reservedKeys: ReadonlySet<string>) {
    this.targetLabels = [{ name: 'instance', value: instance }, { name: 'job', value: job }];
  }

  /**
   * Appends a successful scrape's samples (at `nowMs` unless they carry a timestamp), parsed into
   * `buffer` through `cache`, and staleness markers for the series it no longer holds. Returns
   * the number of series that were not in the previous scrape appended.
   */
  appendScrape(appender: WalAppender, buffer: ScrapeBuffer, nowMs: number): number {
    const { cache } = this;
    const generation = appender.seriesGeneration();
    let added = 0;
    for (let k = 0; k < buffer.count; k++) {
      const i = cache.pageSeries(k);
      let walKey = cache.walKey(i);
      if (walKey === undefined) cache.setWalKey(i, (walKey = this.walKeyOf(cache.key(i))));
      if ((cache.flags(i) & IN_WAL) === 0) added++;
      const timestamp = buffer.timestamps[k]!;
      const trackStaleness = Number.isNaN(timestamp);
      cache.setFlags(i, IN_WAL | (trackStaleness && walKey !== '' ? MARK_WHEN_LOST : 0));
      if (walKey !== '') this.appendCached(appender, i, walKey, generation, trackStaleness ? nowMs : timestamp, buffer.values[k]!);
    }
    // The cache let go of the series the page lost as the parse finished, keeping their WAL keys.
    for (const walKey of cache.lost) this.append(appender, walKey, nowMs, STALE_NAN);
    return added;
  }

  /** Ends every series of the last scrape appended with a staleness marker, once. */
  markAllStale(appender: WalAppender, nowMs: number): void {
    const { cache } = this;
    for (let i = 0; i < cache.size; i++) {
      if ((cache.flags(i) & MARK_WHEN_LOST) !== 0) this.append(appender, cache.walKey(i)!, nowMs, STALE_NAN);
      cache.setFlags(i, 0);
    }
  }

  /**
   * Appends one sample to series `i` of the cache through the ref it keeps while the WAL's series
   * generation holds: no label-key lookup per sample in steady state. A ref the cardinality cap
   * refused (0) is asked for again, so the WAL counts every refused sample.
   */
  private appendCached(appender: WalAppender, i: number, walKey: string, generation: number, timestampMs: number, value: number): void {
    let ref = this.cache.ref(i, generation);
    if (ref === 0) {
      this.refKey = walKey;
      ref = appender.seriesRefByKey(walKey, this.refLabels);
      this.cache.setRef(i, ref, generation);
    }
    if (ref !== 0) appender.append(ref, timestampMs, value);
  }

  /** Appends one sample to the series of `walKey`, unless the WAL's cardinality cap refuses it. */
  append(appender: WalAppender, walKey: string, timestampMs: number, value: number): void {
    this.refKey = walKey;
    const ref = appender.seriesRefByKey(walKey, this.refLabels);
    if (ref !== 0) appender.append(ref, timestampMs, value);
  }

  /** The WAL key of an exposed series: target labels win, conflicting exposed ones are renamed. */
  private walKeyOf(exposedKey: string): string {
    const labels: Label[] = [];
    const conflicts: Label[] = [];
    for (const label of parseLabelsKey(exposedKey)) {
      (this.targetLabels.some((t) => t.name === label.name) ? conflicts : labels).push(label);
    }
    // As Prometheus's resolveConflictingExposedLabels: shorter names pick their new name first.
    conflicts.sort((a, b) => a.name.length - b.name.length);
    for (const conflict of conflicts) {
      let name = EXPORTED_PREFIX + conflict.name;
      while (labels.some((l) => l.name === name)) name = EXPORTED_PREFIX + name;
      labels.push({ name, value: conflict.value });
    }
    labels.push(...this.targetLabels);
    const normalized = normalizeLabels(labels);
    // The parser has validated every name and value, so this is a broken invariant.
    if (typeof normalized === 'string') throw new Error(`scraped series ${exposedKey} cannot be labelled: ${normalized}`);
    const walKey = labelsKey(normalized);
    return this.reservedKeys.has(walKey) ? '' : walKey;
  }
}
