/**
 * A scanner for the Prometheus text exposition format 0.0.4, written by hand: one pass over the
 * body's bytes, no regular expressions (so nothing can backtrack), no recursion, and no object per
 * sample. What it accepts follows Prometheus's own scrape parser (`model/textparse/promparse.go`):
 *
 *   - `# HELP name text` and `# TYPE name counter|gauge|histogram|summary|untyped`; any other line
 *     starting with `#` is a comment. Given a `PageMetadata`, the parser hands it these lines (and
 *     OpenMetrics' `# UNIT name unit`, a comment to this grammar that never fails a page) as byte
 *     offsets; the text after the one blank that follows the name is the help, as in Prometheus.
 *   - A sample is `name[{labels}] value [timestamp]`, blanks (space, tab) allowed between tokens,
 *     a trailing comma allowed in the label set, CRLF line ends tolerated.
 *   - Label values unescape `\\`, `\"` and `\n`; another backslash pair is kept as written, as
 *     Prometheus does. An empty value means the label is absent (`{a=""}` is the series `{}`).
 *     A label name given twice, or a value with a lone surrogate (possible only in a body given as
 *     a string; bytes are checked as UTF-8 first), fails the line.
 *   - Values are Go `ParseFloat` forms without hex or underscores: decimals with exponents,
 *     `NaN`, `Inf`/`+Inf`/`-Inf`/`Infinity` in any case. A decimal beyond ±1.8e308 is an error.
 *   - Timestamps are integer milliseconds.
 *   - Histogram and summary samples (`_bucket{le=…}`, `_sum`, `_count`, `{quantile=…}`) are
 *     ordinary samples here; their labels are kept as exposed, like Prometheus 2 and vmagent do.
 *
 * A malformed line fails the whole body, as in Prometheus: the result names the line and the
 * problem, and the caller must discard what was reported before it. The same series twice in one
 * body is such a failure too. A series whose text the `SeriesCache` knows skips the label work
 * (see there). Memory is bounded by the body: the cache's series, plus per-line scratch arrays
 * that grow to the longest line.
 */
import { isUtf8 } from 'node:buffer';
import { formatLabels, parseLabelsKey } from '../../model/labels.js';
import { decodeExposition, encodeText, quote } from './decode.js';
import type { MetricType } from '../../model/metadata.js';
import { NumberScanner } from './number-scanner.js';
import type { PageMetadata } from './page-metadata.js';
import { SeriesKeyWriter } from './series-key.js';
import { NONE, SeriesCache } from './series-cache.js';

/** Outcome of parsing a body: how many samples it held, or the first bad line (1-based) and why. */
export type ParseResult = { ok: true; samples: number } | { ok: false; line: number; problem: string };

/**
 * Receives one sample. `seriesKey` is `labelsKey` of the sample's normalized label set,
 * `__name__` included (`parseLabelsKey` turns it back into labels); `timestampMs` is null when
 * the line has none. Called synchronously, in body order.
 */
export type SampleHandler = (seriesKey: string, value: number, timestampMs: number | null) => void;

const TAB = 9, NEWLINE = 10, CR = 13, SPACE = 32, QUOTE = 34, HASH = 35, COMMA = 44, ZERO = 48,
  NINE = 57, COLON = 58, EQUALS = 61, BACKSLASH = 92, UNDERSCORE = 95, LOWER_N = 110,
  LEFT_BRACE = 123, RIGHT_BRACE = 125;

const HELP_BYTES = Buffer.from('HELP');
const TYPE_BYTES = Buffer.from('TYPE');
const UNIT_BYTES = Buffer.from('UNIT');
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
// The 0.0.4 type words and the metadata type each means.
const METRIC_TYPES = new Map<string, MetricType>([['counter', 'counter'], ['gauge', 'gauge'], ['histogram', 'histogram'], ['summary', 'summary'], ['untyped', 'unknown']]);

// Classes of a byte in names, looked up in one table instead of a chain of range checks per byte.
const LABEL_START = 1, LABEL_CHAR = 2, METRIC_START = 4, METRIC_CHAR = 8;
const BYTE_CLASSES = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const letter = ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === UNDERSCORE;
  const digit = c >= ZERO && c <= NINE;
  BYTE_CLASSES[c] = (letter ? LABEL_START | METRIC_START : 0) | (letter || digit ? LABEL_CHAR | METRIC_CHAR : 0) | (c === COLON ? METRIC_START | METRIC_CHAR : 0);
}
const isBlank = (c: number): boolean => c === SPACE || c === TAB;
const isLabelStart = (c: number): boolean => (BYTE_CLASSES[c]! & LABEL_START) !== 0;
const isLabelChar = (c: number): boolean => (BYTE_CLASSES[c]! & LABEL_CHAR) !== 0;
const isMetricStart = (c: number): boolean => (BYTE_CLASSES[c]! & METRIC_START) !== 0;
const isMetricChar = (c: number): boolean => (BYTE_CLASSES[c]! & METRIC_CHAR) !== 0;

