/**
 * The series of one target's recent scrapes, by the bytes of their series text. A target exposes
 * the same series scrape after scrape (Prometheus keeps a scrape cache for the same reason), so a
 * line whose series text (`name{labels}` as the page wrote it, blanks included) is known costs a
 * byte comparison instead of scanning, sorting and unescaping labels, and makes no string.
 *
 * Layout: each series is one `CachedSeries` (its key, and where its text sits in `texts`, one
 * byte array holding the texts back to back), found by key through `byKey`, so a series keeps one
 * entry however the page spells it. Pages list their series in the same order every time, so the
 * parser first compares a line with `predicted`, the series that followed the previous one in the
 * last good scrape; only a line that is not where it was is looked up by text (`find`), in an
 * open-addressing table of indices into `all`. That table is built the first time it is needed,
 * so a page that keeps its order never pays for hashing.
 *
 * Bounds: a successful scrape keeps exactly its own series; a failed one drops the series it
 * added. Texts no series points to any more are reclaimed by rebuilding the arrays, which happens
 * only when a scrape dropped series or half the bytes are stale, so a page that does not change
 * costs nothing here. A probe stops after MAX_PROBES slots, so a page crafted to collide costs
 * its lines a full parse, never quadratic time.
 */

/** One series: its key (`labelsKey` of its normalized labels) and its text's place in the cache. */
export class CachedSeries {
  /** Last parse that claimed the series; a second claim in one parse is a repeated series. */
  seenIn = 0;
  /** Index in the last successful scrape's order; -1 for a series that scrape did not hold. */
  position = -1;

  constructor(
    readonly key: string,
    public index: number,
    public textStart: number,
    public textLength: number,
  ) {}

  /** `hashText` of the text, once the cache has a table to look texts up in. */
  hash = 0;
}

const EMPTY = -1;
// Linear probing in a table at most half full takes ~2 probes; 64 is only reached by collisions.
const MAX_PROBES = 64;
const INITIAL_SLOTS = 1024;
const INITIAL_TEXT_BYTES = 64 * 1024;

