/**
 * Reads every OUTPOST_* variable once into a deeply frozen, typed `Config`. Nothing else in the
 * program reads the environment. Bad values never stop the reading: every problem is gathered
 * and returned together, each naming the variable, the value (secrets redacted) and a good
 * example, so one `outpost check-config` run shows everything to fix.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import {
  formatDuration, parseBoolean, parseDuration, parseHeaders, parseInteger, parseLabels, parseList,
  parseListenAddress, parseLogFormat, parseLogLevel, parseQos, parseRemoteWriteProtocol,
  parseScrapeTarget, parseSize, parseUrl, type ParseResult, type ScrapeTarget,
} from './parse.js';
import { parseTopicTemplates } from './templates.js';
import { loadRelabelFile } from '../relabel/load.js';
import type { RelabelRule } from '../relabel/rules.js';
import { REDACTED, redactHeaderText, redactUrls } from './redact.js';
import type { ConfigError, ConfigResult, ConfigShape, DeepReadonly, EndpointConfig, EndpointSettings, RemoteWriteAuth } from './types.js';
import { ENDPOINT_ONLY_SETTINGS, METERED_BATCH_SEND_DEADLINE_MS, VARIABLES, type VariableName } from './variables.js';
import { closest, ENDPOINT_PREFIX, endpointEnv, endpointVariable, receiverKey, scanEndpointVariables, unnamedEndpointName } from './endpoints.js';

export { redactConfig } from './redact.js';
export type { Config, ConfigError, ConfigResult, EndpointConfig, RemoteWriteAuth } from './types.js';

// Bounds that are not defaults: below them the setting cannot work.
const MIB = 2 ** 20;
const MIN_WAL_BYTES = MIB; // room for one commit and the database's own pages
const MIN_COMMIT_MS = 10; // faster would fsync constantly and wear the SD card
const MAX_COMMIT_MS = 60_000; // longer puts a minute of data at risk of a power cut
// Below this the runtime alone (code, SQLite, buffers) leaves no room for a heap.
const MIN_MEMORY_LIMIT_BYTES = 32 * 1024 * 1024;
const MIN_SEGMENT_MS = 60_000; // shorter makes segments (tables) pile up for nothing
const MAX_MQTT_PAYLOAD = 256 * MIB; // MQTT's packet size limit

/** Reads and validates every OUTPOST_* variable of `env`; gathers all problems instead of stopping at the first. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const reader = createReader(env);
  const config = buildConfig(reader, env);
  // A bad unnamed value that endpoints inherit is found once per endpoint; it is shown once.
  const errors = [...new Map(reader.errors.map((e) => [JSON.stringify([e.variable, e.problem, e.value]), e])).values()];
  if (errors.length === 0) return { ok: true, config: deepFreeze(config) };
  // Reported in the order of the table above, whatever order the checks ran in; endpoint variables last, by name.
  const names = Object.keys(VARIABLES);
  const order = (variable: string): number => {
    const i = names.indexOf(variable);
    return i === -1 ? names.length : i;
  };
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return { ok: false, errors: errors.sort((a, b) => order(a.variable) - order(b.variable) || (order(a.variable) === names.length ? byName(a.variable, b.variable) : 0)) };
}

/** Formats config errors one per line: `OUTPOST_X: <problem> (got "<value>"); example: OUTPOST_X=<good>`. */
export function formatConfigErrors(errors: readonly ConfigError[]): string {
  return errors.map((e) => `${e.variable}: ${e.problem} (got "${e.value}"); example: ${e.exampleVariable ?? e.variable}=${e.example}`).join('\n');
}

/**
 * Lists the OUTPOST_* names in `env` that outpost does not know, sorted; most are typos worth a
 * warning. OUTPOST_ENDPOINT_* names are not listed: a wrong one is a config error (see endpoints.ts).
 */
export function findUnknownVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env).filter((name) => name.startsWith('OUTPOST_') && !name.startsWith(ENDPOINT_PREFIX) && !Object.hasOwn(VARIABLES, name)).sort();
}

