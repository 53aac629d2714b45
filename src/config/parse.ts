/**
 * Pure parsers for configuration values. Bad input is an expected failure, so every parser
 * returns a value or a problem sentence (never throws); `env.ts` adds the variable name, the bad
 * value and an example. Syntax follows what Prometheus users already type: durations as in
 * `scrape_interval`, sizes as vmagent's flags (KB = 1000 bytes, KiB = 1024 bytes).
 */
import { isIPv6 } from 'node:net';
import { isValidLabelName } from '../model/labels.js';

/** Outcome of parsing one value: the value, or a problem sentence such as `not a duration`. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Log levels accepted by `OUTPOST_LOG_LEVEL`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Log formats accepted by `OUTPOST_LOG_FORMAT`. */
export type LogFormat = 'json' | 'pretty';
/** Remote-write protocol versions: 1.0 is prometheus.WriteRequest, 2.0 io.prometheus.write.v2.Request. */
export type RemoteWriteProtocol = '1.0' | '2.0';
/** MQTT quality-of-service levels. */
export type MqttQos = 0 | 1 | 2;

/** A listen address split for `server.listen(port, host)`; host '' means every interface. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** A scrape target: `job` and `instance` become the target's labels, `url` is fetched. */
export interface ScrapeTarget {
  readonly job: string;
  readonly url: string;
  readonly instance: string;
}

