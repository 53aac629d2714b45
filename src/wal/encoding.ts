/**
 * The WAL's sample record format: one chunk = the samples of one commit (at most
 * MAX_CHUNK_SAMPLES), stored as one BLOB.
 *
 * A chunk is zlib-deflated (level 1; zlib's Adler-32 makes a flipped byte a decode error, not a
 * wrong value) over: a version byte, the sample count, a base timestamp, the byte lengths of the
 * first two columns, then three columns:
 *   refs        zigzag varint of the difference to the previous ref in the chunk (scrapes append
 *               refs in order, so this is mostly one byte that deflate squeezes to almost nothing);
 *   timestamps  per series delta-of-delta against the series' previous sample in the segment
 *               (0 for a steady scrape interval), or the offset to the base for its first sample;
 *   values      one tag byte per sample, then:
 *                 tag 0        same bits as the series' previous value (idle gauges);
 *                 tag 1+k      k = 0..9: the value is a decimal with k fraction digits, stored as
 *                              the zigzag varint difference of round(value·10^k) and
 *                              round(previous·10^k) (counters, sensor readings: 1-3 bytes);
 *                 tag XOR_TAG  Gorilla-style XOR with the previous bits: one byte holding the
 *                              count of leading and trailing zero bytes, then the bytes between.
 *
 * Encoding needs each series' previous sample, kept in a SeriesState. The state is local to a
 * segment (it starts empty with each one), so a segment decodes on its own and truncating whole
 * segments never strands a later one. Writer and reader run the same state transitions, so a
 * reader starting mid-segment replays the segment's earlier chunks first.
 */
import { deflateSync, inflateSync } from 'node:zlib';

/** Upper bound of samples in one chunk: bounds a reader's decode buffer (~1.5 MiB). */
export const MAX_CHUNK_SAMPLES = 65_536;

const FORMAT_VERSION = 1;
const MAX_DECIMAL_DIGITS = 9;
const XOR_TAG = 1 + MAX_DECIMAL_DIGITS + 1;
const POW10 = Array.from({ length: MAX_DECIMAL_DIGITS + 1 }, (_, k) => 10 ** k);
// Integers beyond 2^53 lose exactness; 2^52 leaves room for the difference of two of them.
const MAX_EXACT = 2 ** 52;

// One scratch float shared by encoder and decoder to reach a double's bits without allocating.
const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);

/**
 * Per-series previous sample within the current segment, indexed by series ref. `reset()` is
 * O(1): a generation number marks which entries belong to the current segment.
 */
export class SeriesState {
  private generation = 1;
  private seen = new Uint32Array(1024);
  lastTs = new Float64Array(1024);
  lastDelta = new Float64Array(1024);
  /** The last value; `lastWords` is the same memory: its bits as words 2·ref and 2·ref + 1, as in `scratchU32`. */
  lastValue = new Float64Array(1024);
  lastWords = new Uint32Array(this.lastValue.buffer);

  /** Forgets every series, as at the start of a segment. */
  reset(): void {
    this.generation++;
  }

  /** True when `ref` has a previous sample in this segment. */
  has(ref: number): boolean {
    return ref < this.seen.length && this.seen[ref] === this.generation;
  }

  /** Becomes a copy of `source`, so a reader can go back to where `source` stood. */
  copyFrom(source: SeriesState): void {
    if (this.seen.length < source.seen.length) this.grow(source.seen.length - 1);
    this.generation = source.generation;
    this.seen.set(source.seen);
    this.seen.fill(0, source.seen.length);
    this.lastTs.set(source.lastTs);
    this.lastDelta.set(source.lastDelta);
    this.lastValue.set(source.lastValue);
  }

  /** Marks `ref` as seen, growing the arrays when needed. */
  mark(ref: number): void {
    if (ref >= this.seen.length) this.grow(ref);
    this.seen[ref] = this.generation;
  }

  private grow(ref: number): void {
    let size = this.seen.length;
    while (size <= ref) size *= 2;
    const copy = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.seen = copy(this.seen, (n) => new Uint32Array(n));
    this.lastTs = copy(this.lastTs, (n) => new Float64Array(n));
    this.lastDelta = copy(this.lastDelta, (n) => new Float64Array(n));
    this.lastValue = copy(this.lastValue, (n) => new Float64Array(n));
    this.lastWords = new Uint32Array(this.lastValue.buffer);
  }
}