/** Describes an unknown variable for a warning, suggesting the known name it most likely misspells. */
export function describeUnknownVariable(name: string): string {
  const guess = closest(name, Object.keys(VARIABLES));
  return `${name} is not a variable outpost knows and is ignored${guess === null ? '' : ` (did you mean ${guess}?)`}`;
}

type Reader = ReturnType<typeof createReader>;

/**
 * Reads the variables of the table from `env`. `variableOf` names the variable a value came from
 * in errors: the table's name itself, or a named endpoint's own variable (see `endpointEnv`).
 */
function createReader(env: NodeJS.ProcessEnv, variableOf: (name: VariableName) => string = (name) => name) {
  const errors: ConfigError[] = [];
  const failed = new Set<VariableName>();

  /** The trimmed value the user set, or undefined when unset or blank. */
  const given = (name: VariableName): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  // Values are shown in errors, so secrets and credentials inside them are hidden first.
  const shown = (name: VariableName, text: string): string => {
    if (name.endsWith('_PASSWORD') || name.endsWith('_TOKEN')) return REDACTED;
    return name === 'OUTPOST_REMOTE_WRITE_HEADERS' ? redactHeaderText(text) : redactUrls(text);
  };

  const report = (name: VariableName, problem: string, value = given(name) ?? ''): void => {
    failed.add(name);
    errors.push({ variable: variableOf(name), problem: redactUrls(problem), value: shown(name, value), example: VARIABLES[name].example });
  };

  const parseOrThrow = <T>(name: VariableName, parse: (text: string) => ParseResult<T>): T => {
    const result = parse(VARIABLES[name].default);
    if (!result.ok) throw new Error(`default of ${name} does not parse: ${result.error}`);
    return result.value;
  };

  return {
    errors,
    given,
    report,
    /** The variable a user sets for `name` here (for problems that mention another variable). */
    nameOf: variableOf,
    /** True when any of `names` already has a reported problem; cross-field checks then stay quiet. */
    anyFailed: (...names: VariableName[]): boolean => names.some((name) => failed.has(name)),

    /** The parsed value, or the parsed default when unset or bad (a bad value is reported). */
    read<T>(name: VariableName, parse: (text: string) => ParseResult<T>): T {
      const text = given(name);
      if (text === undefined) return parseOrThrow(name, parse);
      const result = parse(text);
      if (result.ok) return result.value;
      report(name, result.error, text);
      return parseOrThrow(name, parse);
    },

    /** The parsed value, or null when unset or bad (a bad value is reported). */
    optional<T>(name: VariableName, parse: (text: string) => ParseResult<T>): T | null {
      const text = given(name);
      if (text === undefined) return null;
      const result = parse(text);
      if (result.ok) return result.value;
      report(name, result.error, text);
      return null;
    },

    /** A path that must be readable when set; null when unset. */
    file(name: VariableName): string | null {
      const path = given(name);
      if (path === undefined) return null;
      const problem = unreadable(() => accessSync(path, constants.R_OK));
      if (problem === null) return path;
      report(name, problem, path);
      return null;
    },

    /**
     * A secret from `name` (taken as is, not trimmed: blanks may belong to it) or from the file
     * named by `fileName` (one trailing newline removed); null when neither is set.
     */
    secret(name: VariableName, fileName: VariableName): { value: string; variable: VariableName } | null {
      const direct = env[name] === '' ? undefined : env[name];
      const path = given(fileName);
      if (direct !== undefined && path !== undefined) {
        report(name, `is set together with ${variableOf(fileName)}; set only one of them`);
        return null;
      }
      if (path === undefined) return direct === undefined ? null : { value: direct, variable: name };
      let value = '';
      const problem = unreadable(() => { value = readFileSync(path, 'utf8').replace(/\r?\n$/, ''); });
      if (problem === null && value !== '') return { value, variable: fileName };
      report(fileName, problem ?? 'names an empty file', path);
      return null;
    },
  };
}

function unreadable(action: () => void): string | null {
  try {
    action();
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `cannot read the file (${code ?? (error as Error).message})`;
  }
}

