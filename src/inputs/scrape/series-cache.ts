/**
 * The series of one target's recent scrapes, by the bytes of their series text, and what the target
 * keeps of each for the WAL. A target exposes the same series scrape after scrape (Prometheus keeps
 * a scrape cache for the same reason), so a line whose series text (`name{labels}` as the page
 * wrote it, blanks included) is known costs a byte comparison instead of scanning, sorting and
 * unescaping labels, and makes no string.
 *
 * Layout: a series is an index into parallel arrays: its key, its WAL key, and FIELDS integers in
 * `fields` (where its text sits in `texts`, one byte array holding the texts back to back, and the
 * state target-series.ts keeps: ref, generation, flags). `byKey` finds it by key, so a series keeps
 * one entry however the page spells it. One index and one map entry per series, no object: an
 * object for the parser and another for the WAL side, each in a map of its own, cost ~300 bytes a
 * series at 10,000 series. Pages list their series in the same order every time, so the parser
 * first compares a line with `predicted`, the series that followed the previous one in the last
 * good scrape; only a line that is not where it was is looked up by text (`find`), in an
 * open-addressing table of series indices. That table is built the first time it is needed, so a
 * page that keeps its order never pays for hashing.
 *
 * Bounds: a successful scrape keeps exactly its own series (renumbered in page order); a failed
 * one drops the series it added. Texts no series points to any more are reclaimed by rebuilding the
 * arrays, which happens only when a scrape dropped series or half the bytes are stale, so a page
 * that does not change costs nothing here. A probe stops after MAX_PROBES slots, so a page crafted
 * to collide costs its lines a full parse, never quadratic time.
 */

/** No series: what `predicted`, `find` and `pageSeries` give when there is none. */
export const NONE = -1;

/**
 * Bits of `flags`, set by target-series.ts. IN_WAL: the series was in the last scrape appended to
 * the WAL. MARK_WHEN_LOST: a page that no longer holds it ends it with a staleness marker.
 */
export const IN_WAL = 1;
export const MARK_WHEN_LOST = 2;

// The integers of series i, at FIELDS * i in `fields`. SEEN_IN: the last parse that claimed the
// series (a second claim in one parse is a repeated series). POSITION: its index in the last
// successful scrape's order, -1 for a series that scrape did not hold. HASH: `hashText` of its
// text, once the cache has a table to look texts up in. REF, GENERATION: see `ref` (refs fit:
// the WAL indexes typed arrays by them, so they stay far below 2^31).
const TEXT_START = 0, TEXT_LENGTH = 1, HASH = 2, SEEN_IN = 3, POSITION = 4, REF = 5, GENERATION = 6, FLAGS = 7;
const FIELDS = 8;

