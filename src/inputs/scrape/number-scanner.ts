import { quote } from './decode.js';

const PLUS = 43, MINUS = 45, DOT = 46, ZERO = 48, NINE = 57, LOWER_E = 101;

// Clinger's fast path: a decimal of at most 15 digits is an exact integer m (below 2^53), and
// 10^e is exact for |e| ≤ 22, so one IEEE multiplication or division, rounded once, gives the
// correctly rounded double, the same one Number() gives. Anything else goes through Number().
const EXACT_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, e) => Number(`1e${e}`));
// An exponent is only summed this far: past it the value is Number()'s to judge (0, or too large).
const EXPONENT_CAP = 1e6;

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/**
 * Reads the value and timestamp tokens of sample lines from a body's bytes, without making a
 * string for the common forms. A token is [start, end) of the bytes, blanks excluded.
 */
export class NumberScanner {
  /** The value of the last successful `readValue`. */
  value = 0;
  /** The timestamp of the last successful `readTimestamp`. */
  timestamp = 0;

  constructor(private readonly bytes: Buffer) {}

  /**
   * Reads a Go `ParseFloat` form without hex or underscores (decimals with exponents, `NaN`,
   * `Inf`/`Infinity` with a sign, in any case) into `value`; returns a problem when it is none.
   */
  readValue(start: number, end: number): string | null {
    const { bytes } = this;
    let p = start;
    let c = bytes[p]!;
    const negative = c === MINUS;
    if (c === PLUS || c === MINUS) c = ++p < end ? bytes[p]! : 0;
    if (p < end && !isDigit(c) && c !== DOT) return this.readWord(start, p, end, negative);
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    for (; p < end && isDigit((c = bytes[p]!)); p++, digits++) mantissa = mantissa * 10 + (c - ZERO);
    if (p < end && c === DOT) {
      for (p++; p < end && isDigit((c = bytes[p]!)); p++, digits++, scale++) mantissa = mantissa * 10 + (c - ZERO);
    }
    let exponent = 0;
    if (digits > 0 && p < end && (c | 0x20) === LOWER_E) {
      c = ++p < end ? bytes[p]! : 0;
      const exponentNegative = c === MINUS;
      if (c === PLUS || c === MINUS) p++;
      const exponentStart = p;
      for (; p < end && isDigit((c = bytes[p]!)); p++) if (exponent < EXPONENT_CAP) exponent = exponent * 10 + (c - ZERO);
      if (p === exponentStart) digits = 0;
      if (exponentNegative) exponent = -exponent;
    }
    if (digits === 0 || p !== end) return `invalid value ${quote(this.text(start, end))}`;
    const power = exponent - scale;
    if (digits <= EXACT_DIGITS && power >= -22 && power <= 22) {
      const magnitude = power < 0 ? mantissa / POWERS_OF_TEN[-power]! : mantissa * POWERS_OF_TEN[power]!;
      this.value = negative ? -magnitude : magnitude;
      return null;
    }
    this.value = Number(this.bytes.toString('latin1', start, end));
    // Go's ParseFloat, and so Prometheus, refuses a decimal that overflows instead of making it Inf.
    return Number.isFinite(this.value) ? null : `value ${quote(this.text(start, end))} is out of range`;
  }

  /** Reads `Inf`, `Infinity` or an unsigned `NaN`, in any case, from `p` (after the sign). */
  private readWord(start: number, p: number, end: number, negative: boolean): string | null {
    const length = end - p;
    if ((length === 3 && this.isWord('inf', p)) || (length === 8 && this.isWord('infinity', p))) {
      this.value = negative ? -Infinity : Infinity;
      return null;
    }
    // Go's ParseFloat takes no sign on NaN.
    if (length === 3 && p === start && this.isWord('nan', p)) {
      this.value = NaN;
      return null;
    }
    return `invalid value ${quote(this.text(start, end))}`;
  }

  /** True when the bytes at `p` spell `word` (lower-case ASCII letters) in any case. */
  private isWord(word: string, p: number): boolean {
    for (let k = 0; k < word.length; k++) if ((this.bytes[p + k]! | 0x20) !== word.charCodeAt(k)) return false;
    return true;
  }

  /** Reads integer milliseconds into `timestamp`; false unless the token is a safe integer. */
  readTimestamp(start: number, end: number): boolean {
    const { bytes } = this;
    let p = start;
    const c = bytes[p]!;
    if (c === PLUS || c === MINUS) p++;
    if (p === end) return false;
    let ms = 0;
    for (; p < end; p++) {
      const d = bytes[p]!;
      if (!isDigit(d)) return false;
      ms = ms * 10 + (d - ZERO);
      if (ms > Number.MAX_SAFE_INTEGER) return false;
    }
    this.timestamp = c === MINUS ? -ms : ms;
    return true;
  }

  private text(start: number, end: number): string {
    return this.bytes.toString('utf8', start, end);
  }
}