const anyText = (value: string): ParseResult<string> => ({ ok: true, value });
const positiveDuration = (value: string) => parseDuration(value, { min: 1 });
const integer = (min: number, max: number) => (value: string) => parseInteger(value, { min, max });

/** Reports `lowName` (or `highName` when only that one was set) when low > high. */
function checkOrder(r: Reader, lowName: VariableName, low: number, highName: VariableName, high: number, format: (n: number) => string): void {
  if (r.anyFailed(lowName, highName) || low <= high) return;
  if (r.given(highName) !== undefined && r.given(lowName) === undefined) r.report(highName, `must not be below ${r.nameOf(lowName)} (${format(low)})`);
  else r.report(lowName, `must not exceed ${r.nameOf(highName)} (${format(high)})`);
}

/** Fails the parse when two items share a key; `describe` words the problem. */
function unique<T>(result: ParseResult<T[]>, key: (item: T) => string, describe: (item: T) => string): ParseResult<T[]> {
  if (!result.ok) return result;
  const seen = new Set<string>();
  const twice = result.value.filter((item) => {
    const repeated = seen.has(key(item));
    seen.add(key(item));
    return repeated;
  });
  return twice.length > 0 ? { ok: false, error: twice.map(describe).join('; ') } : result;
}

function buildConfig(r: Reader, env: NodeJS.ProcessEnv): ConfigShape {
  const httpAddress = r.read('OUTPOST_HTTP_ADDRESS', parseListenAddress);
  const scrapeIntervalMs = r.read('OUTPOST_SCRAPE_INTERVAL', positiveDuration);
  const scrapeTimeoutMs = r.read('OUTPOST_SCRAPE_TIMEOUT', positiveDuration);
  if (r.given('OUTPOST_SCRAPE_TIMEOUT') !== undefined) {
    checkOrder(r, 'OUTPOST_SCRAPE_TIMEOUT', scrapeTimeoutMs, 'OUTPOST_SCRAPE_INTERVAL', scrapeIntervalMs, formatDuration);
  }
  const relabelConfigFile = r.file('OUTPOST_RELABEL_CONFIG_FILE');
  const mqttUsername = r.optional('OUTPOST_MQTT_USERNAME', anyText);
  const mqttPassword = r.secret('OUTPOST_MQTT_PASSWORD', 'OUTPOST_MQTT_PASSWORD_FILE');
  // MQTT allows a username alone (some brokers take a token as username), not a password alone.
  if (mqttPassword !== null && mqttUsername === null && !r.anyFailed('OUTPOST_MQTT_USERNAME')) {
    r.report(mqttPassword.variable, 'is set without OUTPOST_MQTT_USERNAME; MQTT sends a password only with a username');
  }
  return {
    process: {
      shutdownTimeoutMs: r.read('OUTPOST_SHUTDOWN_TIMEOUT', (value) => parseDuration(value)),
      memoryLimitBytes: r.read('OUTPOST_MEMORY_LIMIT', (value) => (value === '' ? { ok: true, value: 0 } : parseSize(value, { min: MIN_MEMORY_LIMIT_BYTES }))),
    },
    http: { address: r.given('OUTPOST_HTTP_ADDRESS') ?? VARIABLES.OUTPOST_HTTP_ADDRESS.default, ...httpAddress },
    log: { level: r.read('OUTPOST_LOG_LEVEL', parseLogLevel), format: r.read('OUTPOST_LOG_FORMAT', parseLogFormat) },
    wal: {
      dataDir: r.read('OUTPOST_DATA_DIR', anyText),
      segmentDurationMs: r.read('OUTPOST_WAL_SEGMENT_DURATION', (value) => parseDuration(value, { min: MIN_SEGMENT_MS })),
      retentionMs: r.read('OUTPOST_WAL_RETENTION', positiveDuration),
      maxBytes: r.read('OUTPOST_WAL_MAX_BYTES', (value) => parseSize(value, { min: MIN_WAL_BYTES })),
      commitIntervalMs: r.read('OUTPOST_WAL_COMMIT_INTERVAL', (value) => parseDuration(value, { min: MIN_COMMIT_MS, max: MAX_COMMIT_MS })),
    },
    remoteWrite: readRemoteWrite(r, env),
    hostMetrics: {
      enabled: r.read('OUTPOST_HOST_METRICS', parseBoolean),
      intervalMs: r.read('OUTPOST_HOST_METRICS_INTERVAL', positiveDuration),
    },
    scrape: {
      targets: r.read('OUTPOST_SCRAPE_TARGETS', (value) => unique(
        parseList(value, parseScrapeTarget),
        (t: ScrapeTarget) => `${t.job}\n${t.instance}`,
        (t) => `job "${t.job}" with instance "${t.instance}" is listed twice; give one of them another job`,
      )),
      intervalMs: scrapeIntervalMs,
      // Like Prometheus: an unset timeout is cut to the interval when the interval is shorter.
      timeoutMs: r.given('OUTPOST_SCRAPE_TIMEOUT') === undefined ? Math.min(scrapeTimeoutMs, scrapeIntervalMs) : scrapeTimeoutMs,
    },
    mqtt: {
      url: r.optional('OUTPOST_MQTT_URL', (value) => parseUrl(value, ['mqtt', 'mqtts', 'ws', 'wss'])),
      username: mqttUsername,
      password: mqttPassword?.value ?? null,
      clientId: r.optional('OUTPOST_MQTT_CLIENT_ID', anyText),
      caFile: r.file('OUTPOST_MQTT_CA_FILE'),
      topics: r.read('OUTPOST_MQTT_TOPICS', parseTopicTemplates),
      qos: r.read('OUTPOST_MQTT_QOS', parseQos),
      maxPayloadBytes: r.read('OUTPOST_MQTT_MAX_PAYLOAD_BYTES', (value) => parseSize(value, { min: 1, max: MAX_MQTT_PAYLOAD })),
    },
    relabelConfigFile,
    relabelRules: readRelabelRules(r, relabelConfigFile, env),
    maxSeries: r.read('OUTPOST_MAX_SERIES', integer(1, 100_000_000)),
    selfMetrics: r.read('OUTPOST_SELF_METRICS', parseBoolean),
    unknownVariables: findUnknownVariables(env),
  };
}