/**
 * Parses a whole exposition body, calling `onSample` for each sample. A body of bytes (as a
 * response holds it) must be UTF-8, a leading byte order mark aside; otherwise the result names
 * the first line that is not. A string (tests, tools) is parsed as its UTF-8 bytes. Never throws
 * (unless `onSample` does) and runs in time linear in the body (n log n in the labels of a line). More than `maxSamples` samples fail the body, as
 * Prometheus's `sample_limit` fails a scrape. `cache` carries a target's series from scrape to
 * scrape; without one every series is parsed from scratch. `metadata`, when given, receives the
 * page's metadata lines and is finished with the parse (a failed page leaves it unchanged).
 */
export function parseExposition(body: string | Uint8Array, onSample: SampleHandler, maxSamples = Infinity, cache = new SeriesCache(), metadata?: PageMetadata): ParseResult {
  let bytes: Buffer;
  let start = 0;
  if (typeof body === 'string') {
    bytes = encodeText(body);
  } else {
    bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (!isUtf8(bytes)) {
      // Only a body that fails the quick check pays for decoding, which names the first bad line.
      const decoded = decodeExposition(bytes);
      if (!decoded.ok) {
        cache.finish(false);
        metadata?.finish(false);
        return decoded;
      }
    }
    // A leading byte order mark is not text, as TextDecoder would drop it too.
    if (bytes.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) start = UTF8_BOM.length;
  }
  const result = parseBody(bytes, start, onSample, maxSamples, cache, metadata);
  cache.finish(result.ok);
  metadata?.finish(result.ok);
  return result;
}

function parseBody(bytes: Buffer, from: number, onSample: SampleHandler, maxSamples: number, cache: SeriesCache, metadata: PageMetadata | undefined): ParseResult {
  const scanner = new LineScanner(bytes, cache, metadata);
  let samples = 0;
  let line = 0;
  for (let start = from; start <= bytes.length; ) {
    line++;
    let next = bytes.indexOf(NEWLINE, start);
    if (next < 0) next = bytes.length;
    const end = next > start && bytes[next - 1] === CR ? next - 1 : next;
    const problem = scanner.scan(start, end);
    if (problem !== null) return { ok: false, line, problem };
    const series = scanner.series;
    if (series !== NONE) {
      if (!cache.claim(series)) return { ok: false, line, problem: `series ${quote(formatLabels(parseLabelsKey(cache.key(series))))} appears twice` };
      if (samples >= maxSamples) return { ok: false, line, problem: `more than ${maxSamples} samples` };
      samples++;
      onSample(cache.key(series), scanner.numbers.value, scanner.timestamp);
    }
    start = next + 1;
  }
  return { ok: true, samples };
}

/** Scans one line at a time; after `scan`, `series` is the cache's index of the line's series, NONE for a line without a sample. */
class LineScanner {
  series = NONE;
  timestamp: number | null = null;
  readonly numbers: NumberScanner;
  private readonly keyWriter: SeriesKeyWriter;

  constructor(private readonly bytes: Buffer, private readonly cache: SeriesCache, private readonly metadata: PageMetadata | undefined) {
    this.numbers = new NumberScanner(bytes);
    this.keyWriter = new SeriesKeyWriter(bytes);
  }

  /** Scans the line [start, end) (line break excluded); returns a problem or null. */
  scan(start: number, end: number): string | null {
    this.series = NONE;
    const p = this.skipBlanks(start, end);
    if (p === end) return null;
    return this.bytes[p] === HASH ? this.comment(p + 1, end) : this.sample(p, end);
  }

  /** The body's bytes [start, end) as text, for problems. */
  private text(start: number, end: number): string {
    return this.bytes.toString('utf8', start, end);
  }

