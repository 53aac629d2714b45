/**
 * What a scrape target's series look like in the WAL, and their staleness across scrapes.
 *
 * A scrape first parses the whole body into a `ScrapeBuffer` (a malformed line discards the
 * scrape, so nothing may reach the WAL before the last line is read), then `TargetSeries` appends
 * the buffered samples. It caches, per exposed series key, the WAL key with the target labels
 * added (the label work runs once per new series, not once per sample) and the number of the last
 * successful scrape that held the series. A series missing from a successful scrape gets a
 * staleness marker and leaves the cache; a failed scrape ends every cached series that way and
 * empties the cache, so markers are written once. Series exposed with their own timestamp are not
 * marked, as in Prometheus: their times belong to the target.
 */
import { normalizeLabels, labelsKey, parseLabelsKey, type Label, type Labels } from '../../model/labels.js';
import { STALE_NAN } from '../../model/staleness.js';
import type { WalAppender } from '../../wal/wal.js';

/** The samples of one scrape, in typed arrays reused from scrape to scrape. */
export class ScrapeBuffer {
  count = 0;
  readonly keys: string[] = [];
  values = new Float64Array(1024);
  /** NaN where the sample had no timestamp (a parsed timestamp is always an integer). */
  timestamps = new Float64Array(1024);

  /** Adds one sample; bound, so it can be handed to `parseExposition` as it is. */
  readonly push = (key: string, value: number, timestampMs: number | null): void => {
    const i = this.count++;
    if (i === this.values.length) {
      const values = new Float64Array(i * 2);
      values.set(this.values);
      this.values = values;
      const timestamps = new Float64Array(i * 2);
      timestamps.set(this.timestamps);
      this.timestamps = timestamps;
    }
    this.keys[i] = key;
    this.values[i] = value;
    this.timestamps[i] = timestampMs ?? NaN;
  };
}

interface CachedSeries {
  /** Key of the series in the WAL, with job and instance; '' when the series is not written. */
  walKey: string;
  /** The WAL's ref for `walKey` while its series generation is `generation`; 0 when not resolved. */
  ref: number;
  generation: number;
  /** Number of the last successful scrape that held the series. */
  seen: number;
  /** True when that scrape gave no timestamp, so the series gets a marker when it goes away. */
  trackStaleness: boolean;
}

// Prometheus's `exported_` prefix (honor_labels: false): an exposed label that a target label
// overrides is kept under this prefix, repeated until the name is free.
const EXPORTED_PREFIX = 'exported_';

/**
 * The series state of one target (not safe for overlapping scrapes; the poller never overlaps
 * rounds of one input).
 */
export class TargetSeries {
  private readonly cache = new Map<string, CachedSeries>();
  private readonly targetLabels: Labels;
  private scrapes = 0;
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
   * Appends a successful scrape's samples (at `nowMs` unless they carry a timestamp) and
   * staleness markers for the series it no longer holds. Returns the number of series that were
   * not in the previous successful scrape.
   */
  appendScrape(appender: WalAppender, buffer: ScrapeBuffer, nowMs: number): number {
    const scrape = ++this.scrapes;
    const generation = appender.seriesGeneration();
    let added = 0;
    for (let i = 0; i < buffer.count; i++) {
      const key = buffer.keys[i]!;
      let series = this.cache.get(key);
      if (series === undefined) {
        series = { walKey: this.walKeyOf(key), ref: 0, generation: 0, seen: 0, trackStaleness: false };
        this.cache.set(key, series);
        added++;
      }
      const timestamp = buffer.timestamps[i]!;
      series.seen = scrape;
      series.trackStaleness = Number.isNaN(timestamp);
      if (series.walKey !== '') this.appendCached(appender, series, generation, series.trackStaleness ? nowMs : timestamp, buffer.values[i]!);
    }
    // Only a scrape that lost series walks the cache (a steady page never does). The parser
    // refuses a series twice in one page, so every buffered sample is a different cached series.
    if (buffer.count < this.cache.size) {
      this.cache.forEach((series, key) => {
        if (series.seen === scrape) return;
        if (series.trackStaleness && series.walKey !== '') this.appendCached(appender, series, generation, nowMs, STALE_NAN);
        this.cache.delete(key);
      });
    }
    return added;
  }

  /** Ends every series of the last successful scrape with a staleness marker, once. */
  markAllStale(appender: WalAppender, nowMs: number): void {
    for (const series of this.cache.values()) {
      if (series.trackStaleness && series.walKey !== '') this.append(appender, series.walKey, nowMs, STALE_NAN);
    }
    this.cache.clear();
  }

  /**
   * Appends one sample to a cached series through the ref it keeps while the WAL's series
   * generation holds: no label-key lookup per sample in steady state. A ref the cardinality cap
   * refused (0) is asked for again, so the WAL counts every refused sample.
   */
  private appendCached(appender: WalAppender, series: CachedSeries, generation: number, timestampMs: number, value: number): void {
    if (series.ref === 0 || series.generation !== generation) {
      this.refKey = series.walKey;
      series.ref = appender.seriesRefByKey(series.walKey, this.refLabels);
      series.generation = generation;
    }
    if (series.ref !== 0) appender.append(series.ref, timestampMs, value);
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