/**
 * The compiled rules of the relabel file, `${NAME}` in them taken from `env`; each problem in it is
 * reported against the variable.
 */
function readRelabelRules(r: Reader, path: string | null, env: NodeJS.ProcessEnv): RelabelRule[] {
  if (path === null) return [];
  const result = loadRelabelFile(path, env);
  if (result.ok) return result.rules;
  for (const problem of result.errors) r.report('OUTPOST_RELABEL_CONFIG_FILE', problem, path);
  return [];
}

function readRemoteWrite(r: Reader, env: NodeJS.ProcessEnv): ConfigShape['remoteWrite'] {
  const urls = r.read('OUTPOST_REMOTE_WRITE_URL', (value) => unique(
    parseList(value, (url) => parseUrl(url, ['http', 'https'])),
    receiverKey,
    (url) => `${redactUrls(url)} is listed twice (credentials aside)`,
  ));
  const uplinkMetered = r.read('OUTPOST_UPLINK_METERED', parseBoolean);
  const shared = readSendSettings(r, uplinkMetered);
  const unnamed = urls.map((url, i): EndpointConfig => ({ name: unnamedEndpointName(i), url, ...shared, relabelConfigFile: null, relabelRules: [] }));
  const endpoints = [...unnamed, ...readNamedEndpoints(r, env, unnamed, uplinkMetered)];
  return { urls, uplinkMetered, ...shared, endpoints };
}

/**
 * The endpoints of OUTPOST_ENDPOINT_<NAME>_URL, each read like the unnamed settings from its view
 * of the environment (endpoints.ts); their problems go to `r`. Two endpoints may not name one
 * receiver: a receiver's WAL cursor is named by its URL without credentials.
 */
