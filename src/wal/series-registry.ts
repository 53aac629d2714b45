import { getLabel, labelsKey, parseLabelsKey, type Labels } from '../model/labels.js';
import type { WalDatabase } from './database.js';

// How `labelsKey` begins for a label set whose first label is the metric name.
const NAME_PREFIX = '__name__\u0000';

/**
 * Label sets ↔ refs, in memory, mirroring the WAL's series table (ref → labels, written once when
 * a series is new). Which segments hold a series is not kept per row (rewriting every row at
 * every segment would cost more SD writes than the samples); instead each closed segment stores
 * the set of refs it holds (`segment_series`), and the registry keeps, per ref, the newest
 * segment that holds it. Series whose newest segment is gone are collected.
 */
export class SeriesRegistry {
  private readonly refsByKey = new Map<string, number>();
  // Key by ref, undefined where no series is registered. Refs come from a counter and are never
  // reused, so this is dense up to the newest ref, with a hole per collected series: 8 bytes a
  // ref instead of a second map entry per series, and `has`, run once per appended sample, is an
  // array index.
  private readonly keys: Array<string | undefined> = [];
  private lastSegment = new Uint32Array(1024);
  private nextRef: number;
  private unpersisted: number[] = [];
  private collections = 0;

  constructor(db: WalDatabase, private readonly maxSeries: number) {
    const next = db.prepare("SELECT value FROM meta WHERE key = 'next_ref'").get() as { value: number };
    this.nextRef = next.value;
    for (const row of db.prepare('SELECT ref, labels FROM series').iterate() as Iterable<{ ref: number; labels: string }>) {
      this.refsByKey.set(row.labels, row.ref);
      this.register(row.ref, row.labels);
    }
  }

  get size(): number {
    return this.refsByKey.size;
  }

  /** Ref of `key`, creating it when under the cap; 0 when the cap refuses a new series. */
  refFor(key: string): number {
    const existing = this.refsByKey.get(key);
    if (existing !== undefined) return existing;
    if (this.refsByKey.size >= this.maxSeries) return 0;
    const ref = this.nextRef++;
    this.refsByKey.set(key, ref);
    this.register(ref, key);
    this.unpersisted.push(ref);
    return ref;
  }

  /** Ref of a label set (see `refFor`). */
  refForLabels(labels: Labels): number {
    return this.refFor(labelsKey(labels));
  }

  has(ref: number): boolean {
    return this.keys[ref] !== undefined;
  }

  labels(ref: number): Labels | undefined {
    const key = this.keys[ref];
    return key === undefined ? undefined : parseLabelsKey(key);
  }

  key(ref: number): string {
    const key = this.keys[ref];
    if (key === undefined) throw new Error(`series ref ${ref} is not registered`);
    return key;
  }

  /**
   * Notes that `ref` is written in `segment`; true the first time in that segment. A failed commit
   * abandons its segment id, so marks of a failed attempt never suppress a later one.
   */
  touch(ref: number, segment: number): boolean {
    if (this.lastSegment[ref] === segment) return false;
    this.lastSegment[ref] = segment;
    return true;
  }

  /** Records that `segment` holds `refs` (at open, from the stored sets). */
  markSegment(refs: ArrayLike<number>, segment: number): void {
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      if (this.keys[ref] !== undefined && this.lastSegment[ref]! < segment) this.lastSegment[ref] = segment;
    }
  }

  /** Series created since the last successful commit, whose rows that commit must insert. */
  newSeries(): readonly number[] {
    return this.unpersisted;
  }

  /** Called after a successful commit: the new series rows are stored. */
  newSeriesPersisted(): void {
    this.unpersisted = [];
  }

  /**
   * Changes whenever `collect` forgets series: inputs holding refs resolve them again
   * (`WalAppender.seriesGeneration`).
   */
  get generation(): number {
    return this.collections;
  }

  /** The ref the next new series will get (persisted so refs are never reused). */
  peekNextRef(): number {
    return this.nextRef;
  }

  /** Forgets series last written before `oldestSegment` unless `keep(ref)`; returns their refs. */
  collect(oldestSegment: number, keep: (ref: number) => boolean): number[] {
    const collected: number[] = [];
    for (let ref = 0; ref < this.keys.length; ref++) {
      const key = this.keys[ref];
      if (key === undefined || this.lastSegment[ref]! >= oldestSegment || keep(ref)) continue;
      this.keys[ref] = undefined;
      this.refsByKey.delete(key);
      collected.push(ref);
    }
    if (collected.length > 0) {
      this.unpersisted = this.unpersisted.filter((ref) => this.keys[ref] !== undefined);
      this.collections++;
    }
    return collected;
  }

  /** The distinct `__name__` values of the registered series (O(series); run only after a collection). */
  metricNames(): Set<string> {
    const names = new Set<string>();
    for (const key of this.keys) {
      if (key === undefined) continue;
      // Keys start with `__name__` unless a label name sorts before it (upper case): parse only those.
      if (key.startsWith(NAME_PREFIX)) {
        const end = key.indexOf('\u0000', NAME_PREFIX.length);
        names.add(end < 0 ? key.slice(NAME_PREFIX.length) : key.slice(NAME_PREFIX.length, end));
      } else {
        const name = getLabel(parseLabelsKey(key), '__name__');
        if (name !== undefined) names.add(name);
      }
    }
    return names;
  }

  /** Registers `ref` for `key`, written in no segment yet, growing the per-ref arrays as needed. */
  private register(ref: number, key: string): void {
    // Holes filled one by one: an index far past the end would turn the array into a dictionary.
    while (this.keys.length < ref) this.keys.push(undefined);
    this.keys[ref] = key;
    if (ref >= this.lastSegment.length) {
      let size = this.lastSegment.length;
      while (size <= ref) size *= 2;
      const lastSegment = new Uint32Array(size);
      lastSegment.set(this.lastSegment);
      this.lastSegment = lastSegment;
    }
    this.lastSegment[ref] = 0;
  }
}