/** A growable byte buffer with varint writers. */
class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  constructor(initial: number) {
    this.buf = new Uint8Array(Math.max(16, initial));
  }
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  /** Unsigned varint of a non-negative safe integer. */
  uvarint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }
  svarint(n: number): void {
    this.uvarint(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** A cursor over bytes; reading past the end throws (a corrupt chunk). */
class ByteReader {
  pos: number;
  constructor(private readonly buf: Uint8Array, start = 0, private readonly end = buf.length) {
    this.pos = start;
  }
  byte(): number {
    if (this.pos >= this.end) throw new Error('chunk ends early');
    return this.buf[this.pos++]!;
  }
  uvarint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
      if (scale > 2 ** 63) throw new Error('varint too long');
    }
  }
  /** Moves past one varint without computing it: a skipped sample costs a byte scan. */
  skipVarint(): void {
    while (this.byte() >= 0x80);
  }
  svarint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
}

/** Samples in three parallel columns; `count` of them are valid. */
export interface SampleColumns {
  refs: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;
}

/** Smallest k ≤ 9 such that `v` is exactly round(v·10^k)/10^k, or -1. */
function decimalDigits(v: number): number {
  if (!Number.isFinite(v) || (v === 0 && 1 / v < 0)) return -1;
  for (let k = 0; k <= MAX_DECIMAL_DIGITS; k++) {
    const scaled = v * POW10[k]!;
    if (scaled >= MAX_EXACT || scaled <= -MAX_EXACT) return -1;
    if (Math.round(scaled) / POW10[k]! === v) return k;
  }
  return -1;
}

// Values go in and out of `encodeValue` and `decodeValue` by column and index, not as arguments
// or results: a fractional double crossing a call boundary is boxed, an allocation per sample.
function encodeValue(out: ByteWriter, state: SeriesState, ref: number, seen: boolean, values: Float64Array, index: number): void {
  const v = values[index]!;
  scratchF64[0] = v;
  const lo = scratchU32[0]!;
  const hi = scratchU32[1]!;
  const prevLo = seen ? state.lastWords[2 * ref]! : 0;
  const prevHi = seen ? state.lastWords[2 * ref + 1]! : 0;
  const prev = seen ? state.lastValue[ref]! : 0;
  state.lastWords[2 * ref] = lo;
  state.lastWords[2 * ref + 1] = hi;
  if (lo === prevLo && hi === prevHi) {
    out.byte(0);
    return;
  }
  const k = Number.isFinite(prev) ? decimalDigits(v) : -1;
  if (k >= 0) {
    // Both scaled integers must be exact so the reader's sum reproduces round(v·10^k) exactly.
    const scaledPrev = Math.round(prev * POW10[k]!);
    const diff = Math.round(v * POW10[k]!) - scaledPrev;
    if (scaledPrev < MAX_EXACT && scaledPrev > -MAX_EXACT && diff < MAX_EXACT && diff > -MAX_EXACT) {
      out.byte(1 + k);
      out.svarint(diff);
      return;
    }
  }
  writeXor(out, lo ^ prevLo, hi ^ prevHi);
}

/** Byte `i` (0 = most significant) of the 64-bit value hi:lo. */
function byteOf(hi: number, lo: number, i: number): number {
  return i < 4 ? (hi >>> ((3 - i) * 8)) & 0xff : (lo >>> ((7 - i) * 8)) & 0xff;
}

function writeXor(out: ByteWriter, xlo: number, xhi: number): void {
  // The bytes of the 64-bit XOR, most significant first, without its zero bytes at either end.
  let lead = 0;
  while (byteOf(xhi, xlo, lead) === 0) lead++;
  let trail = 0;
  while (byteOf(xhi, xlo, 7 - trail) === 0) trail++;
  out.byte(XOR_TAG);
  out.byte((lead << 4) | trail);
  for (let i = lead; i < 8 - trail; i++) out.byte(byteOf(xhi, xlo, i));
}