/** Inclusive bounds of a number-valued setting. */
export interface Bounds {
  min?: number;
  max?: number;
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = <T>(error: string): ParseResult<T> => ({ ok: false, error });

// Prometheus units (model.ParseDuration): a year is 365 days, a week 7 days.
const DURATION_UNITS: ReadonlyArray<[string, number]> = [
  ['y', 365 * 24 * 3600_000], ['w', 7 * 24 * 3600_000], ['d', 24 * 3600_000],
  ['h', 3600_000], ['m', 60_000], ['s', 1000], ['ms', 1],
];
// Each unit at most once, largest first, like Prometheus: `1h30m`, not `30m1h`.
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parses a Prometheus duration (`500ms`, `15s`, `1h30m`, `7d`, `0s`, `0`) into milliseconds. */
export function parseDuration(text: string, bounds: Bounds = {}): ParseResult<number> {
  const match = text === '0' ? ['0'] : DURATION.exec(text);
  if (text === '' || match === null) {
    const hint = /^\d+$/.test(text) ? ' (a unit is missing)' : '';
    return fail(`not a duration${hint}; write a whole number with a unit (ms, s, m, h, d, w, y), such as 15s or 1h30m`);
  }
  let ms = 0;
  DURATION_UNITS.forEach(([, unitMs], i) => { ms += Number(match[i + 1] ?? 0) * unitMs; });
  return withinBounds(ms, bounds, formatDuration);
}

/** Formats milliseconds the way `parseDuration` reads them back, e.g. 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, unitMs] of DURATION_UNITS) {
    if (rest >= unitMs) {
      out += `${Math.floor(rest / unitMs)}${unit}`;
      rest %= unitMs;
    }
  }
  return out;
}

const SIZE_UNITS: ReadonlyMap<string, number> = new Map([
  ['b', 1], ['kb', 1e3], ['mb', 1e6], ['gb', 1e9], ['tb', 1e12],
  ['kib', 2 ** 10], ['mib', 2 ** 20], ['gib', 2 ** 30], ['tib', 2 ** 40],
]);
const SIZE = /^(\d+(?:\.\d+)?)([a-z]*)$/i;

/** Parses a size (`512MiB`, `1GiB`, `64KiB`, `10MB`, plain bytes) into whole bytes. */
export function parseSize(text: string, bounds: Bounds = {}): ParseResult<number> {
  const match = SIZE.exec(text);
  const unit = match?.[2]?.toLowerCase() ?? '';
  const factor = unit === '' ? 1 : SIZE_UNITS.get(unit);
  if (match === null || factor === undefined || (unit === '' && match[1]!.includes('.'))) {
    return fail('not a size; write bytes or a number with a unit (KiB, MiB, GiB, TiB, KB, MB, GB, TB), such as 512MiB');
  }
  return withinBounds(Math.round(Number(match[1]) * factor), bounds, formatSize);
}

/** Formats bytes with the largest binary unit that divides them, e.g. 1048576 → `1MiB`. */
function formatSize(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB']) {
    const factor = SIZE_UNITS.get(unit.toLowerCase())!;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/** Parses an integer in decimal notation within inclusive bounds. */
export function parseInteger(text: string, bounds: Bounds = {}): ParseResult<number> {
  if (!/^-?\d+$/.test(text)) return fail('not a whole number');
  return withinBounds(Number(text), bounds, String);
}

function withinBounds(value: number, bounds: Bounds, format: (n: number) => string): ParseResult<number> {
  if (!Number.isSafeInteger(value)) return fail('is too large');
  const { min, max } = bounds;
  if ((min === undefined || value >= min) && (max === undefined || value <= max)) return ok(value);
  if (max === undefined) return fail(`must be at least ${format(min!)}`);
  if (min === undefined) return fail(`must be at most ${format(max)}`);
  return fail(`must be between ${format(min)} and ${format(max)}`);
}

const TRUE = ['true', '1', 'yes'];
const FALSE = ['false', '0', 'no'];

/** Parses `true/false/1/0/yes/no` in any letter case. */
export function parseBoolean(text: string): ParseResult<boolean> {
  const lower = text.toLowerCase();
  if (TRUE.includes(lower)) return ok(true);
  if (FALSE.includes(lower)) return ok(false);
  return fail('not a boolean; write true or false (1/0 and yes/no also work)');
}

function parseChoice<T extends string>(text: string, choices: readonly T[]): ParseResult<T> {
  const found = choices.find((choice) => choice === text.toLowerCase());
  return found === undefined ? fail(`must be one of ${choices.join(', ')}`) : ok(found);
}

/** Parses a log level: debug, info, warn or error. */
export const parseLogLevel = (text: string): ParseResult<LogLevel> =>
  parseChoice(text, ['debug', 'info', 'warn', 'error'] as const);

/** Parses a log format: json or pretty. */
export const parseLogFormat = (text: string): ParseResult<LogFormat> => parseChoice(text, ['json', 'pretty'] as const);

/** Parses a remote-write protocol version: 1.0 or 2.0. */
export const parseRemoteWriteProtocol = (text: string): ParseResult<RemoteWriteProtocol> =>
  parseChoice(text, ['1.0', '2.0'] as const);

/** Parses an MQTT QoS level: 0, 1 or 2. */
export function parseQos(text: string): ParseResult<MqttQos> {
  const result = parseChoice(text, ['0', '1', '2'] as const);
  return result.ok ? ok(Number(result.value) as MqttQos) : result;
}

/**
 * Parses an absolute URL whose scheme is one of `schemes` (without colon, e.g. `['http', 'https']`)
 * and returns it normalised (`URL.href`). Userinfo is allowed; callers redact it before printing.
 */
export function parseUrl(text: string, schemes: readonly string[]): ParseResult<string> {
  const result = parseUrlObject(text, schemes);
  return result.ok ? ok(result.value.href) : result;
}

function parseUrlObject(text: string, schemes: readonly string[]): ParseResult<URL> {
  const allowed = schemes.map((s) => `${s}://`).join(' or ');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`not a URL; write it with a scheme and host (${allowed}…)`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (!schemes.includes(scheme)) return fail(`scheme ${scheme} is not supported; use ${allowed}`);
  if (url.hostname === '') return fail('has no host');
  return ok(url);
}

/**
 * Parses a comma-separated list, each item with `parseItem`; blanks around items and empty items
 * are ignored, so an empty text is an empty list. All bad items are reported in one problem.
 */
export function parseList<T>(text: string, parseItem: (item: string) => ParseResult<T>): ParseResult<T[]> {
  const values: T[] = [];
  const errors: string[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const result = parseItem(item);
    if (result.ok) values.push(result.value);
    else errors.push(`"${item}": ${result.error}`);
  }
  return errors.length > 0 ? fail(errors.join('; ')) : ok(values);
}

/**
 * Parses `Name=value,Name2=value` into a plain object, checking each name with `checkName`
 * (a problem or null) and each value with `checkValue`. A name given twice (compared with
 * `sameName`) is a problem. All problems are reported together.
 */
function parseMap(
  text: string,
  checkName: (name: string) => string | null,
  checkValue: (name: string, value: string) => string | null,
  sameName: (name: string) => string,
): ParseResult<Record<string, string>> {
  const entries: Array<[string, string]> = [];
  const seen = new Set<string>();
  const errors: string[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      errors.push(`"${item}" is not Name=value`);
      continue;
    }
    const name = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    const problem = checkName(name) ??
      (seen.has(sameName(name)) ? `"${name}" is given twice` : null) ??
      (value === '' ? `"${name}" has an empty value` : checkValue(name, value));
    seen.add(sameName(name));
    if (problem !== null) errors.push(problem);
    else entries.push([name, value]);
  }
  // Object.fromEntries defines own properties, so even a name like __proto__ stays plain data.
  return errors.length > 0 ? fail(errors.join('; ')) : ok(Object.fromEntries(entries));
}

const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Headers the sender sets itself or that belong to the connection; overriding them breaks
// requests, so Prometheus refuses them in `headers:` too.
const RESERVED_HEADERS = new Set([
  'host', 'content-encoding', 'content-length', 'content-type', 'user-agent', 'connection',
  'transfer-encoding', 'x-prometheus-remote-write-version',
]);

/** Parses extra HTTP headers `Name=value,Name2=value`; names are HTTP tokens, compared case-insensitively. */
export function parseHeaders(text: string): ParseResult<Record<string, string>> {
  return parseMap(
    text,
    (name) => {
      if (!HTTP_TOKEN.test(name)) return `"${name}" is not a valid HTTP header name`;
      if (RESERVED_HEADERS.has(name.toLowerCase())) return `"${name}" is set by outpost itself and cannot be overridden`;
      return null;
    },
    (name, value) => (/[\x00-\x08\x0a-\x1f\x7f]/.test(value) ? `value of "${name}" contains control characters` : null),
    (name) => name.toLowerCase(),
  );
}

/** Parses labels `name=value,name2=value`; names must be valid and not start with the reserved `__`. */
export function parseLabels(text: string): ParseResult<Record<string, string>> {
  return parseMap(
    text,
    (name) => {
      if (!isValidLabelName(name)) return `"${name}" is not a valid label name (it must match [a-zA-Z_][a-zA-Z0-9_]*)`;
      if (name.startsWith('__')) return `"${name}" starts with __, which is reserved for internal labels`;
      return null;
    },
    () => null,
    (name) => name,
  );
}

/**
 * Parses a scrape target, `URL` or `JOB=URL` (job defaults to `scrape`). The instance label is
 * the URL's host:port with 80/443 filled in; a URL without a path scrapes `/metrics`, as
 * Prometheus's default metrics_path does.
 */
export function parseScrapeTarget(text: string): ParseResult<ScrapeTarget> {
  const eq = text.indexOf('=');
  const scheme = text.indexOf('://');
  const hasJob = eq >= 0 && (scheme < 0 || eq < scheme);
  const job = hasJob ? text.slice(0, eq).trim() : 'scrape';
  if (job === '') return fail('has an empty job name; write JOB=URL or just URL');
  const urlText = hasJob ? text.slice(eq + 1).trim() : text;
  const parsed = parseUrlObject(urlText, ['http', 'https']);
  if (!parsed.ok) return parsed;
  const url = parsed.value;
  // Only a URL without any path gets /metrics; an explicit `/` keeps the root.
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\//i.test(urlText)) url.pathname = '/metrics';
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return ok({ job, url: url.href, instance: `${url.hostname}:${port}` });
}

/** Parses a listen address `host:port`, `[::1]:port`, or `:port` for every interface; port 0 picks a free one. */
export function parseListenAddress(text: string): ParseResult<ListenAddress> {
  const match = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(text);
  if (match === null) {
    if (/^[^[\]]*:.*:/.test(text)) return fail('an IPv6 address needs brackets, such as [::1]:9780');
    return fail('not a listen address; write host:port, such as 127.0.0.1:9780');
  }
  const rawHost = match[1]!;
  const port = Number(match[2]);
  if (port > 65535) return fail('port must be between 0 and 65535');
  if (rawHost.startsWith('[')) {
    const host = rawHost.slice(1, -1);
    return isIPv6(host) ? ok({ host, port }) : fail(`"${host}" is not an IPv6 address`);
  }
  if (rawHost !== '' && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(rawHost)) {
    return fail(`"${rawHost}" is not a host name or IP address`);
  }
  return ok({ host: rawHost, port });
}