  private comment(start: number, end: number): string | null {
    const p = this.skipBlanks(start, end);
    // `#HELP` without a blank, `# help` and anything else is a plain comment.
    const kind = p === start || p + 4 > end ? null : this.startsWith(HELP_BYTES, p) ? 'HELP' : this.startsWith(TYPE_BYTES, p) ? 'TYPE' : this.metadata !== undefined && this.startsWith(UNIT_BYTES, p) ? 'UNIT' : null;
    if (kind === null || (p + 4 < end && !isBlank(this.bytes[p + 4]!))) return null;
    const nameStart = this.skipBlanks(p + 4, end);
    // The same line as last scrape, at the same place: checked then, nothing to do now.
    if (this.metadata?.repeats(kind, this.bytes, nameStart, end)) return null;
    const nameEnd = this.scanMetricName(nameStart, end);
    const badName = nameEnd === nameStart || (nameEnd < end && !isBlank(this.bytes[nameEnd]!));
    if (kind === 'UNIT') {
      // Not part of the 0.0.4 grammar: a UNIT line that does not parse stays a plain comment.
      if (!badName) this.metadata!.unit(this.bytes, nameStart, nameEnd, end, this.text(this.skipBlanks(nameEnd, end), this.trimEnd(nameEnd, end)));
      return null;
    }
    if (nameEnd === nameStart) return `expected a metric name after ${kind}`;
    if (badName) return `invalid metric name in ${kind}: ${quote(this.text(nameStart, end))}`;
    if (kind === 'HELP') {
      this.metadata?.help(this.bytes, nameStart, nameEnd, Math.min(nameEnd + 1, end), end);
      return null;
    }
    const typeStart = this.skipBlanks(nameEnd, end);
    const type = this.text(typeStart, this.trimEnd(typeStart, end));
    const metricType = METRIC_TYPES.get(type);
    if (metricType === undefined) return `invalid metric type ${quote(type)}; expected counter, gauge, histogram, summary or untyped`;
    this.metadata?.type(this.bytes, nameStart, nameEnd, end, metricType);
    return null;
  }

  /** `end` moved back over trailing blanks, not before `start`. */
  private trimEnd(start: number, end: number): number {
    let p = end;
    while (p > start && isBlank(this.bytes[p - 1]!)) p--;
    return p;
  }

  private startsWith(word: Buffer, p: number): boolean {
    for (let k = 0; k < word.length; k++) if (this.bytes[p + k] !== word[k]) return false;
    return true;
  }

  private sample(start: number, end: number): string | null {
    // A series text the cache knows was fully checked when it was first parsed: reuse its key.
    // Most lines hold the series the cache predicts; the others are looked up by hash.
    const { bytes, cache } = this;
    const predicted = cache.predicted();
    let seriesEnd = predicted !== NONE && cache.startsWith(predicted, bytes, start, end) ? this.endOfKnownText(start + cache.textLength(predicted), end) : -1;
    let known = seriesEnd < 0 ? NONE : predicted;
    if (known === NONE && !cache.wasEmpty()) {
      seriesEnd = this.skimSeries(start, end);
      known = seriesEnd < 0 ? NONE : cache.find(bytes, start, seriesEnd);
    }
    if (known !== NONE) {
      const problem = this.valueAndTimestamp(this.skipBlanks(seriesEnd, end), end);
      if (problem === null) this.series = known;
      return problem;
    }

    const nameEnd = this.scanMetricName(start, end);
    if (nameEnd === start) return `expected a metric name, found ${quote(this.text(start, end))}`;
    let p = this.skipBlanks(nameEnd, end);
    this.keyWriter.clear();
    let labelsEnd = nameEnd;
    if (p < end && bytes[p] === LEFT_BRACE) {
      const after = this.labels(p + 1, end);
      if (typeof after === 'string') return after;
      labelsEnd = after;
      p = this.skipBlanks(after, end);
    } else if (p === nameEnd && p < end) {
      // The first UTF-16 unit of the character, as a problem has always shown it.
      return `invalid character ${quote(this.text(p, Math.min(p + 4, end)).charAt(0))} in metric name`;
    }
    const problem = this.valueAndTimestamp(p, end) ?? this.keyWriter.write(start, nameEnd);
    if (problem === null) this.series = cache.add(bytes, start, labelsEnd, this.keyWriter.key);
    return problem;
  }

  /**
   * `q` if a line that begins with a known series text, ending at `q`, has no more series text
   * after it: the text closes a label set, or it is a name and neither more name nor a label set
   * follows. Else -1.
   */
  private endOfKnownText(q: number, end: number): number {
    const { bytes } = this;
    if (bytes[q - 1] === RIGHT_BRACE) return q;
    if (q < end && !isBlank(bytes[q]!)) return -1;
    const r = this.skipBlanks(q, end);
    return r < end && bytes[r] === LEFT_BRACE ? -1 : q;
  }