function readNamedEndpoints(r: Reader, env: NodeJS.ProcessEnv, unnamed: readonly EndpointConfig[], uplinkMetered: boolean): EndpointConfig[] {
  const scan = scanEndpointVariables(env);
  r.errors.push(...scan.errors);
  const receivers = new Map(unnamed.map((e) => [receiverKey(e.url), 'OUTPOST_REMOTE_WRITE_URL']));
  const endpoints: EndpointConfig[] = [];
  for (const declared of scan.endpoints) {
    const urlVariable = endpointVariable(declared.name, 'URL');
    const fail = (problem: string): void => {
      r.errors.push({ variable: urlVariable, problem, value: redactUrls(declared.url), example: ENDPOINT_ONLY_SETTINGS.URL.example });
    };
    const url = parseUrl(declared.url, ['http', 'https']);
    if (!url.ok) fail(url.error);
    const key = receiverKey(declared.url);
    const other = receivers.get(key);
    if (url.ok && other !== undefined) fail(`names the same receiver as ${other} (${redactUrls(key)}); each receiver is one endpoint, with one WAL cursor`);
    receivers.set(key, urlVariable);
    const view = endpointEnv(env, declared.name);
    const reader = createReader(view.env, view.variableOf);
    const settings = readSendSettings(reader, uplinkMetered);
    const relabel = readWriteRelabel(endpointVariable(declared.name, 'RELABEL_CONFIG_FILE'), env);
    r.errors.push(...reader.errors, ...relabel.errors);
    endpoints.push({ name: declared.name.toLowerCase(), url: url.ok ? url.value : declared.url, ...settings, relabelConfigFile: relabel.path, relabelRules: relabel.rules });
  }
  return endpoints;
}

/** An endpoint's write relabel file (`variable`), which must be readable and compile; `${NAME}` taken from `env`. */
function readWriteRelabel(variable: string, env: NodeJS.ProcessEnv): { path: string | null; rules: RelabelRule[]; errors: ConfigError[] } {
  const path = env[variable]?.trim();
  if (path === undefined || path === '') return { path: null, rules: [], errors: [] };
  const result = loadRelabelFile(path, env);
  if (result.ok) return { path, rules: result.rules, errors: [] };
  const example = ENDPOINT_ONLY_SETTINGS.RELABEL_CONFIG_FILE.example;
  return { path, rules: [], errors: result.errors.map((problem) => ({ variable, problem, value: path, example })) };
}

/**
 * The settings an endpoint is sent with, from the unnamed variables (or an endpoint's view of
 * them). On a metered uplink an unset batch deadline is METERED_BATCH_SEND_DEADLINE_MS.
 */
