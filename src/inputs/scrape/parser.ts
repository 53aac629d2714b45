/**
 * A scanner for the Prometheus text exposition format 0.0.4, written by hand: one pass over the
 * body, no regular expressions (so nothing can backtrack), no recursion, and no object per sample.
 * What it accepts follows Prometheus's own scrape parser (`model/textparse/promparse.go`):
 *
 *   - `# HELP name text` and `# TYPE name counter|gauge|histogram|summary|untyped`; any other line
 *     starting with `#` is a comment. HELP text is skipped unread (its `\\` and `\n` escapes need
 *     no decoding when the text is not kept).
 *   - A sample is `name[{labels}] value [timestamp]`, blanks (space, tab) allowed between tokens,
 *     a trailing comma allowed in the label set, CRLF line ends tolerated.
 *   - Label values unescape `\\`, `\"` and `\n`; another backslash pair is kept as written, as
 *     Prometheus does. An empty value means the label is absent (`{a=""}` is the series `{}`).
 *     A label name given twice, or a value with a lone surrogate (it has no UTF-8 form; the bytes
 *     themselves are checked by `decodeExposition`), fails the line.
 *   - Values are Go `ParseFloat` forms without hex or underscores: decimals with exponents,
 *     `NaN`, `Inf`/`+Inf`/`-Inf`/`Infinity` in any case. A decimal beyond ±1.8e308 is an error.
 *   - Timestamps are integer milliseconds.
 *   - Histogram and summary samples (`_bucket{le=…}`, `_sum`, `_count`, `{quantile=…}`) are
 *     ordinary samples here; their labels are kept as exposed, like Prometheus 2 and vmagent do.
 *
 * A malformed line fails the whole body, as in Prometheus: the result names the line and the
 * problem, and the caller must discard what was reported before it. The same series twice in one
 * body is such a failure too. Memory is bounded by the body: the set of series keys seen, plus
 * per-line scratch arrays that grow to the longest label set.
 */
import { formatLabels, parseLabelsKey } from '../../model/labels.js';
import type { SeriesCache } from './series-cache.js';

/** Outcome of parsing a body: how many samples it held, or the first bad line (1-based) and why. */
export type ParseResult = { ok: true; samples: number } | { ok: false; line: number; problem: string };

/**
 * Receives one sample. `seriesKey` is `labelsKey` of the sample's normalized label set,
 * `__name__` included (`parseLabelsKey` turns it back into labels); `timestampMs` is null when
 * the line has none. Called synchronously, in body order.
 */
export type SampleHandler = (seriesKey: string, value: number, timestampMs: number | null) => void;

const TAB = 9, CR = 13, SPACE = 32, QUOTE = 34, HASH = 35, PLUS = 43, COMMA = 44,
  MINUS = 45, DOT = 46, ZERO = 48, NINE = 57, COLON = 58, EQUALS = 61, BACKSLASH = 92,
  UNDERSCORE = 95, LOWER_E = 101, LOWER_N = 110, LEFT_BRACE = 123, RIGHT_BRACE = 125;

// Separator of the series key, as in `labelsKey`; a NUL inside a value is written `\0` there too.
const SEP = '\u0000';
const NAME_LABEL = '__name__';
const METRIC_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
// Up to this many labels an insertion sort (in place, no allocation) is fastest; above it a
// hostile line of thousands of labels must not cost O(n²), so the library sort takes over.
const INSERTION_SORT_MAX = 16;
// Integers of up to 15 digits are exact in a double, so they are summed digit by digit instead of
// going through a string slice and Number().
const EXACT_DIGITS = 15;
// Bad tokens are quoted in problems; a cap keeps a hostile line from filling the log.
const QUOTE_MAX = 64;

const isBlank = (c: number): boolean => c === SPACE || c === TAB;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
const isLabelStart = (c: number): boolean => ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === UNDERSCORE;
const isLabelChar = (c: number): boolean => isLabelStart(c) || isDigit(c);
const isMetricStart = (c: number): boolean => isLabelStart(c) || c === COLON;
const isMetricChar = (c: number): boolean => isLabelChar(c) || c === COLON;
const quote = (text: string): string => JSON.stringify(text.length > QUOTE_MAX ? text.slice(0, QUOTE_MAX) + '…' : text);