  /**
   * Where the series text of the line at `start` ends, found without checking it: after the `}`
   * that closes the label set (quotes and escapes followed), or after the name when a blank or
   * the line end follows; else -1. On a valid line it is where the full scan ends the series.
   */
  private skimSeries(start: number, end: number): number {
    const { bytes } = this;
    let p = start;
    while (p < end && isMetricChar(bytes[p]!)) p++;
    const nameEnd = p;
    p = this.skipBlanks(p, end);
    if (p === end || bytes[p] !== LEFT_BRACE) return p > nameEnd || p === end ? nameEnd : -1;
    while (++p < end) {
      const c = bytes[p]!;
      if (c === RIGHT_BRACE) return p + 1;
      // A quoted value runs to the next quote that no backslash escapes.
      if (c === QUOTE) while (++p < end && bytes[p] !== QUOTE) if (bytes[p] === BACKSLASH) p++;
    }
    return -1;
  }

  /** Parses the value and optional timestamp from `p` to the end of the line. */
  private valueAndTimestamp(p: number, end: number): string | null {
    const { bytes } = this;
    const valueStart = p;
    while (p < end && !isBlank(bytes[p]!)) p++;
    if (p === valueStart) return 'expected a value after the series';
    const valueProblem = this.numbers.readValue(valueStart, p);
    if (valueProblem !== null) return valueProblem;
    p = this.skipBlanks(p, end);
    this.timestamp = null;
    if (p < end) {
      const tsStart = p;
      while (p < end && !isBlank(bytes[p]!)) p++;
      if (!this.numbers.readTimestamp(tsStart, p)) return `invalid timestamp ${quote(this.text(tsStart, p))}; expected integer milliseconds`;
      this.timestamp = this.numbers.timestamp;
      if (this.skipBlanks(p, end) < end) return `unexpected text after the timestamp: ${quote(this.text(p, end).trim())}`;
    }
    return null;
  }

  /** Scans labels after `{`; returns the offset after `}` or a problem. */
  private labels(start: number, end: number): number | string {
    const { bytes } = this;
    let p = this.skipBlanks(start, end);
    if (p < end && bytes[p] === RIGHT_BRACE) return p + 1;
    for (;;) {
      const nameStart = p;
      if (p < end && isLabelStart(bytes[p]!)) p++;
      while (p > nameStart && p < end && isLabelChar(bytes[p]!)) p++;
      if (p === nameStart) return p < end ? `invalid label name starting at ${quote(this.text(p, end))}` : 'unterminated label set';
      const nameEnd = p;
      p = this.skipBlanks(p, end);
      if (p >= end || bytes[p] !== EQUALS) return `expected "=" after label name ${quote(this.text(nameStart, nameEnd))}`;
      p = this.skipBlanks(p + 1, end);
      if (p >= end || bytes[p] !== QUOTE) return `expected a quoted value for label ${quote(this.text(nameStart, nameEnd))}`;
      const valueStart = ++p;
      for (;;) {
        if (p >= end) return `unterminated value of label ${quote(this.text(nameStart, nameEnd))}`;
        const c = bytes[p]!;
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          // Only the three escapes of the format consume the next character; any other
          // backslash stays literal and the character after it is scanned as usual.
          const n = p + 1 < end ? bytes[p + 1]! : 0;
          if (n === BACKSLASH || n === QUOTE || n === LOWER_N) {
            p += 2;
            continue;
          }
        } else if (c === 0xed && p + 1 < end && bytes[p + 1]! >= 0xa0) {
          // A surrogate's WTF-8 form (see `encodeText`): a lone surrogate has no UTF-8 form.
          return `value of label ${quote(this.text(nameStart, nameEnd))} is not valid UTF-8`;
        }
        p++;
      }
      this.keyWriter.add(nameStart, nameEnd, valueStart, p);
      p = this.skipBlanks(p + 1, end);
      const c = p < end ? bytes[p]! : -1;
      if (c === RIGHT_BRACE) return p + 1;
      if (c !== COMMA) return p < end ? `expected "," or "}" after the value of label ${quote(this.text(nameStart, nameEnd))}` : 'unterminated label set';
      p = this.skipBlanks(p + 1, end);
      if (p < end && bytes[p] === RIGHT_BRACE) return p + 1;
    }
  }

  private scanMetricName(start: number, end: number): number {
    let p = start;
    if (p < end && isMetricStart(this.bytes[p]!)) p++;
    while (p > start && p < end && isMetricChar(this.bytes[p]!)) p++;
    return p;
  }

  private skipBlanks(start: number, end: number): number {
    let p = start;
    while (p < end && isBlank(this.bytes[p]!)) p++;
    return p;
  }
}
