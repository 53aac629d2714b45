/**
 * Protobuf wire primitives for the remote-write encoder, written straight into one growable byte
 * buffer.
 *
 * The encoder computes each message's size before writing it (remote-write messages are small and
 * fixed in shape), reserves room once per series, and then every byte goes straight to its place:
 * no object per field or per sample, no copy at the end. The write methods therefore do not check
 * capacity: a caller reserves `n` bytes with `reserve(n)` before writing at most `n`.
 */

// protobuf's fixed64 is little-endian; a Float64Array holds the host's order. XOR-ing a byte
// index with 7 reverses it, so one copy loop serves both kinds of host.
const HOST_BYTE_SWAP = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 7;

/** Bytes of the varint of `v`, an integer in [0, 2^32). */
export function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes of the int64 varint of `v`, a safe integer (negatives take 10, as two's complement). */
export function varint64Size(v: number): number {
  if (v < 0) return 10;
  if (v < 0x10000000) return varint32Size(v);
  // 7 bits a byte: 2^35, 2^42, 2^49; safe integers end below 2^53, so 8 bytes is the most.
  return v < 34359738368 ? 5 : v < 4398046511104 ? 6 : v < 562949953421312 ? 7 : 8;
}

/**
 * Bytes of `s` in UTF-8. A lone surrogate counts as U+FFFD (3 bytes), which `writeUtf8` writes in
 * its place, as TextEncoder does.
 */
export function utf8Size(s: string): number {
  let size = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size += 4;
      i++;
    } else size += 3;
  }
  return size;
}

/**
 * A byte buffer that grows by doubling and is reused from request to request: its memory stays
 * at the largest request encoded, which the sender's bounds per request cap.
 */
export class ProtoWriter {
  /** The buffer; replaced by a bigger one when `reserve` grows it. */
  bytes: Uint8Array;
  /** Where the next byte goes. */
  pos = 0;

  /** Starts with a buffer of `initialBytes`. */
  constructor(initialBytes: number) {
    this.bytes = new Uint8Array(initialBytes);
  }

  /** Starts a new message at offset 0; the bytes of the previous one become garbage. */
  reset(): void {
    this.pos = 0;
  }

  /** Makes room for `n` more bytes, keeping what was written. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
  }

  /** The message written since `reset()`: a view, valid until the next `reset()`. */
  finish(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }

  /** Writes one byte (a field tag: every tag used here fits in one). */
  byte(b: number): void {
    this.bytes[this.pos++] = b;
  }

  /** Writes `v`, an integer in [0, 2^32), as a varint. */
  varint32(v: number): void {
    const bytes = this.bytes;
    let pos = this.pos;
    while (v > 0x7f) {
      bytes[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    bytes[pos++] = v;
    this.pos = pos;
  }

  /** Writes `v`, a safe integer, as an int64 varint (two's complement for negatives). */
  varint64(v: number): void {
    // Split into 32-bit halves: ToUint32 is the value modulo 2^32 (exact for safe integers) and the
    // floored quotient is the high half, also for negatives.
    let lo = v >>> 0;
    let hi = Math.floor(v / 4294967296) >>> 0;
    const bytes = this.bytes;
    let pos = this.pos;
    while (hi !== 0) {
      bytes[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      bytes[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    bytes[pos++] = lo;
    this.pos = pos;
  }

  /**
   * Writes the 8 bytes of the double at `index` of `source` (a byte view of a Float64Array's
   * memory) as a little-endian fixed64. Copying bytes, not the number, keeps every NaN payload
   * (the staleness marker) exactly as stored.
   */
  fixed64Bytes(source: Uint8Array, index: number): void {
    const bytes = this.bytes;
    const pos = this.pos;
    const from = index * 8;
    for (let k = 0; k < 8; k++) bytes[pos + k] = source[from + (k ^ HOST_BYTE_SWAP)]!;
    this.pos = pos + 8;
  }

  /** Writes bytes [start, end) of `source`. */
  copyRange(source: Uint8Array, start: number, end: number): void {
    const bytes = this.bytes;
    let pos = this.pos;
    for (let i = start; i < end; i++) bytes[pos++] = source[i]!;
    this.pos = pos;
  }

  /** Writes `s` as UTF-8; `utf8Size(s)` bytes. */
  utf8(s: string): void {
    const bytes = this.bytes;
    let pos = this.pos;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        bytes[pos++] = c;
      } else if (c < 0x800) {
        bytes[pos++] = 0xc0 | (c >> 6);
        bytes[pos++] = 0x80 | (c & 0x3f);
      } else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c & 0x3ff) << 10) + (s.charCodeAt(++i) & 0x3ff);
        bytes[pos++] = 0xf0 | (c >> 18);
        bytes[pos++] = 0x80 | ((c >> 12) & 0x3f);
        bytes[pos++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[pos++] = 0x80 | (c & 0x3f);
      } else {
        if ((c & 0xf800) === 0xd800) c = 0xfffd; // a lone surrogate has no UTF-8 form
        bytes[pos++] = 0xe0 | (c >> 12);
        bytes[pos++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[pos++] = 0x80 | (c & 0x3f);
      }
    }
    this.pos = pos;
  }
}
