import { labelsKey, parseLabelsKey, type Labels } from '../model/labels.js';
import type { WalDatabase } from './database.js';

/**
 * Label sets ↔ refs, in memory, mirroring the WAL's series table. Each series remembers the last
 * segment it was written to: a commit upserts the series rows first touched in the commit's
 * segment (so a segment's first commit writes one row per live series and later ones almost
 * none), and series whose last segment is gone are collected.
 */
export class SeriesRegistry {
  private readonly refsByKey = new Map<string, number>();
  private readonly keysByRef = new Map<number, string>();
  private lastSegment = new Uint32Array(1024);
  private nextRef: number;

  constructor(db: WalDatabase, private readonly maxSeries: number) {
    const next = db.prepare("SELECT value FROM meta WHERE key = 'next_ref'").get() as { value: number };
    this.nextRef = next.value;
    for (const row of db.prepare('SELECT ref, labels, last_segment FROM series').iterate() as Iterable<{ ref: number; labels: string; last_segment: number }>) {
      this.refsByKey.set(row.labels, row.ref);
      this.keysByRef.set(row.ref, row.labels);
      this.setLastSegment(row.ref, row.last_segment);
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
    this.keysByRef.set(ref, key);
    this.setLastSegment(ref, 0);
    return ref;
  }

  /** Ref of a label set (see `refFor`). */
  refForLabels(labels: Labels): number {
    return this.refFor(labelsKey(labels));
  }

  has(ref: number): boolean {
    return this.keysByRef.has(ref);
  }

  labels(ref: number): Labels | undefined {
    const key = this.keysByRef.get(ref);
    return key === undefined ? undefined : parseLabelsKey(key);
  }

  /**
   * Notes that `ref` is written in `segment`; returns true when its row must be upserted in this
   * commit (first time in the segment). Marks are tentative until the commit succeeds: a failed
   * commit abandons its segment, so the next segment re-upserts every ref it touches.
   */
  touch(ref: number, segment: number): boolean {
    if (this.lastSegment[ref] === segment) return false;
    this.lastSegment[ref] = segment;
    return true;
  }

  key(ref: number): string {
    const key = this.keysByRef.get(ref);
    if (key === undefined) throw new Error(`series ref ${ref} is not registered`);
    return key;
  }

  /** The ref the next new series will get (persisted so refs are never reused). */
  peekNextRef(): number {
    return this.nextRef;
  }

  /** Forgets series last written before `oldestSegment` unless `keep(ref)`; returns how many. */
  collect(oldestSegment: number, keep: (ref: number) => boolean): number {
    let collected = 0;
    for (const [ref, key] of this.keysByRef) {
      if (this.lastSegment[ref]! < oldestSegment && !keep(ref)) {
        this.keysByRef.delete(ref);
        this.refsByKey.delete(key);
        collected++;
      }
    }
    return collected;
  }

  private setLastSegment(ref: number, segment: number): void {
    if (ref >= this.lastSegment.length) {
      let size = this.lastSegment.length;
      while (size <= ref) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.lastSegment);
      this.lastSegment = grown;
    }
    this.lastSegment[ref] = segment;
  }
}