/** FNV-1a of bytes [start, end), with a final mix so that the low bits used as a slot depend on all. */
function hashText(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let p = start; p < end; p++) h = Math.imul(h ^ bytes[p]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** The series cache of one target; one parse at a time, each ended by `finish`. */
export class SeriesCache {
  private texts = new Uint8Array(INITIAL_TEXT_BYTES);
  private used = 0;
  // Bytes of `texts` no series points to any more.
  private stale = 0;
  // Slot → index into `all`, or EMPTY; null until the first `find`.
  private slots: Int32Array | null = null;
  private filled = 0;
  private all: CachedSeries[] = [];
  private readonly byKey = new Map<string, CachedSeries>();
  // Series of the last successful scrape in page order, and those claimed so far in this parse.
  // Counted rather than cut with `length = 0`, which would free the arrays and grow them anew on
  // every scrape.
  private previous: CachedSeries[] = [];
  private previousCount = 0;
  private current: CachedSeries[] = [];
  private currentCount = 0;
  // `all` before this parse added to it.
  private known = 0;
  private parse = 1;
  private expected = 0;
  private reordered = false;

  /**
   * The series expected on the next sample line: the one that followed the last claimed one in
   * the last successful scrape. Pages keep their order, so this is almost always the line's.
   */
  predicted(): CachedSeries | undefined {
    return this.expected < this.previousCount ? this.previous[this.expected] : undefined;
  }

  /** True when bytes [start, end) begin with the text of `series`. */
  startsWith(series: CachedSeries, bytes: Uint8Array, start: number, end: number): boolean {
    const { texts } = this;
    const length = series.textLength;
    if (length > end - start) return false;
    for (let k = 0, t = series.textStart; k < length; k++, t++) if (texts[t] !== bytes[start + k]) return false;
    return true;
  }

  /**
   * True when the cache held no series as this parse began (a target's first scrape): a line can
   * then only be found if it repeats an earlier one, a failure the key check catches as well.
   */
  wasEmpty(): boolean {
    return this.known === 0;
  }

  /** The series whose text is exactly bytes [start, end), if the cache has it. */
  find(bytes: Uint8Array, start: number, end: number): CachedSeries | undefined {
    const slots = this.slots ?? this.buildTable();
    const length = end - start;
    const hash = hashText(bytes, start, end);
    const mask = slots.length - 1;
    for (let probe = 0, slot = hash & mask; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
      const index = slots[slot]!;
      if (index === EMPTY) return undefined;
      const series = this.all[index]!;
      if (series.hash === hash && series.textLength === length && this.startsWith(series, bytes, start, end)) return series;
    }
    return undefined;
  }

  /**
   * Remembers a freshly parsed series under its text, bytes [start, end). A key the cache holds
   * keeps its one entry, which from now on has this text.
   */
  add(bytes: Uint8Array, start: number, end: number, key: string): CachedSeries {
    const length = end - start;
    if (this.used + length > this.texts.length) {
      // Room for every text the rest of this body can add: one growth per parse at most.
      const texts = new Uint8Array(Math.max(2 * this.texts.length, this.used + bytes.length - start));
      texts.set(this.texts.subarray(0, this.used));
      this.texts = texts;
    }
    const { texts } = this;
    const textStart = this.used;
    for (let k = 0; k < length; k++) texts[textStart + k] = bytes[start + k]!;
    this.used += length;
    let series = this.byKey.get(key);
    if (series === undefined) {
      series = new CachedSeries(key, this.all.length, textStart, length);
      this.all.push(series);
      this.byKey.set(key, series);
    } else {
      this.stale += series.textLength;
      series.textStart = textStart;
      series.textLength = length;
    }
    if (this.slots !== null) {
      series.hash = hashText(bytes, start, end);
      if (2 * (this.filled + 1) > this.slots.length) this.rebuildSlots(2 * this.slots.length);
      this.insert(series.hash, series.index);
    }
    return series;
  }

  /** Marks `series` as a sample of this parse; false when this parse already had it. */
  claim(series: CachedSeries): boolean {
    if (series.seenIn === this.parse) return false;
    series.seenIn = this.parse;
    if (series.position !== this.expected) this.reordered = true;
    // A series of the last scrape puts the prediction back on track after an insertion or removal.
    if (series.position >= 0) this.expected = series.position + 1;
    this.current[this.currentCount++] = series;
    return true;
  }

  /** Ends a parse: a good page becomes the reference; what a failed one added is dropped. */
  finish(ok: boolean): void {
    if (ok) this.keepCurrent();
    else this.dropAdded();
    if (2 * this.stale > this.used) this.rebuild(this.all);
    this.currentCount = 0;
    this.known = this.all.length;
    this.parse++;
    this.expected = 0;
    this.reordered = false;
  }

  private keepCurrent(): void {
    const current = this.current;
    const count = this.currentCount;
    // The same series in the same order as last time: nothing to renumber or drop.
    const changed = this.reordered || count !== this.previousCount;
    this.current = this.previous;
    this.previous = current;
    this.previousCount = count;
    if (!changed) return;
    // A page that shrank lets go of the series it lost.
    current.length = count;
    for (let i = 0; i < count; i++) current[i]!.position = i;
    if (count === this.all.length) return;
    for (const series of this.all) {
      if (series.seenIn === this.parse) continue;
      this.byKey.delete(series.key);
      this.stale += series.textLength;
    }
    this.rebuild(current.slice());
  }

  private dropAdded(): void {
    if (this.all.length === this.known) return;
    const kept = this.all.slice(0, this.known);
    for (let i = this.known; i < this.all.length; i++) {
      this.byKey.delete(this.all[i]!.key);
      this.stale += this.all[i]!.textLength;
    }
    this.rebuild(kept);
  }

  /** Makes `series` the whole cache: their texts packed anew, the table rebuilt. */
  private rebuild(series: CachedSeries[]): void {
    let bytes = 0;
    for (const s of series) bytes += s.textLength;
    const texts = new Uint8Array(Math.max(INITIAL_TEXT_BYTES, 2 * bytes));
    let used = 0;
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const from = s.textStart;
      s.index = i;
      s.textStart = used;
      for (let k = 0; k < s.textLength; k++) texts[used++] = this.texts[from + k]!;
    }
    this.texts = texts;
    this.used = used;
    this.stale = 0;
    this.all = series;
    if (this.slots !== null) this.rebuildSlots(this.slotsFor(series.length));
  }

  /** Hashes every text and fills a new table: the first time a line is not where it was. */
  private buildTable(): Int32Array {
    for (const series of this.all) series.hash = hashText(this.texts, series.textStart, series.textStart + series.textLength);
    return this.rebuildSlots(this.slotsFor(this.all.length));
  }

  /** A table size (a power of two) at most half full with `count` series. */
  private slotsFor(count: number): number {
    let size = INITIAL_SLOTS;
    while (size < 2 * count) size *= 2;
    return size;
  }

  private rebuildSlots(size: number): Int32Array {
    const slots = new Int32Array(size).fill(EMPTY);
    this.slots = slots;
    this.filled = 0;
    for (const series of this.all) this.insert(series.hash, series.index);
    return slots;
  }

  private insert(hash: number, index: number): void {
    const slots = this.slots!;
    const mask = slots.length - 1;
    for (let probe = 0, slot = hash & mask; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
      if (slots[slot] !== EMPTY) continue;
      slots[slot] = index;
      this.filled++;
      return;
    }
  }
}
