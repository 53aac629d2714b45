/**
 * A Snappy block encoder (the raw format both remote-write specs require: the uncompressed length
 * as a uvarint, then literal runs and copies of earlier output) with two efforts. Any conforming
 * decoder reads the output of either.
 *
 * `fast` is the reference encoder's greedy search, as snappyjs does it: one candidate per hash,
 * skipping ahead ever faster through input that does not match. It differs from snappyjs in
 * hashing with a 32-bit multiply and in one table over the whole input rather than one per 64 KiB
 * block: 0.75–0.95× snappyjs's time on request bodies, for 0.2–1.4 % fewer bytes.
 *
 * `dense` spends more time looking for matches. Request bodies are mostly short repeats a few
 * bytes to a few hundred bytes back (a series' next timestamp and value, the previous series'
 * labels), which a greedy search loses. Here positions go into hash chains over a 64 KiB window, a
 * few candidates are tried per position and the one that saves the most bytes wins (a 2-byte copy
 * needs an offset under 2 KiB and a length of 4–11; a 3-byte one reaches 64 KiB), and a short
 * match is given up when the next position starts one that saves more (lazy matching). On the
 * encode benchmark's load that is 3–7 % fewer bytes than `fast` (7 % at 60 samples per series) in
 * 1.5–3× its time (encode-bench.ts prints both and snappyjs, beside the floor no Snappy encoder
 * can beat), so the sender uses it only where bytes count more than CPU (sender.ts `bytesAreCheap`).
 */

/** Copies reach back at most this far: a 3-byte copy's offset is 16 bits. */
const WINDOW = 1 << 16;
const WINDOW_MASK = WINDOW - 1;
/**
 * Candidates tried per position. More save little for their time: at 60 samples per series, 4
 * gave 1.3% fewer bytes than 2 for 1.3× the time, 8 another 0.8% for 1.2× more.
 */
const MAX_CANDIDATES = 4;
/**
 * Inside a match longer than this only its first position is indexed: long matches are mostly
 * repeated labels, whose next repeat starts where this one did. Indexing every byte of them took
 * twice the time at one sample per series for 0.4% fewer bytes.
 */
const INDEX_ALL_UP_TO = 16;
/** A match this long ends the search: a longer or nearer one would save at most a byte or two. */
const LONG_ENOUGH = 64;
/** Only matches shorter than this get the lazy check: a longer one is rarely beaten one byte on. */
const LAZY_BELOW = 12;
const MAX_HASH_BITS = 15;

/** Newest position + 1 with a given hash of its first 4 bytes; 0 for none. Cleared per call. */
const newest = new Int32Array(1 << MAX_HASH_BITS);
/**
 * For position p (at p mod WINDOW): the previous position + 1 with the same hash, or 0. Never
 * cleared: a chain is only entered at a position of this call and only followed while its
 * entries lie within WINDOW and before the one that pointed to them.
 */
const older = new Int32Array(WINDOW);
/** Output under construction, copied out per call; grown up to SCRATCH_MAX, never shrunk. */
let scratch = new Uint8Array(0);
/** Bigger outputs get a buffer of their own, so one odd huge body does not pin megabytes. */
const SCRATCH_MAX = 1 << 20;

/** The 4 bytes at `at` as one 32-bit integer: equal integers, equal bytes. */
function load32(input: Uint8Array, at: number): number {
  return input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16) | (input[at + 3]! << 24);
}

function hashOf(key: number, shift: number): number {
  return Math.imul(key, 0x1e35a7bd) >>> shift;
}

function hashAt(input: Uint8Array, at: number, shift: number): number {
  return hashOf(load32(input, at), shift);
}

/** Puts positions [from, to) into the hash chains. */
function index(input: Uint8Array, from: number, to: number, shift: number): void {
  for (let p = from; p < to; p++) {
    const h = hashAt(input, p, shift);
    older[p & WINDOW_MASK] = newest[h]!;
    newest[h] = p + 1;
  }
}

/** Bytes a copy of `length` ≥ 4 bytes at `offset` saves over literals, split as `emitCopy` does. */
function saving(length: number, offset: number): number {
  let cost = 0;
  let rest = length;
  while (rest >= 68) { cost += 3; rest -= 64; }
  if (rest > 64) { cost += 3; rest -= 60; }
  return length - cost - (rest < 12 && offset < 2048 ? 2 : 3);
}