const EMPTY = -1;
// Linear probing in a table at most half full takes ~2 probes; 64 is only reached by collisions.
const MAX_PROBES = 64;
const INITIAL_SLOTS = 1024;
const INITIAL_TEXT_BYTES = 64 * 1024;
const INITIAL_SERIES = 64;

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
  /**
   * WAL keys of the series the last `finish` let go while their flags held MARK_WHEN_LOST; the
   * target writes their markers before the next parse.
   */
  readonly lost: string[] = [];
  private texts = new Uint8Array(INITIAL_TEXT_BYTES);
  private used = 0;
  // Bytes of `texts` no series points to any more.
  private stale = 0;
  // Slot → series index, or EMPTY; null until the first `find`.
  private slots: Int32Array | null = null;
  private filled = 0;
  // Series [0, held): key, WAL key (undefined until the target works it out), fields.
  private held = 0;
  private keys: string[] = [];
  private walKeys: Array<string | undefined> = [];
  private fields = new Int32Array(FIELDS * INITIAL_SERIES);
  private readonly byKey = new Map<string, number>();
  // Series of the last successful scrape in page order, and those claimed so far in this parse.
  private previous = new Int32Array(INITIAL_SERIES);
  private previousCount = 0;
  private current = new Int32Array(INITIAL_SERIES);
  private currentCount = 0;
  // Series held, and text bytes, before this parse added to them.
  private known = 0;
  private knownText = 0;
  private parse = 1;
  private expected = 0;
  private reordered = false;

  /**
   * The series expected on the next sample line: the one that followed the last claimed one in
   * the last successful scrape. Pages keep their order, so this is almost always the line's.
   */
  predicted(): number {
    return this.expected < this.previousCount ? this.previous[this.expected]! : NONE;
  }

  /** The key of series `i`: `labelsKey` of its normalized labels. */
  key(i: number): string {
    return this.keys[i]!;
  }

  /** Bytes in the text of series `i`. */
  textLength(i: number): number {
    return this.fields[FIELDS * i + TEXT_LENGTH]!;
  }

  /** True when bytes [start, end) begin with the text of series `i`. */
  startsWith(i: number, bytes: Uint8Array, start: number, end: number): boolean {
    const { texts } = this;
    const length = this.fields[FIELDS * i + TEXT_LENGTH]!;
    // A series without text (after `shed`) matches nothing.
    if (length === 0 || length > end - start) return false;
    for (let k = 0, t = this.fields[FIELDS * i + TEXT_START]!; k < length; k++, t++) if (texts[t] !== bytes[start + k]) return false;
    return true;
  }

  /**
   * True when the cache knew no series text as this parse began (a target's first scrape, or the
   * first after `shed`): a line can then only be found if it repeats an earlier one, a failure the
   * key check catches as well.
   */
  wasEmpty(): boolean {
    return this.knownText === 0;
  }

  /** The series whose text is exactly bytes [start, end), or NONE. */
  find(bytes: Uint8Array, start: number, end: number): number {
    const slots = this.slots ?? this.buildTable();
    const length = end - start;
    const hash = hashText(bytes, start, end);
    const mask = slots.length - 1;
    for (let probe = 0, slot = hash & mask; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
      const i = slots[slot]!;
      if (i === EMPTY) return NONE;
      const at = FIELDS * i;
      if (this.fields[at + HASH] === hash && this.fields[at + TEXT_LENGTH] === length && this.startsWith(i, bytes, start, end)) return i;
    }
    return NONE;
  }

  /**
   * Remembers a freshly parsed series under its text, bytes [start, end). A key the cache holds
   * keeps its one series, which from now on has this text.
   */
  add(bytes: Uint8Array, start: number, end: number, key: string): number {
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
    let i = this.byKey.get(key);
    if (i === undefined) {
      i = this.held++;
      if (this.held > this.previous.length) this.resize(2 * this.previous.length);
      this.keys.push(key);
      this.walKeys.push(undefined);
      this.fields.fill(0, FIELDS * i, FIELDS * (i + 1));
      this.fields[FIELDS * i + POSITION] = -1;
      this.byKey.set(key, i);
    } else {
      this.stale += this.fields[FIELDS * i + TEXT_LENGTH]!;
    }
    this.fields[FIELDS * i + TEXT_START] = textStart;
    this.fields[FIELDS * i + TEXT_LENGTH] = length;
    if (this.slots !== null) {
      const hash = hashText(bytes, start, end);
      this.fields[FIELDS * i + HASH] = hash;
      if (2 * (this.filled + 1) > this.slots.length) this.rebuildSlots(2 * this.slots.length);
      this.insert(hash, i);
    }
    return i;
  }

  /** Marks series `i` as a sample of this parse; false when this parse already had it. */
  claim(i: number): boolean {
    const at = FIELDS * i;
    if (this.fields[at + SEEN_IN] === this.parse) return false;
    this.fields[at + SEEN_IN] = this.parse;
    const position = this.fields[at + POSITION]!;
    if (position !== this.expected) this.reordered = true;
    // A series of the last scrape puts the prediction back on track after an insertion or removal.
    if (position >= 0) this.expected = position + 1;
    this.current[this.currentCount++] = i;
    return true;
  }

  /** Ends a parse: a good page becomes the reference; what a failed one added is dropped. */
  finish(ok: boolean): void {
    this.lost.length = 0;
    if (ok) this.keepCurrent();
    else this.dropAdded();
    if (2 * this.stale > this.used) this.rebuild(null, this.held);
    this.currentCount = 0;
    this.known = this.held;
    this.knownText = this.used;
    this.parse++;
    this.expected = 0;
    this.reordered = false;
  }

  /**
   * Drops the texts and the table (OUTPOST_MEMORY_LIMIT) but not the series, their order and their
   * WAL state: the next scrape parses every line in full once and gives each series its text again.
   */
  shed(): void {
    this.texts = new Uint8Array(INITIAL_TEXT_BYTES);
    this.used = 0;
    this.stale = 0;
    this.knownText = 0;
    this.slots = null;
    for (let at = 0; at < FIELDS * this.held; at += FIELDS) {
      this.fields[at + TEXT_START] = 0;
      this.fields[at + TEXT_LENGTH] = 0;
    }
  }

  /** Series held: their indices are 0 to size - 1. */
  get size(): number {
    return this.held;
  }

  /** The series of sample `k` of the last successful parse (samples are claimed in page order). */
  pageSeries(k: number): number {
    return k < this.previousCount ? this.previous[k]! : NONE;
  }

  /** The WAL key target-series.ts gave series `i`, or undefined. */
  walKey(i: number): string | undefined {
    return this.walKeys[i];
  }

  setWalKey(i: number, walKey: string): void {
    this.walKeys[i] = walKey;
  }

  /** The WAL ref of series `i` if it was resolved in series generation `generation`, else 0. */
  ref(i: number, generation: number): number {
    return this.fields[FIELDS * i + GENERATION] === generation ? this.fields[FIELDS * i + REF]! : 0;
  }

  /** Keeps `ref` for series `i` while the WAL's series generation is `generation`. */
  setRef(i: number, ref: number, generation: number): void {
    this.fields[FIELDS * i + REF] = ref;
    this.fields[FIELDS * i + GENERATION] = generation;
  }

  flags(i: number): number {
    return this.fields[FIELDS * i + FLAGS]!;
  }

  setFlags(i: number, flags: number): void {
    this.fields[FIELDS * i + FLAGS] = flags;
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
    for (let k = 0; k < count; k++) this.fields[FIELDS * current[k]! + POSITION] = k;
    if (count === this.held) return;
    // A page that shrank lets go of the series it lost.
    for (let i = 0, at = 0; i < this.held; i++, at += FIELDS) {
      if (this.fields[at + SEEN_IN] === this.parse) continue;
      this.byKey.delete(this.keys[i]!);
      this.stale += this.fields[at + TEXT_LENGTH]!;
      if ((this.fields[at + FLAGS]! & MARK_WHEN_LOST) !== 0) this.lost.push(this.walKeys[i]!);
    }
    this.rebuild(current, count);
  }

  private dropAdded(): void {
    if (this.held === this.known) return;
    for (let i = this.known; i < this.held; i++) {
      this.byKey.delete(this.keys[i]!);
      this.stale += this.fields[FIELDS * i + TEXT_LENGTH]!;
    }
    this.held = this.known;
    this.keys.length = this.known;
    this.walKeys.length = this.known;
    if (this.slots !== null) this.rebuildSlots(this.slotsFor(this.held));
  }

  /**
   * Keeps the first `count` series of `order` (when null, series 0 to count - 1 as they are) as
   * series 0 to count - 1: fields moved, texts packed anew, the table rebuilt. With an order, that
   * order is the last scrape's page order, so `previous` becomes 0, 1, ...
   */
  private rebuild(order: Int32Array | null, count: number): void {
    const from = (k: number): number => (order === null ? k : order[k]!);
    let bytes = 0;
    for (let k = 0; k < count; k++) bytes += this.fields[FIELDS * from(k) + TEXT_LENGTH]!;
    const texts = new Uint8Array(Math.max(INITIAL_TEXT_BYTES, 2 * bytes));
    const fields = order === null ? this.fields : new Int32Array(FIELDS * Math.max(INITIAL_SERIES, count));
    const keys = order === null ? this.keys : [];
    const walKeys = order === null ? this.walKeys : [];
    let used = 0;
    for (let k = 0; k < count; k++) {
      const i = from(k);
      const at = FIELDS * k;
      if (order !== null) {
        fields.set(this.fields.subarray(FIELDS * i, FIELDS * (i + 1)), at);
        keys.push(this.keys[i]!);
        walKeys.push(this.walKeys[i]);
        if (i !== k) this.byKey.set(this.keys[i]!, k);
      }
      const textStart = this.fields[FIELDS * i + TEXT_START]!;
      const length = fields[at + TEXT_LENGTH]!;
      fields[at + TEXT_START] = used;
      for (let t = 0; t < length; t++) texts[used++] = this.texts[textStart + t]!;
    }
    this.texts = texts;
    this.used = used;
    this.stale = 0;
    this.held = count;
    if (order !== null) {
      this.fields = fields;
      this.keys = keys;
      this.walKeys = walKeys;
      this.resize(fields.length / FIELDS);
      for (let k = 0; k < count; k++) this.previous[k] = k;
    }
    if (this.slots !== null) this.rebuildSlots(this.slotsFor(count));
  }

  /** Gives the per-series arrays room for `capacity` series; `previous` keeps its first `held`. */
  private resize(capacity: number): void {
    if (this.fields.length < FIELDS * capacity) {
      const fields = new Int32Array(FIELDS * capacity);
      fields.set(this.fields);
      this.fields = fields;
    }
    const previous = new Int32Array(capacity);
    previous.set(this.previous.subarray(0, Math.min(this.previousCount, capacity)));
    this.previous = previous;
    const current = new Int32Array(capacity);
    current.set(this.current.subarray(0, Math.min(this.currentCount, capacity)));
    this.current = current;
  }

  /** Hashes every text and fills a new table: the first time a line is not where it was. */
  private buildTable(): Int32Array {
    for (let at = 0; at < FIELDS * this.held; at += FIELDS) {
      const start = this.fields[at + TEXT_START]!;
      this.fields[at + HASH] = hashText(this.texts, start, start + this.fields[at + TEXT_LENGTH]!);
    }
    return this.rebuildSlots(this.slotsFor(this.held));
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
    for (let i = 0; i < this.held; i++) this.insert(this.fields[FIELDS * i + HASH]!, i);
    return slots;
  }

  private insert(hash: number, i: number): void {
    const slots = this.slots!;
    const mask = slots.length - 1;
    for (let probe = 0, slot = hash & mask; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
      if (slots[slot] !== EMPTY) continue;
      slots[slot] = i;
      this.filled++;
      return;
    }
  }
}
