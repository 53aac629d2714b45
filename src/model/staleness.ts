/**
 * Prometheus staleness markers. A series that disappears from a target is ended by one sample
 * whose value is a NaN with the exact bit pattern 0x7ff0000000000002 (Prometheus
 * `model/value.StaleNaN`); queries then stop returning it at once instead of 5 minutes later.
 * An ordinary NaN (what `NaN` in an exposition parses to) has other bits and is a real value, so
 * markers must be told apart by their bits, never by `Number.isNaN`.
 */

// DataView reads and writes big-endian by default, so the bit pattern is written as it reads,
// whatever the host's byte order.
const scratch = new DataView(new ArrayBuffer(8));
const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;
scratch.setUint32(0, STALE_HI);
scratch.setUint32(4, STALE_LO);

/**
 * The staleness marker value. Its bits survive plain variables, object fields and
 * Float64Array/DataView storage, but storing it in a plain JS array of numbers may canonicalise
 * it into an ordinary NaN: keep sample values in typed arrays.
 */
export const STALE_NAN: number = scratch.getFloat64(0);

/** True when `value` carries the staleness marker's exact bits (an ordinary NaN is not one). */
export function isStaleNaN(value: number): boolean {
  if (value === value) return false; // not NaN at all: the common case, decided without bit access
  scratch.setFloat64(0, value);
  return scratch.getUint32(0) === STALE_HI && scratch.getUint32(4) === STALE_LO;
}