function readSendSettings(r: Reader, uplinkMetered: boolean): EndpointSettings {
  const headers = r.read('OUTPOST_REMOTE_WRITE_HEADERS', parseHeaders);
  const queue = {
    capacity: r.read('OUTPOST_QUEUE_CAPACITY', integer(1, 10_000_000)),
    minShards: r.read('OUTPOST_QUEUE_MIN_SHARDS', integer(1, 1000)),
    maxShards: r.read('OUTPOST_QUEUE_MAX_SHARDS', integer(1, 1000)),
    maxSamplesPerSend: r.read('OUTPOST_QUEUE_MAX_SAMPLES_PER_SEND', integer(1, 1_000_000)),
    batchSendDeadlineMs: uplinkMetered && r.given('OUTPOST_QUEUE_BATCH_SEND_DEADLINE') === undefined ? METERED_BATCH_SEND_DEADLINE_MS : r.read('OUTPOST_QUEUE_BATCH_SEND_DEADLINE', positiveDuration),
    minBackoffMs: r.read('OUTPOST_QUEUE_MIN_BACKOFF', positiveDuration),
    maxBackoffMs: r.read('OUTPOST_QUEUE_MAX_BACKOFF', positiveDuration),
    retryOnHttp429: r.read('OUTPOST_QUEUE_RETRY_ON_HTTP_429', parseBoolean),
  };
  checkOrder(r, 'OUTPOST_QUEUE_MIN_SHARDS', queue.minShards, 'OUTPOST_QUEUE_MAX_SHARDS', queue.maxShards, String);
  checkOrder(r, 'OUTPOST_QUEUE_MIN_BACKOFF', queue.minBackoffMs, 'OUTPOST_QUEUE_MAX_BACKOFF', queue.maxBackoffMs, formatDuration);
  const hasCert = r.given('OUTPOST_REMOTE_WRITE_CERT_FILE') !== undefined;
  const hasKey = r.given('OUTPOST_REMOTE_WRITE_KEY_FILE') !== undefined;
  if (hasCert && !hasKey) r.report('OUTPOST_REMOTE_WRITE_CERT_FILE', `is set without ${r.nameOf('OUTPOST_REMOTE_WRITE_KEY_FILE')}; a client certificate needs its key`);
  if (hasKey && !hasCert) r.report('OUTPOST_REMOTE_WRITE_KEY_FILE', `is set without ${r.nameOf('OUTPOST_REMOTE_WRITE_CERT_FILE')}; a client key needs its certificate`);
  return {
    protocol: r.read('OUTPOST_REMOTE_WRITE_PROTOCOL', parseRemoteWriteProtocol),
    auth: readAuth(r, headers),
    headers,
    tls: {
      caFile: r.file('OUTPOST_REMOTE_WRITE_CA_FILE'),
      certFile: r.file('OUTPOST_REMOTE_WRITE_CERT_FILE'),
      keyFile: r.file('OUTPOST_REMOTE_WRITE_KEY_FILE'),
      insecureSkipVerify: r.read('OUTPOST_REMOTE_WRITE_INSECURE_SKIP_VERIFY', parseBoolean),
    },
    timeoutMs: r.read('OUTPOST_REMOTE_WRITE_TIMEOUT', positiveDuration),
    maxBytesPerSecond: r.read('OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND', (value) => parseSize(value)),
    externalLabels: r.read('OUTPOST_EXTERNAL_LABELS', parseLabels),
    queue,
  };
}

/** Basic auth, a bearer token, or neither; never two kinds at once (as Prometheus's remote_write). */
function readAuth(r: Reader, headers: Readonly<Record<string, string>>): RemoteWriteAuth {
  const username = r.optional('OUTPOST_REMOTE_WRITE_USERNAME', anyText);
  const password = r.secret('OUTPOST_REMOTE_WRITE_PASSWORD', 'OUTPOST_REMOTE_WRITE_PASSWORD_FILE');
  const token = r.secret('OUTPOST_REMOTE_WRITE_BEARER_TOKEN', 'OUTPOST_REMOTE_WRITE_BEARER_TOKEN_FILE');
  const passwordFailed = r.anyFailed('OUTPOST_REMOTE_WRITE_PASSWORD', 'OUTPOST_REMOTE_WRITE_PASSWORD_FILE');
  if (username !== null && password === null && !passwordFailed) {
    r.report('OUTPOST_REMOTE_WRITE_USERNAME', `is set without ${r.nameOf('OUTPOST_REMOTE_WRITE_PASSWORD')} (or its _FILE twin); basic auth needs both`);
  }
  if (password !== null && username === null) {
    r.report(password.variable, `is set without ${r.nameOf('OUTPOST_REMOTE_WRITE_USERNAME')}; basic auth needs both`);
  }
  if (token !== null && (username !== null || password !== null)) {
    r.report(token.variable, `cannot be used together with basic auth (${r.nameOf('OUTPOST_REMOTE_WRITE_USERNAME')}/_PASSWORD); choose one`);
  }
  const authorizationHeader = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (authorizationHeader && (username !== null || token !== null)) {
    r.report('OUTPOST_REMOTE_WRITE_HEADERS', 'sets Authorization while basic auth or a bearer token is configured; choose one');
  }
  if (username !== null && password !== null) return { kind: 'basic', username, password: password.value };
  return token !== null ? { kind: 'bearer', token: token.value } : { kind: 'none' };
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}
