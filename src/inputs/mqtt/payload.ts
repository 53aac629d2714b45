/**
 * MQTT payload → samples, per docs/reference.md "MQTT topic templates and payloads".
 *
 * - A scalar payload (surrounding whitespace ignored) is a decimal number (`21.5`, `-3`, `1e3`;
 *   not hex, `NaN` or `Inf`), or `true`/`false`/`on`/`off` in any case (1/0, for Tasmota's
 *   `stat/+/POWER` = `ON`). It is named by the topic's `{__name__}` level; a template without one
 *   cannot name it, which is rejected as `bad_topic`.
 * - A JSON object yields one sample per numeric or boolean leaf (and string leaf that reads
 *   on/off/true/false, any case; other strings, numeric ones included, and nulls are skipped),
 *   named by the path of keys joined with `_`, after the `{__name__}` capture when there is one.
 *   Array elements are leaves like object members, their index being the path segment
 *   (`{"t":[20,21]}` → `t_0`, `t_1`). A top-level JSON array is read the same way.
 * - A top-level `time`/`timestamp`/`ts` key (timestamp.ts) sets the time of every sample of the
 *   message and is never a sample itself; the first one that parses wins, and one that does not
 *   parse leaves the time of receipt.
 * - Names are sanitised to `[a-zA-Z_:][a-zA-Z0-9_:]*` (invalid characters become `_`, a leading
 *   digit gets a `_` in front).
 *
 * Rejections, in the order they are checked: `too_large` (more bytes than allowed; decided before
 * anything is decoded), `invalid_utf8`, `too_deep` (JSON nested deeper than MAX_JSON_DEPTH, found
 * by a linear bracket scan before `JSON.parse`, so neither the parser nor our walk ever recurses
 * deeper than that), `not_a_number` (neither a number, a boolean word nor valid JSON),
 * `no_samples` (valid, but nothing to store: `{"state":"idle"}`, `null`, an empty payload, which
 * is how MQTT clears a retained message).
 */
import { isUtf8 } from 'node:buffer';
import { sanitizeMetricName } from '../../model/metric-name.js';
import { isTimeKey, parseTimeValue } from './timestamp.js';

/** The `reason` label values of outpost_mqtt_messages_rejected_total. */
export type PayloadRejectReason = 'not_a_number' | 'invalid_utf8' | 'too_large' | 'no_samples' | 'too_deep' | 'bad_topic';

/** Every PayloadRejectReason, e.g. to pre-create the counter's series. */
export const REJECT_REASONS: readonly PayloadRejectReason[] = ['not_a_number', 'invalid_utf8', 'too_large', 'no_samples', 'too_deep', 'bad_topic'];

/** Why a message was refused: the counter's reason and a short sentence for the log. */
export interface Rejection {
  readonly reason: PayloadRejectReason;
  readonly detail: string;
}

// Real devices nest 2-4 levels (zigbee2mqtt, Tasmota); 32 leaves room for any sane document while
// keeping recursion trivially shallow whatever a hostile publisher sends.
/** The deepest JSON nesting accepted (`{"a":1}` is depth 1). */
export const MAX_JSON_DEPTH = 32;

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const decoder = new TextDecoder('utf-8');

/**
 * The samples of one payload, in reusable storage: `parsePayload` overwrites the first `count`
 * entries, so one instance serves every message and the arrays only ever grow to the most
 * samples one payload held (bounded by the payload size limit).
 */
export class PayloadSamples {
  names: string[] = [];
  values = new Float64Array(16);
  count = 0;
  /** The payload's own time (ms), or null: use the time of receipt. */
  timestampMs: number | null = null;

  /** Empties the set for the next payload. */
  reset(): void {
    this.count = 0;
    this.timestampMs = null;
  }

  /** Adds a sample; `rawName` is sanitised here, and an empty one (`{"":1}`), which names nothing, is skipped. */
  push(rawName: string, value: number): void {
    if (rawName === '') return;
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.names[this.count] = sanitizeMetricName(rawName);
    this.values[this.count++] = value;
  }
}

/**
 * Reads `payload` into `out` (reset first). `namePrefix` is the topic's `{__name__}` capture, or
 * null when the template has none. Returns null when `out` holds at least one sample, else the
 * rejection. Never throws, whatever the bytes.
 */