/**
 * Parses a whole exposition body, calling `onSample` for each sample. Never throws (unless
 * `onSample` does) and runs in time linear in the body (n log n in the labels of a line). More
 * than `maxSamples` samples fail the body, as Prometheus's `sample_limit` fails a scrape.
 */
export function parseExposition(body: string, onSample: SampleHandler, maxSamples = Infinity, cache?: SeriesCache): ParseResult {
  const result = parseBody(body, onSample, maxSamples, cache);
  cache?.finish(result.ok);
  return result;
}

function parseBody(body: string, onSample: SampleHandler, maxSamples: number, cache: SeriesCache | undefined): ParseResult {
  const scanner = new LineScanner(body, cache);
  const seen = new Set<string>();
  let line = 0;
  for (let start = 0; start <= body.length; ) {
    line++;
    let next = body.indexOf('\n', start);
    if (next < 0) next = body.length;
    const end = next > start && body.charCodeAt(next - 1) === CR ? next - 1 : next;
    const problem = scanner.scan(start, end);
    if (problem !== null) return { ok: false, line, problem };
    if (scanner.key !== null) {
      if (seen.has(scanner.key)) return { ok: false, line, problem: `series ${quote(formatLabels(parseLabelsKey(scanner.key)))} appears twice` };
      if (seen.size >= maxSamples) return { ok: false, line, problem: `more than ${maxSamples} samples` };
      seen.add(scanner.key);
      onSample(scanner.key, scanner.value, scanner.timestamp);
    }
    start = next + 1;
  }
  return { ok: true, samples: seen.size };
}

// Flags of a label value: it holds a backslash pair to decode, or a NUL to write as `\0`.
const ESCAPED = 1, HAS_NUL = 2;

/** Scans one line at a time; after `scan`, `key` is null for a line without a sample. */
class LineScanner {
  key: string | null = null;
  value = 0;
  timestamp: number | null = null;
  // Offsets of the current line's labels: name [start, end), value [start, end), flags; `order`
  // is the labels' indices sorted by name. All grow together, never shrink.
  private nameStart = new Int32Array(8);
  private nameEnd = new Int32Array(8);
  private valueStart = new Int32Array(8);
  private valueEnd = new Int32Array(8);
  private flags = new Uint8Array(8);
  private order = new Int32Array(8);
  private count = 0;

  constructor(private readonly body: string, private readonly cache: SeriesCache | undefined) {}

  /** Scans the line [start, end) (line break excluded); returns a problem or null. */
  scan(start: number, end: number): string | null {
    this.key = null;
    const p = this.skipBlanks(start, end);
    if (p === end) return null;
    return this.body.charCodeAt(p) === HASH ? this.comment(p + 1, end) : this.sample(p, end);
  }

  private comment(start: number, end: number): string | null {
    const p = this.skipBlanks(start, end);
    // `#HELP` without a blank, `# help` and anything else is a plain comment.
    if (p === start || !(this.body.startsWith('HELP', p) || this.body.startsWith('TYPE', p))) return null;
    if (p + 4 < end && !isBlank(this.body.charCodeAt(p + 4))) return null;
    const kind = this.body.slice(p, p + 4);
    const nameStart = this.skipBlanks(p + 4, end);
    const nameEnd = this.scanMetricName(nameStart, end);
    if (nameEnd === nameStart) return `expected a metric name after ${kind}`;
    if (nameEnd < end && !isBlank(this.body.charCodeAt(nameEnd))) return `invalid metric name in ${kind}: ${quote(this.body.slice(nameStart, end))}`;
    if (kind === 'HELP') return null;
    const typeStart = this.skipBlanks(nameEnd, end);
    let typeEnd = end;
    while (typeEnd > typeStart && isBlank(this.body.charCodeAt(typeEnd - 1))) typeEnd--;
    const type = this.body.slice(typeStart, typeEnd);
    return METRIC_TYPES.has(type) ? null : `invalid metric type ${quote(type)}; expected counter, gauge, histogram, summary or untyped`;
  }

