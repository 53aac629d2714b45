/**
 * The fewest bytes any Snappy block encoder could turn a given input into: a floor for what a
 * better compressor than snappyjs could win on the same request bodies.
 *
 * A Snappy block is a sequence of literal runs (a tag byte, more for runs over 60 bytes, then the
 * bytes) and copies of earlier output (2 bytes at the cheapest, for 4–11 bytes at an offset under
 * 2 KiB; 3 bytes for 1–64 bytes at any offset under 64 KiB; 5 beyond; one copy covers at most
 * 64 bytes). The floor is the shortest parse under costs no real encoding can undercut: a literal
 * run costs 1 + its length, any copy of 4–64 bytes that matches earlier input costs 2 wherever it
 * points, any copy of 1–3 bytes costs 3 whether or not those bytes occurred before, and the
 * length header is free. Every real encoding is such a parse with costs at least these, so it is
 * at least this long.
 */

/**
 * Longest match, up to 64 bytes, of the input at each position with input starting earlier
 * (overlapping allowed, as Snappy's copies may overlap). Every earlier position with the same
 * first 4 bytes is tried, so the result is exact.
 */
function longestEarlierMatches(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  const longest = new Uint8Array(n);
  const newestWith = new Map<number, number>();
  const previousWith = new Int32Array(n).fill(-1);
  for (let i = 0; i + 4 <= n; i++) {
    const key = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    const newest = newestWith.get(key) ?? -1;
    let best = 0;
    const limit = Math.min(64, n - i);
    for (let c = newest; c >= 0 && best < limit; c = previousWith[c]!) {
      let length = 4;
      while (length < limit && bytes[c + length] === bytes[i + length]) length++;
      if (length > best) best = length;
    }
    longest[i] = best;
    previousWith[i] = newest;
    newestWith.set(key, i);
  }
  return longest;
}

/** Lower bound, in bytes, of a Snappy block encoding of `bytes` (see the file comment). */
export function snappyFloor(bytes: Uint8Array): number {
  const n = bytes.length;
  const longest = longestEarlierMatches(bytes);
  // afterCopy[i]: cheapest cover of bytes [0, i) ending with a copy (or nothing); inRun[i]: ending
  // inside a literal run, so one more literal byte costs 1.
  const afterCopy = new Float64Array(n + 1).fill(Infinity);
  const inRun = new Float64Array(n + 1).fill(Infinity);
  afterCopy[0] = 0;
  for (let i = 0; i < n; i++) {
    const here = Math.min(afterCopy[i]!, inRun[i]!);
    inRun[i + 1] = Math.min(inRun[i + 1]!, inRun[i]! + 1, afterCopy[i]! + 2);
    for (let length = 1; length <= 3 && i + length <= n; length++) afterCopy[i + length] = Math.min(afterCopy[i + length]!, here + 3);
    for (let length = 4; length <= longest[i]!; length++) afterCopy[i + length] = Math.min(afterCopy[i + length]!, here + 2);
  }
  return Math.min(afterCopy[n]!, inRun[n]!);
}