/**
 * Encodes samples [start, end) of `columns` into one chunk and advances `state` past them.
 * At most MAX_CHUNK_SAMPLES samples; timestamps are integer milliseconds.
 */
export function encodeChunk(columns: SampleColumns, start: number, end: number, state: SeriesState): Buffer {
  const count = end - start;
  if (count <= 0 || count > MAX_CHUNK_SAMPLES) throw new Error(`chunk of ${count} samples is out of range`);
  const baseTs = columns.timestamps[start]!;
  const refsOut = new ByteWriter(count + 8);
  const tsOut = new ByteWriter(count + 8);
  const valuesOut = new ByteWriter(count * 3 + 8);
  let prevRef = 0;
  for (let i = start; i < end; i++) {
    const ref = columns.refs[i]!;
    const ts = columns.timestamps[i]!;
    refsOut.svarint(ref - prevRef);
    prevRef = ref;
    const seen = state.has(ref);
    if (seen) {
      const delta = ts - state.lastTs[ref]!;
      tsOut.svarint(delta - state.lastDelta[ref]!);
      state.lastDelta[ref] = delta;
    } else {
      state.mark(ref);
      tsOut.svarint(ts - baseTs);
      state.lastDelta[ref] = 0;
    }
    state.lastTs[ref] = ts;
    encodeValue(valuesOut, state, ref, seen, columns.values, i);
  }
  const header = new ByteWriter(32);
  header.byte(FORMAT_VERSION);
  header.uvarint(count);
  header.svarint(baseTs);
  header.uvarint(refsOut.pos);
  header.uvarint(tsOut.pos);
  const body = Buffer.concat([header.bytes(), refsOut.bytes(), tsOut.bytes(), valuesOut.bytes()]);
  return deflateSync(body, { level: 1 });
}

/**
 * Decodes a chunk into `out` (each column must hold MAX_CHUNK_SAMPLES) and advances `state`
 * exactly as the encoder did. Returns the sample count. Throws on a corrupt chunk.
 *
 * Given a ref range [fromRef, toRef), it decodes only the samples of those series: the others
 * get their ref in `out` but no timestamp or value, and their state is left as it was, so the
 * state is then right only for the range (a reader of one range of series re-reading a span:
 * skipping costs about a third of decoding).
 */
export function decodeChunk(data: Uint8Array, state: SeriesState, out: SampleColumns, fromRef = 0, toRef = Number.POSITIVE_INFINITY): number {
  return decodeChunkBody(inflateChunk(data), state, out, fromRef, toRef);
}

/** A stored chunk's body, inflated: what `decodeChunkBody` decodes, for a reader that decodes one chunk several times. */
export function inflateChunk(data: Uint8Array): Buffer {
  return inflateSync(data);
}

/** `decodeChunk` of a body `inflateChunk` gave. */
export function decodeChunkBody(body: Buffer, state: SeriesState, out: SampleColumns, fromRef = 0, toRef = Number.POSITIVE_INFINITY): number {
  const r = new ByteReader(body);
  if (r.byte() !== FORMAT_VERSION) throw new Error('unknown chunk format version');
  const count = r.uvarint();
  if (count > MAX_CHUNK_SAMPLES || count > out.refs.length) throw new Error('chunk sample count out of range');
  const baseTs = r.svarint();
  const refsLen = r.uvarint();
  const tsLen = r.uvarint();
  const refsAt = r.pos;
  const refs = new ByteReader(body, refsAt, refsAt + refsLen);
  const tss = new ByteReader(body, refsAt + refsLen, refsAt + refsLen + tsLen);
  const vals = new ByteReader(body, refsAt + refsLen + tsLen);
  let ref = 0;
  for (let i = 0; i < count; i++) {
    ref += refs.svarint();
    if (ref < 0 || ref > 0xffffffff) throw new Error('series ref out of range');
    out.refs[i] = ref;
    if (ref < fromRef || ref >= toRef) {
      tss.skipVarint();
      skipValue(vals);
      continue;
    }
    const seen = state.has(ref);
    let ts: number;
    if (seen) {
      const delta = tss.svarint() + state.lastDelta[ref]!;
      ts = state.lastTs[ref]! + delta;
      state.lastDelta[ref] = delta;
    } else {
      state.mark(ref);
      ts = baseTs + tss.svarint();
      state.lastDelta[ref] = 0;
    }
    state.lastTs[ref] = ts;
    out.timestamps[i] = ts;
    decodeValue(vals, state, ref, seen, out.values, i);
  }
  return count;
}