  private sample(start: number, end: number): string | null {
    const nameEnd = this.scanMetricName(start, end);
    if (nameEnd === start) return `expected a metric name, found ${quote(this.body.slice(start, end))}`;
    let p = this.skipBlanks(nameEnd, end);
    // A series text seen in the previous scrape was fully checked then: reuse its key. The last
    // `}` of a line closes its label set (a value or timestamp holds none).
    const seriesEnd = p < end && this.body.charCodeAt(p) === LEFT_BRACE ? this.body.lastIndexOf('}', end - 1) + 1 : nameEnd;
    const raw = this.cache !== undefined && seriesEnd >= nameEnd ? this.body.slice(start, seriesEnd) : null;
    const cached = raw === null ? undefined : this.cache!.lookup(raw);
    if (cached !== undefined) {
      const problem = this.valueAndTimestamp(this.skipBlanks(seriesEnd, end), end);
      if (problem === null) this.key = cached;
      return problem;
    }
    this.count = 0;
    if (p < end && this.body.charCodeAt(p) === LEFT_BRACE) {
      const after = this.labels(p + 1, end);
      if (typeof after === 'string') return after;
      p = this.skipBlanks(after, end);
    } else if (p === nameEnd && p < end) {
      return `invalid character ${quote(this.body[p]!)} in metric name`;
    }
    const problem = this.valueAndTimestamp(p, end) ?? this.buildKey(start, nameEnd);
    if (problem === null && raw !== null && p === this.skipBlanks(seriesEnd, end)) this.cache!.store(raw, this.key!);
    return problem;
  }

  /** Parses the value and optional timestamp from `p` to the end of the line. */
  private valueAndTimestamp(p: number, end: number): string | null {
    const valueStart = p;
    while (p < end && !isBlank(this.body.charCodeAt(p))) p++;
    if (p === valueStart) return 'expected a value after the series';
    const valueProblem = this.parseValue(valueStart, p);
    if (valueProblem !== null) return valueProblem;
    p = this.skipBlanks(p, end);
    this.timestamp = null;
    if (p < end) {
      const tsStart = p;
      while (p < end && !isBlank(this.body.charCodeAt(p))) p++;
      if (!this.parseTimestamp(tsStart, p)) return `invalid timestamp ${quote(this.body.slice(tsStart, p))}; expected integer milliseconds`;
      if (this.skipBlanks(p, end) < end) return `unexpected text after the timestamp: ${quote(this.body.slice(p, end).trim())}`;
    }
    return null;
  }