export function parsePayload(payload: Uint8Array, namePrefix: string | null, maxPayloadBytes: number, out: PayloadSamples): Rejection | null {
  out.reset();
  if (payload.length > maxPayloadBytes) return reject('too_large', `payload of ${payload.length} bytes exceeds the limit of ${maxPayloadBytes}`);
  if (!isUtf8(payload)) return reject('invalid_utf8', 'payload is not valid UTF-8');
  const text = decoder.decode(payload).trim();
  if (text === '') return reject('no_samples', 'payload is empty');
  const first = text.charCodeAt(0);
  if (first === 0x7b /* { */ || first === 0x5b /* [ */) return parseJsonDocument(text, namePrefix, out);
  const scalar = first === 0x22 /* " */ ? jsonString(text) : scalarValue(text);
  if (typeof scalar === 'object') return scalar;
  if (namePrefix === null) return reject('bad_topic', 'a scalar payload needs a {__name__} level in the topic template to name it');
  out.push(namePrefix, scalar);
  return null;
}

/** A bare payload's value, or its rejection. */
function scalarValue(text: string): number | Rejection {
  if (DECIMAL.test(text)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : reject('not_a_number', 'number is out of range');
  }
  const word = booleanWord(text);
  if (word !== null) return word;
  if (text === 'null') return reject('no_samples', 'payload is null');
  return reject('not_a_number', 'payload is neither a number nor JSON');
}

/** A payload that is one JSON string: a boolean word counts, any other string is skipped. */
function jsonString(text: string): number | Rejection {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject('not_a_number', 'payload is not valid JSON');
  }
  const word = typeof value === 'string' ? booleanWord(value) : null;
  return word ?? reject('no_samples', 'payload is a string that is not on/off/true/false');
}

function parseJsonDocument(text: string, namePrefix: string | null, out: PayloadSamples): Rejection | null {
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) return reject('too_deep', `JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return reject('not_a_number', 'payload is not valid JSON');
  }
  const base = namePrefix ?? '';
  if (Array.isArray(doc)) {
    walkArray(doc, base, out);
  } else {
    // The text starts with `{` and parsed, so this is an object.
    const object = doc as Record<string, unknown>;
    for (const key in object) {
      const value = object[key];
      if (isTimeKey(key)) {
        if (out.timestampMs === null) out.timestampMs = parseTimeValue(value);
        continue;
      }
      walk(value, join(base, key), out);
    }
  }
  return out.count > 0 ? null : reject('no_samples', 'JSON holds no numeric or boolean value');
}

function walk(value: unknown, path: string, out: PayloadSamples): void {
  switch (typeof value) {
    case 'number':
      // JSON.parse turns 1e999 into Infinity, which no sample should carry.
      if (Number.isFinite(value)) out.push(path, value);
      return;
    case 'boolean':
      out.push(path, value ? 1 : 0);
      return;
    case 'string': {
      const word = booleanWord(value);
      if (word !== null) out.push(path, word);
      return;
    }
    case 'object':
      if (value === null) return;
      if (Array.isArray(value)) {
        walkArray(value, path, out);
        return;
      }
      for (const key in value) walk((value as Record<string, unknown>)[key], join(path, key), out);
      return;
    default:
      return;
  }
}

function walkArray(array: unknown[], path: string, out: PayloadSamples): void {
  for (let i = 0; i < array.length; i++) walk(array[i], join(path, String(i)), out);
}

function join(path: string, key: string): string {
  return path === '' ? key : path + '_' + key;
}

/** 1 or 0 for on/off/true/false in any case, else null. */
function booleanWord(text: string): number | null {
  // The length test spares the lower-casing of every other string.
  const n = text.length;
  if (n < 2 || n > 5) return null;
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === 'on') return 1;
  if (lower === 'false' || lower === 'off') return 0;
  return null;
}

/**
 * The deepest bracket nesting of `text`, ignoring brackets inside strings. Stops counting once past
 * MAX_JSON_DEPTH. One pass, no allocation; malformed input gives some number, and JSON.parse
 * rejects it afterwards.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > MAX_JSON_DEPTH) return max;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}

function reject(reason: PayloadRejectReason, detail: string): Rejection {
  return { reason, detail };
}