function decodeValue(r: ByteReader, state: SeriesState, ref: number, seen: boolean, values: Float64Array, index: number): void {
  const prevLo = seen ? state.lastWords[2 * ref]! : 0;
  const prevHi = seen ? state.lastWords[2 * ref + 1]! : 0;
  const prev = seen ? state.lastValue[ref]! : 0;
  const tag = r.byte();
  let v: number;
  if (tag === 0) {
    scratchU32[0] = prevLo;
    scratchU32[1] = prevHi;
    v = scratchF64[0]!;
  } else if (tag <= 1 + MAX_DECIMAL_DIGITS) {
    const p = POW10[tag - 1]!;
    v = (Math.round(prev * p) + r.svarint()) / p;
    scratchF64[0] = v;
  } else if (tag === XOR_TAG) {
    const lt = r.byte();
    const lead = lt >> 4;
    const trail = lt & 0x0f;
    if (lead + trail > 7) throw new Error('bad XOR value header');
    let xhi = 0;
    let xlo = 0;
    for (let i = lead; i < 8 - trail; i++) {
      const b = r.byte();
      if (i < 4) xhi |= b << ((3 - i) * 8);
      else xlo |= b << ((7 - i) * 8);
    }
    scratchU32[0] = (prevLo ^ xlo) >>> 0;
    scratchU32[1] = (prevHi ^ xhi) >>> 0;
    v = scratchF64[0]!;
  } else {
    throw new Error(`unknown value tag ${tag}`);
  }
  state.lastWords[2 * ref] = scratchU32[0]!;
  state.lastWords[2 * ref + 1] = scratchU32[1]!;
  values[index] = v;
}

/** Moves `r` past one value as `decodeValue` reads it. */
function skipValue(r: ByteReader): void {
  const tag = r.byte();
  if (tag === 0) return;
  if (tag <= 1 + MAX_DECIMAL_DIGITS) {
    r.skipVarint();
  } else if (tag === XOR_TAG) {
    const lt = r.byte();
    const lead = lt >> 4;
    const trail = lt & 0x0f;
    if (lead + trail > 7) throw new Error('bad XOR value header');
    for (let i = lead; i < 8 - trail; i++) r.byte();
  } else {
    throw new Error(`unknown value tag ${tag}`);
  }
}

/** Encodes a set of series refs (any order, duplicates allowed) compactly: sorted deltas, deflated. */
export function encodeRefSet(refs: ArrayLike<number>): Buffer {
  const sorted = Uint32Array.from(refs).sort();
  const out = new ByteWriter(sorted.length + 8);
  out.uvarint(sorted.length);
  let prev = 0;
  for (const ref of sorted) {
    out.uvarint(ref - prev);
    prev = ref;
  }
  return deflateSync(out.bytes(), { level: 1 });
}

/** Inverts `encodeRefSet` (sorted, duplicates kept). Throws on a corrupt blob. */
export function decodeRefSet(data: Uint8Array): Uint32Array {
  const r = new ByteReader(inflateSync(data));
  const n = r.uvarint();
  const refs = new Uint32Array(n);
  let ref = 0;
  for (let i = 0; i < n; i++) refs[i] = ref += r.uvarint();
  return refs;
}

/** The series refs a chunk holds, without decoding its timestamps and values. */
export function chunkRefs(data: Uint8Array): Uint32Array {
  const body = inflateSync(data);
  const r = new ByteReader(body);
  if (r.byte() !== FORMAT_VERSION) throw new Error('unknown chunk format version');
  const count = r.uvarint();
  r.svarint();
  r.uvarint();
  r.uvarint();
  const refs = new Uint32Array(count);
  let ref = 0;
  for (let i = 0; i < count; i++) refs[i] = ref += r.svarint();
  return refs;
}