function emitLiteral(input: Uint8Array, from: number, to: number, out: Uint8Array, op: number): number {
  const n = to - from - 1;
  if (n < 0) return op;
  if (n < 60) {
    out[op++] = n << 2;
  } else if (n < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = n;
  } else if (n < 0x10000) {
    out[op++] = 61 << 2;
    out[op++] = n & 0xff;
    out[op++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = n >>> 16;
  } else {
    out[op++] = 63 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = (n >>> 16) & 0xff;
    out[op++] = n >>> 24;
  }
  // Most literals are a few bytes of a value or timestamp: a loop beats a subarray per literal.
  if (n < 32) {
    for (let i = from; i < to; i++) out[op++] = input[i]!;
    return op;
  }
  out.set(input.subarray(from, to), op);
  return op + to - from;
}

/** One copy element of 1–64 bytes: 2 bytes when it fits (length 4–11, offset < 2048), else 3. */
function emitCopyElement(length: number, offset: number, out: Uint8Array, op: number): number {
  if (length >= 4 && length < 12 && offset < 2048) {
    out[op++] = 1 | ((length - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = 2 | ((length - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

/**
 * A copy of any length ≥ 4 as 64-byte elements, except that 65–67 bytes left go out as 60 and
 * 5–7, so no element is shorter than 4 (which would cost 3 bytes for at most 3).
 */
function emitCopy(length: number, offset: number, out: Uint8Array, op: number): number {
  while (length >= 68) { op = emitCopyElement(64, offset, out, op); length -= 64; }
  if (length > 64) { op = emitCopyElement(60, offset, out, op); length -= 60; }
  return emitCopyElement(length, offset, out, op);
}

/**
 * How hard `snappyCompress` looks for matches: `fast` takes the first match a hash finds and skips
 * ahead through input that does not match, as snappyjs and the reference encoder do; `dense`
 * searches hash chains with lazy matching (above), for fewer bytes in about twice the time.
 */
export type SnappyEffort = 'fast' | 'dense';

/** Snappy block-compresses `input`. The result is a new array the caller owns. */
export function snappyCompress(input: Uint8Array, effort: SnappyEffort): Uint8Array {
  const n = input.length;
  const bound = 32 + n + Math.floor(n / 6);
  if (scratch.length < bound && bound <= SCRATCH_MAX) scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(bound, scratch.length * 2)));
  const out = scratch.length >= bound ? scratch : new Uint8Array(bound);
  let op = 0;
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) { out[op++] = v; break; }
    out[op++] = (v & 0x7f) | 0x80;
  }

  // A table about the input's size: clearing a big one would dominate small inputs.
  let bits = 8;
  while (bits < MAX_HASH_BITS && 1 << bits < n) bits++;
  const shift = 32 - bits;
  newest.fill(0, 0, 1 << bits);
  if (effort === 'fast') return out.slice(0, compressFast(input, out, op, shift));

  const lastStart = n - 4; // the last position with 4 bytes to hash
  let literalFrom = 0;
  // A match found at `at - 1`, held while the lazy check looks for a better one at `at` (never
  // past the last position, so none is left held after the loop).
  let heldLength = 0;
  let heldOffset = 0;
  let heldSaving = 0;
  let at = 0;
  while (at <= lastStart) {
    // Search the chain for `at`'s hash, then put `at` at its head.
    const h = hashAt(input, at, shift);
    let candidate = newest[h]! - 1;
    older[at & WINDOW_MASK] = newest[h]!;
    newest[h] = at + 1;
    let length = 0;
    let offset = 0;
    let best = 0; // bytes the best match saves
    let before = at;
    const room = n - at;
    for (let tries = 0; tries < MAX_CANDIDATES && candidate >= 0 && candidate < before && at - candidate < WINDOW; tries++) {
      // Cheap reject: a candidate can only win by matching at least one byte past the best so far.
      if (input[candidate + length] === input[at + length]) {
        let l = 0;
        while (l < room && input[candidate + l] === input[at + l]) l++;
        if (l >= 4) {
          const s = saving(l, at - candidate);
          if (s > best || (s === best && l > length)) {
            length = l;
            offset = at - candidate;
            best = s;
            if (l >= LONG_ENOUGH) break;
          }
        }
      }
      before = candidate;
      candidate = older[candidate & WINDOW_MASK]! - 1;
    }

    let start = at;
    if (heldLength !== 0 && best <= heldSaving) {
      start = at - 1;
      length = heldLength;
      offset = heldOffset;
      heldLength = 0;
    } else {
      heldLength = 0; // if one was held, the byte before `at` goes out as a literal
      if (length === 0) { at++; continue; }
      if (length < LAZY_BELOW && at < lastStart) {
        heldLength = length;
        heldOffset = offset;
        heldSaving = best;
        at++;
        continue;
      }
    }

    op = emitLiteral(input, literalFrom, start, out, op);
    op = emitCopy(length, offset, out, op);
    const end = start + length;
    // Positions up to `at` are indexed; the rest of the match, or of a long one none of it.
    if (length <= INDEX_ALL_UP_TO) index(input, at + 1, Math.min(end, lastStart + 1), shift);
    at = end;
    literalFrom = end;
  }
  op = emitLiteral(input, literalFrom, n, out, op);
  return out.slice(0, op);
}

/**
 * The greedy search of `snappyCompress(…, 'fast')`: one candidate per hash (the newest position
 * with it), taken when its first 4 bytes match; after 32 misses in a row the search steps 2 bytes,
 * after 64 three, and so on, so input that does not compress costs little. Writes from `op` of
 * `out`; returns where the output ends.
 */
function compressFast(input: Uint8Array, out: Uint8Array, op: number, shift: number): number {
  const n = input.length;
  const lastStart = n - 4;
  let literalFrom = 0;
  let at = 0;
  let misses = 32;
  while (at <= lastStart) {
    const key = load32(input, at);
    const h = hashOf(key, shift);
    const candidate = newest[h]! - 1;
    newest[h] = at + 1;
    if (candidate < 0 || at - candidate >= WINDOW || load32(input, candidate) !== key) {
      at += misses++ >>> 5;
      continue;
    }
    misses = 32;
    let length = 4;
    while (at + length < n && input[candidate + length] === input[at + length]) length++;
    op = emitLiteral(input, literalFrom, at, out, op);
    op = emitCopy(length, at - candidate, out, op);
    at += length;
    literalFrom = at;
    // The match's last position, so a repeat that goes on right after it is found at once.
    if (at - 1 <= lastStart) newest[hashAt(input, at - 1, shift)] = at;
  }
  return emitLiteral(input, literalFrom, n, out, op);
}