  /** Scans labels after `{`; returns the offset after `}` or a problem. */
  private labels(start: number, end: number): number | string {
    const body = this.body;
    let p = this.skipBlanks(start, end);
    if (p < end && body.charCodeAt(p) === RIGHT_BRACE) return p + 1;
    for (;;) {
      const nameStart = p;
      if (p < end && isLabelStart(body.charCodeAt(p))) p++;
      while (p > nameStart && p < end && isLabelChar(body.charCodeAt(p))) p++;
      if (p === nameStart) return p < end ? `invalid label name starting at ${quote(body.slice(p, end))}` : 'unterminated label set';
      const nameEnd = p;
      p = this.skipBlanks(p, end);
      if (p >= end || body.charCodeAt(p) !== EQUALS) return `expected "=" after label name ${quote(body.slice(nameStart, nameEnd))}`;
      p = this.skipBlanks(p + 1, end);
      if (p >= end || body.charCodeAt(p) !== QUOTE) return `expected a quoted value for label ${quote(body.slice(nameStart, nameEnd))}`;
      const valueStart = ++p;
      let flags = 0;
      for (;;) {
        if (p >= end) return `unterminated value of label ${quote(body.slice(nameStart, nameEnd))}`;
        const c = body.charCodeAt(p);
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          // Only the three escapes of the format consume the next character; any other
          // backslash stays literal and the character after it is scanned as usual.
          const n = p + 1 < end ? body.charCodeAt(p + 1) : 0;
          if (n === BACKSLASH || n === QUOTE || n === LOWER_N) {
            flags |= ESCAPED;
            p += 2;
            continue;
          }
        } else if (c === 0) {
          flags |= HAS_NUL;
        } else if (c >= 0xd800 && c <= 0xdfff) {
          // A lone surrogate cannot be encoded as UTF-8: the value is not valid UTF-8.
          const n = p + 1 < end ? body.charCodeAt(p + 1) : 0;
          if (c > 0xdbff || n < 0xdc00 || n > 0xdfff) return `value of label ${quote(body.slice(nameStart, nameEnd))} is not valid UTF-8`;
          p++;
        }
        p++;
      }
      this.pushLabel(nameStart, nameEnd, valueStart, p, flags);
      p = this.skipBlanks(p + 1, end);
      const c = p < end ? body.charCodeAt(p) : -1;
      if (c === RIGHT_BRACE) return p + 1;
      if (c !== COMMA) return p < end ? `expected "," or "}" after the value of label ${quote(body.slice(nameStart, nameEnd))}` : 'unterminated label set';
      p = this.skipBlanks(p + 1, end);
      if (p < end && body.charCodeAt(p) === RIGHT_BRACE) return p + 1;
    }
  }

  private pushLabel(nameStart: number, nameEnd: number, valueStart: number, valueEnd: number, flags: number): void {
    const i = this.count++;
    if (i === this.flags.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.nameStart = grow(this.nameStart);
      this.nameEnd = grow(this.nameEnd);
      this.valueStart = grow(this.valueStart);
      this.valueEnd = grow(this.valueEnd);
      this.flags = grow(this.flags);
      this.order = grow(this.order);
    }
    this.nameStart[i] = nameStart;
    this.nameEnd[i] = nameEnd;
    this.valueStart[i] = valueStart;
    this.valueEnd[i] = valueEnd;
    this.flags[i] = flags;
  }

  /** Sorts the labels, rejects a repeated name, and sets `key` as `labelsKey` would build it. */
  private buildKey(metricStart: number, metricEnd: number): string | null {
    this.sortLabels();
    const { order, count, body } = this;
    let key = '';
    let nameDone = false;
    for (let k = 0; k < count; k++) {
      const i = order[k]!;
      if (k > 0 && this.compareNames(order[k - 1]!, i) === 0) return `label ${quote(body.slice(this.nameStart[i]!, this.nameEnd[i]!))} appears twice`;
      if (!nameDone) {
        const cmp = this.compareToNameLabel(i);
        if (cmp === 0) return `label ${quote(NAME_LABEL)} appears twice`;
        if (cmp > 0) {
          key += (key === '' ? '' : SEP) + NAME_LABEL + SEP + body.slice(metricStart, metricEnd);
          nameDone = true;
        }
      }
      if (this.valueEnd[i] === this.valueStart[i]) continue;
      key += (key === '' ? '' : SEP) + body.slice(this.nameStart[i]!, this.nameEnd[i]!) + SEP + this.labelValue(i);
    }
    if (!nameDone) key += (key === '' ? '' : SEP) + NAME_LABEL + SEP + body.slice(metricStart, metricEnd);
    this.key = key;
    return null;
  }

  private labelValue(i: number): string {
    const start = this.valueStart[i]!, end = this.valueEnd[i]!, flags = this.flags[i]!;
    let value = '';
    if ((flags & ESCAPED) === 0) {
      value = this.body.slice(start, end);
    } else {
      let from = start;
      for (let p = start; p < end; p++) {
        if (this.body.charCodeAt(p) !== BACKSLASH) continue;
        const n = this.body.charCodeAt(p + 1);
        if (n !== BACKSLASH && n !== QUOTE && n !== LOWER_N) continue;
        value += this.body.slice(from, p) + (n === LOWER_N ? '\n' : n === QUOTE ? '"' : '\\');
        from = ++p + 1;
      }
      value += this.body.slice(from, end);
    }
    return (flags & HAS_NUL) === 0 ? value : value.replaceAll(SEP, '\\0');
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

  /** Compares two label names by UTF-16 code units, as `normalizeLabels` sorts them. */
  private compareNames(a: number, b: number): number {
    const aStart = this.nameStart[a]!, aLen = this.nameEnd[a]! - aStart;
    const bStart = this.nameStart[b]!, bLen = this.nameEnd[b]! - bStart;
    for (let k = 0, n = Math.min(aLen, bLen); k < n; k++) {
      const d = this.body.charCodeAt(aStart + k) - this.body.charCodeAt(bStart + k);
      if (d !== 0) return d;
    }
    return aLen - bLen;
  }

  /** Compares `__name__` with label `i`'s name (positive: `__name__` sorts first). */
  private compareToNameLabel(i: number): number {
    const start = this.nameStart[i]!, len = this.nameEnd[i]! - start;
    for (let k = 0, n = Math.min(len, NAME_LABEL.length); k < n; k++) {
      const d = this.body.charCodeAt(start + k) - NAME_LABEL.charCodeAt(k);
      if (d !== 0) return d;
    }
    return len - NAME_LABEL.length;
  }

  /** Sets `value` from the token [start, end); returns a problem when it is not a valid float. */
  private parseValue(start: number, end: number): string | null {
    const body = this.body;
    let p = start;
    let sign = 1;
    let c = body.charCodeAt(p);
    if (c === PLUS || c === MINUS) {
      sign = c === MINUS ? -1 : 1;
      c = body.charCodeAt(++p);
    }
    if (p < end && !isDigit(c) && c !== DOT && end - p <= 'infinity'.length) {
      const word = body.slice(p, end).toLowerCase();
      if (word === 'inf' || word === 'infinity') this.value = sign * Infinity;
      else if (word === 'nan' && p === start) this.value = NaN; // Go's ParseFloat takes no sign on NaN
      else return `invalid value ${quote(body.slice(start, end))}`;
      return null;
    }
    let integer = 0;
    let digits = 0;
    for (; p < end && isDigit(c = body.charCodeAt(p)); p++, digits++) integer = integer * 10 + (c - ZERO);
    if (p === end && digits > 0 && digits <= EXACT_DIGITS) {
      this.value = sign * integer;
      return null;
    }
    if (p < end && c === DOT) for (p++; p < end && isDigit(body.charCodeAt(p)); p++) digits++;
    if (digits > 0 && p < end && (body.charCodeAt(p) | 0x20) === LOWER_E) {
      p++;
      if (p < end && (body.charCodeAt(p) === PLUS || body.charCodeAt(p) === MINUS)) p++;
      const expStart = p;
      while (p < end && isDigit(body.charCodeAt(p))) p++;
      if (p === expStart) digits = 0;
    }
    if (digits === 0 || p !== end) return `invalid value ${quote(body.slice(start, end))}`;
    this.value = Number(body.slice(start, end));
    // Go's ParseFloat, and so Prometheus, refuses a decimal that overflows instead of making it Inf.
    return Number.isFinite(this.value) ? null : `value ${quote(body.slice(start, end))} is out of range`;
  }

  /** Sets `timestamp` from the token [start, end); false unless it is a safe integer. */
  private parseTimestamp(start: number, end: number): boolean {
    let p = start;
    const c = this.body.charCodeAt(p);
    const sign = c === MINUS ? -1 : 1;
    if (c === PLUS || c === MINUS) p++;
    if (p === end) return false;
    let ms = 0;
    for (; p < end; p++) {
      const d = this.body.charCodeAt(p);
      if (!isDigit(d)) return false;
      ms = ms * 10 + (d - ZERO);
      if (ms > Number.MAX_SAFE_INTEGER) return false;
    }
    this.timestamp = sign * ms;
    return true;
  }

  private scanMetricName(start: number, end: number): number {
    let p = start;
    if (p < end && isMetricStart(this.body.charCodeAt(p))) p++;
    while (p > start && p < end && isMetricChar(this.body.charCodeAt(p))) p++;
    return p;
  }

  private skipBlanks(start: number, end: number): number {
    let p = start;
    while (p < end && isBlank(this.body.charCodeAt(p))) p++;
    return p;
  }
}
