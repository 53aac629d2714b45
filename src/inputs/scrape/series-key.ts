import { quote } from './decode.js';

const NEWLINE = 10, QUOTE = 34, ZERO = 48, BACKSLASH = 92, LOWER_N = 110;
// Separator of the series key, as in `labelsKey`; a NUL inside a value is written `\0` there too.
const SEP = 0;
const NAME_LABEL = '__name__';
const NAME_LABEL_BYTES = Buffer.from(NAME_LABEL);
// Up to this many labels an insertion sort (in place, no allocation) is fastest; above it a
// hostile line of thousands of labels must not cost O(n²), so the library sort takes over.
const INSERTION_SORT_MAX = 16;

/**
 * Collects the labels of one sample line as offsets into the body's bytes and writes the line's
 * series key from them: the same string `labelsKey(normalizeLabels(...))` gives, built as UTF-8
 * bytes and decoded once. Its arrays grow to the longest label set and are reused line after line.
 */
export class SeriesKeyWriter {
  /** The key of the last successful `write`. */
  key = '';
  // Label i's name is bytes [nameStart[i], nameEnd[i]), its raw value [valueStart[i], valueEnd[i]);
  // `order` holds the indices sorted by name.
  private nameStart = new Int32Array(8);
  private nameEnd = new Int32Array(8);
  private valueStart = new Int32Array(8);
  private valueEnd = new Int32Array(8);
  private order = new Int32Array(8);
  private count = 0;
  private out = Buffer.allocUnsafe(256);

  constructor(private readonly bytes: Buffer) {}

  /** Starts a line: no labels yet. */
  clear(): void {
    this.count = 0;
  }

  /** Adds a label: name bytes [nameStart, nameEnd), value bytes [valueStart, valueEnd) as written, escapes included. */
  add(nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
    const i = this.count++;
    if (i === this.order.length) {
      const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.nameStart = grow(this.nameStart);
      this.nameEnd = grow(this.nameEnd);
      this.valueStart = grow(this.valueStart);
      this.valueEnd = grow(this.valueEnd);
      this.order = grow(this.order);
    }
    this.nameStart[i] = nameStart;
    this.nameEnd[i] = nameEnd;
    this.valueStart[i] = valueStart;
    this.valueEnd[i] = valueEnd;
  }

  /**
   * Sets `key` for the metric name bytes [metricStart, metricEnd) and the labels added since
   * `clear`: sorted by name, empty values left out, values unescaped. Returns the problem when a
   * label name repeats (`__name__` included), else null.
   */
  write(metricStart: number, metricEnd: number): string | null {
    this.sortLabels();
    const { order, count, bytes } = this;
    // A value unescaped is never longer, a NUL in it takes two bytes: this bounds the key.
    let room = NAME_LABEL.length + 2 + metricEnd - metricStart;
    for (let i = 0; i < count; i++) room += this.nameEnd[i]! - this.nameStart[i]! + 2 * (this.valueEnd[i]! - this.valueStart[i]! + 1);
    if (this.out.length < room) this.out = Buffer.allocUnsafe(2 * room);
    const out = this.out;
    let n = 0;
    let nameDone = false;
    for (let k = 0; k < count; k++) {
      const i = order[k]!;
      if (k > 0 && this.compareNames(order[k - 1]!, i) === 0) return `label ${quote(bytes.toString('utf8', this.nameStart[i]!, this.nameEnd[i]!))} appears twice`;
      if (!nameDone) {
        const cmp = this.compareToNameLabel(i);
        if (cmp === 0) return `label ${quote(NAME_LABEL)} appears twice`;
        if (cmp > 0) {
          n = this.writeNameLabel(n, metricStart, metricEnd);
          nameDone = true;
        }
      }
      if (this.valueEnd[i] === this.valueStart[i]) continue;
      if (n > 0) out[n++] = SEP;
      for (let p = this.nameStart[i]!; p < this.nameEnd[i]!; p++) out[n++] = bytes[p]!;
      out[n++] = SEP;
      n = this.writeValue(i, n);
    }
    if (!nameDone) n = this.writeNameLabel(n, metricStart, metricEnd);
    this.key = out.toString('utf8', 0, n);
    return null;
  }

  /** Writes the `__name__` pair at `out[n]`; returns the new end. */
  private writeNameLabel(n: number, metricStart: number, metricEnd: number): number {
    const { out, bytes } = this;
    if (n > 0) out[n++] = SEP;
    for (let k = 0; k < NAME_LABEL_BYTES.length; k++) out[n++] = NAME_LABEL_BYTES[k]!;
    out[n++] = SEP;
    for (let p = metricStart; p < metricEnd; p++) out[n++] = bytes[p]!;
    return n;
  }

  /** Writes label `i`'s value, unescaped and with NUL as `\0`, at `out[n]`; returns the new end. */
  private writeValue(i: number, n: number): number {
    const { out, bytes } = this;
    const end = this.valueEnd[i]!;
    for (let p = this.valueStart[i]!; p < end; p++) {
      let c = bytes[p]!;
      if (c === BACKSLASH) {
        // The scanner let only these pairs through as escapes; another backslash is literal.
        const next = bytes[p + 1];
        if (next === BACKSLASH || next === QUOTE || next === LOWER_N) {
          c = next === LOWER_N ? NEWLINE : next;
          p++;
        }
      } else if (c === 0) {
        out[n++] = BACKSLASH;
        c = ZERO;
      }
      out[n++] = c;
    }
    return n;
  }

  private sortLabels(): void {
    const { order, count } = this;
    for (let i = 0; i < count; i++) order[i] = i;
    if (count > INSERTION_SORT_MAX) {
      order.subarray(0, count).sort((a, b) => this.compareNames(a, b));
      return;
    }
    for (let i = 1; i < count; i++) {
      const item = order[i]!;
      let j = i - 1;
      while (j >= 0 && this.compareNames(order[j]!, item) > 0) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = item;
    }
  }

  /** Compares two label names (ASCII, so bytes order as `normalizeLabels` sorts them). */
  private compareNames(a: number, b: number): number {
    const aStart = this.nameStart[a]!, aLen = this.nameEnd[a]! - aStart;
    const bStart = this.nameStart[b]!, bLen = this.nameEnd[b]! - bStart;
    for (let k = 0, n = Math.min(aLen, bLen); k < n; k++) {
      const d = this.bytes[aStart + k]! - this.bytes[bStart + k]!;
      if (d !== 0) return d;
    }
    return aLen - bLen;
  }

  /** Compares `__name__` with label `i`'s name (positive: `__name__` sorts first). */
  private compareToNameLabel(i: number): number {
    const start = this.nameStart[i]!, len = this.nameEnd[i]! - start;
    for (let k = 0, n = Math.min(len, NAME_LABEL_BYTES.length); k < n; k++) {
      const d = this.bytes[start + k]! - NAME_LABEL_BYTES[k]!;
      if (d !== 0) return d;
    }
    return len - NAME_LABEL_BYTES.length;
  }
}
