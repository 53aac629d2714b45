/**
 * The part of snappyjs (pure-JS Snappy, block format, no types of its own) that the tests, the
 * fleet harness and the benchmarks use (Outpost itself compresses with snappy-encoder.ts).
 * Both functions are synchronous and return a new array of the argument's kind.
 */
declare module 'snappyjs' {
  /** Snappy block-compresses `uncompressed`. */
  export function compress(uncompressed: Uint8Array): Uint8Array;
  /**
   * Decompresses a Snappy block; throws on a corrupt input or when the declared length exceeds
   * `maxLength`.
   */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
}
