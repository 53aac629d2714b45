import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeUnknownVariable, findUnknownVariables, formatConfigErrors, loadConfig, redactConfig } from '../../../src/config/env.js';
import { config, errors } from '../../helpers/config.js';


function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-config-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an empty environment gives the documented defaults', () => {
  const c = config({});
  assert.deepEqual(c.http, { address: '127.0.0.1:9780', host: '127.0.0.1', port: 9780 });
  assert.deepEqual(c.log, { level: 'info', format: 'json' });
  assert.deepEqual(c.process, { shutdownTimeoutMs: 10_000, memoryLimitBytes: 0 });
  assert.deepEqual(c.wal, { dataDir: './data', segmentDurationMs: 15 * 60_000, retentionMs: 24 * 3_600_000, maxBytes: 2 ** 30, commitIntervalMs: 1000 });
  assert.deepEqual(c.remoteWrite, {
    urls: [], protocol: '1.0', auth: { kind: 'none' }, headers: {},
    tls: { caFile: null, certFile: null, keyFile: null, insecureSkipVerify: false },
    timeoutMs: 30_000, maxBytesPerSecond: 0, uplinkMetered: false, externalLabels: {},
    queue: {
      capacity: 10_000, minShards: 1, maxShards: 4, maxSamplesPerSend: 2000, batchSendDeadlineMs: 5000,
      minBackoffMs: 1000, maxBackoffMs: 60_000, retryOnHttp429: true,
    },
    endpoints: [],
  });
  assert.deepEqual(c.hostMetrics, { enabled: true, intervalMs: 15_000 });
  assert.deepEqual(c.scrape, { targets: [], intervalMs: 15_000, timeoutMs: 10_000 });
  assert.deepEqual({ ...c.mqtt, topics: c.mqtt.topics.map((t) => t.raw) }, {
    url: null, username: null, password: null, clientId: null, caFile: null,
    topics: ['sensors/#'], qos: 1, maxPayloadBytes: 65_536,
  });
  assert.equal(c.relabelConfigFile, null);
  assert.equal(c.maxSeries, 50_000);
  assert.equal(c.selfMetrics, true);
  assert.deepEqual(c.unknownVariables, []);
});

test('blank values count as unset', () => {
  assert.equal(config({ OUTPOST_WAL_RETENTION: '  ', OUTPOST_REMOTE_WRITE_URL: '' }).wal.retentionMs, 24 * 3_600_000);
});

test('good values are parsed into the typed config', () => {
  const c = config({
    OUTPOST_REMOTE_WRITE_URL: 'https://a.example/api/v1/write, https://b.example/api/v1/write',
    OUTPOST_REMOTE_WRITE_PROTOCOL: '2.0',
    OUTPOST_REMOTE_WRITE_HEADERS: 'X-Scope-OrgID=farm7',
    OUTPOST_EXTERNAL_LABELS: 'site=farm7,gateway=gw01',
    OUTPOST_WAL_MAX_BYTES: '512MiB',
    OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND: '64KiB',
    OUTPOST_SCRAPE_TARGETS: 'node=http://127.0.0.1:9100/metrics,http://127.0.0.1:9200',
    OUTPOST_MQTT_URL: 'mqtts://broker.local:8883',
    OUTPOST_MQTT_TOPICS: 'sensors/{room}/{__name__};zigbee2mqtt/{device}',
    OUTPOST_MQTT_QOS: '0',
    OUTPOST_HTTP_ADDRESS: '[::1]:9781',
    OUTPOST_HOST_METRICS: 'no',
  });
  assert.deepEqual(c.remoteWrite.urls, ['https://a.example/api/v1/write', 'https://b.example/api/v1/write']);
  assert.equal(c.remoteWrite.protocol, '2.0');
  assert.deepEqual(c.remoteWrite.headers, { 'X-Scope-OrgID': 'farm7' });
  assert.deepEqual(c.remoteWrite.externalLabels, { site: 'farm7', gateway: 'gw01' });
  assert.equal(c.wal.maxBytes, 512 * 2 ** 20);
  assert.equal(c.remoteWrite.maxBytesPerSecond, 65_536);
  assert.deepEqual(c.scrape.targets, [
    { job: 'node', url: 'http://127.0.0.1:9100/metrics', instance: '127.0.0.1:9100' },
    { job: 'scrape', url: 'http://127.0.0.1:9200/metrics', instance: '127.0.0.1:9200' },
  ]);
  assert.equal(c.mqtt.url, 'mqtts://broker.local:8883');
  assert.deepEqual(c.mqtt.topics.map((t) => t.filter), ['sensors/+/+', 'zigbee2mqtt/+']);
  assert.equal(c.mqtt.qos, 0);
  assert.deepEqual(c.http, { address: '[::1]:9781', host: '::1', port: 9781 });
  assert.equal(c.hostMetrics.enabled, false);
});

// One bad value of every kind; each must be reported against its variable with a good example.
const BAD_VALUES: Array<[string, string, RegExp]> = [
  ['OUTPOST_REMOTE_WRITE_URL', 'ftp://x', /scheme ftp is not supported/],
  ['OUTPOST_MQTT_URL', 'http://broker', /scheme http is not supported/],
  ['OUTPOST_WAL_RETENTION', 'abc', /not a duration/],
  ['OUTPOST_WAL_RETENTION', '0s', /at least/],
  ['OUTPOST_WAL_SEGMENT_DURATION', '30s', /at least 1m/],
  ['OUTPOST_WAL_COMMIT_INTERVAL', '5ms', /between 10ms and 1m/],
  ['OUTPOST_WAL_COMMIT_INTERVAL', '2m', /between 10ms and 1m/],
  ['OUTPOST_REMOTE_WRITE_TIMEOUT', '0', /at least/],
  ['OUTPOST_WAL_MAX_BYTES', 'lots', /not a size/],
  ['OUTPOST_WAL_MAX_BYTES', '64KiB', /at least 1MiB/],
  ['OUTPOST_MQTT_MAX_PAYLOAD_BYTES', '0', /between 1 and 256MiB/],
  ['OUTPOST_QUEUE_MAX_SHARDS', '0', /between 1 and 1000/],
  ['OUTPOST_QUEUE_CAPACITY', '1.5', /not a whole number/],
  ['OUTPOST_MAX_SERIES', '-1', /between/],
  ['OUTPOST_SELF_METRICS', 'maybe', /not a boolean/],
  ['OUTPOST_QUEUE_RETRY_ON_HTTP_429', 'on', /not a boolean/],
  ['OUTPOST_MQTT_TOPICS', 'a/#/b', /last level/],
  ['OUTPOST_REMOTE_WRITE_HEADERS', 'X Bad=1', /not a valid HTTP header name/],
  ['OUTPOST_EXTERNAL_LABELS', 'site-name=farm7', /not a valid label name/],
  ['OUTPOST_SCRAPE_TARGETS', 'node=localhost:9100', /not supported|not a URL/],
  ['OUTPOST_HTTP_ADDRESS', '9780', /not a listen address/],
  ['OUTPOST_LOG_LEVEL', 'verbose', /one of debug, info, warn, error/],
  ['OUTPOST_LOG_FORMAT', 'text', /one of json, pretty/],
  ['OUTPOST_REMOTE_WRITE_PROTOCOL', '3.0', /one of 1.0, 2.0/],
  ['OUTPOST_MQTT_QOS', '3', /one of 0, 1, 2/],
];

for (const [variable, bad, pattern] of BAD_VALUES) {
  test(`${variable}=${bad} is reported with the variable, the value and a working example`, () => {
    const [error, ...more] = errors({ [variable]: bad });
    assert.deepEqual(more, []);
    assert.equal(error!.variable, variable);
    assert.equal(error!.value, bad);
    assert.match(error!.problem, pattern);
    assert.ok(loadConfig({ [variable]: error!.example }).ok, `example ${error!.example} should be valid`);
    assert.equal(formatConfigErrors([error!]), `${variable}: ${error!.problem} (got "${bad}"); example: ${variable}=${error!.example}`);
  });
}

test('every bad value is reported together, in the order of the variable table', () => {
  const found = errors({
    OUTPOST_MQTT_QOS: '7', OUTPOST_WAL_RETENTION: 'abc', OUTPOST_REMOTE_WRITE_URL: 'ftp://x',
    OUTPOST_HTTP_ADDRESS: 'nowhere', OUTPOST_QUEUE_MIN_BACKOFF: 'soon',
  });
  assert.deepEqual(found.map((e) => e.variable), [
    'OUTPOST_HTTP_ADDRESS', 'OUTPOST_WAL_RETENTION', 'OUTPOST_REMOTE_WRITE_URL', 'OUTPOST_QUEUE_MIN_BACKOFF', 'OUTPOST_MQTT_QOS',
  ]);
  assert.equal(formatConfigErrors(found).split('\n').length, 5);
});

test('cross-field conflicts name the variable that was set', () => {
  const problemOf = (env: NodeJS.ProcessEnv) => errors(env).map((e) => `${e.variable}: ${e.problem}`);
  assert.deepEqual(problemOf({ OUTPOST_QUEUE_MIN_SHARDS: '8' }), ['OUTPOST_QUEUE_MIN_SHARDS: must not exceed OUTPOST_QUEUE_MAX_SHARDS (4)']);
  assert.deepEqual(problemOf({ OUTPOST_QUEUE_MAX_BACKOFF: '500ms' }), ['OUTPOST_QUEUE_MAX_BACKOFF: must not be below OUTPOST_QUEUE_MIN_BACKOFF (1s)']);
  assert.deepEqual(problemOf({ OUTPOST_QUEUE_MIN_BACKOFF: '2m', OUTPOST_QUEUE_MAX_BACKOFF: '1m' }), ['OUTPOST_QUEUE_MIN_BACKOFF: must not exceed OUTPOST_QUEUE_MAX_BACKOFF (1m)']);
  assert.deepEqual(problemOf({ OUTPOST_SCRAPE_TIMEOUT: '20s' }), ['OUTPOST_SCRAPE_TIMEOUT: must not exceed OUTPOST_SCRAPE_INTERVAL (15s)']);
  assert.match(problemOf({ OUTPOST_REMOTE_WRITE_USERNAME: 'gw' })[0]!, /^OUTPOST_REMOTE_WRITE_USERNAME: is set without OUTPOST_REMOTE_WRITE_PASSWORD/);
  assert.match(problemOf({ OUTPOST_REMOTE_WRITE_PASSWORD: 'pw' })[0]!, /^OUTPOST_REMOTE_WRITE_PASSWORD: is set without OUTPOST_REMOTE_WRITE_USERNAME/);
  assert.match(problemOf({ OUTPOST_REMOTE_WRITE_USERNAME: 'gw', OUTPOST_REMOTE_WRITE_PASSWORD: 'pw', OUTPOST_REMOTE_WRITE_BEARER_TOKEN: 't' })[0]!,
    /^OUTPOST_REMOTE_WRITE_BEARER_TOKEN: cannot be used together with basic auth/);
  assert.match(problemOf({ OUTPOST_REMOTE_WRITE_BEARER_TOKEN: 't', OUTPOST_REMOTE_WRITE_HEADERS: 'authorization=Basic x' })[0]!,
    /^OUTPOST_REMOTE_WRITE_HEADERS: sets Authorization/);
  assert.match(problemOf({ OUTPOST_MQTT_PASSWORD: 'pw' })[0]!, /^OUTPOST_MQTT_PASSWORD: is set without OUTPOST_MQTT_USERNAME/);
  assert.match(problemOf({ OUTPOST_REMOTE_WRITE_URL: 'http://a/w,http://a/w' })[0]!, /http:\/\/a\/w is listed twice/);
  assert.match(problemOf({ OUTPOST_SCRAPE_TARGETS: 'http://h:9100/a,http://h:9100/b' })[0]!, /job "scrape" with instance "h:9100" is listed twice/);
});

test('a client certificate without its key is an error, and the reverse too', () => {
  withTempDir((dir) => {
    const pem = join(dir, 'client.pem');
    writeFileSync(pem, 'not really a certificate');
    assert.deepEqual(errors({ OUTPOST_REMOTE_WRITE_CERT_FILE: pem }).map((e) => e.variable), ['OUTPOST_REMOTE_WRITE_CERT_FILE']);
    assert.deepEqual(errors({ OUTPOST_REMOTE_WRITE_KEY_FILE: pem }).map((e) => e.variable), ['OUTPOST_REMOTE_WRITE_KEY_FILE']);
    const tls = config({ OUTPOST_REMOTE_WRITE_CERT_FILE: pem, OUTPOST_REMOTE_WRITE_KEY_FILE: pem, OUTPOST_REMOTE_WRITE_CA_FILE: pem }).remoteWrite.tls;
    assert.deepEqual(tls, { caFile: pem, certFile: pem, keyFile: pem, insecureSkipVerify: false });
  });
});

test('an unreadable file is reported against its variable', () => {
  const [error] = errors({ OUTPOST_RELABEL_CONFIG_FILE: '/nonexistent/relabel.yml' });
  assert.equal(error!.variable, 'OUTPOST_RELABEL_CONFIG_FILE');
  assert.match(error!.problem, /cannot read the file \(ENOENT\)/);
});

test('a scrape timeout left unset shrinks to a shorter interval, as in Prometheus', () => {
  assert.equal(config({ OUTPOST_SCRAPE_INTERVAL: '5s' }).scrape.timeoutMs, 5000);
});

test('MQTT accepts a username without a password', () => {
  assert.equal(config({ OUTPOST_MQTT_USERNAME: 'device-token' }).mqtt.username, 'device-token');
});

test('secrets are read from *_FILE twins without the trailing newline', () => {
  withTempDir((dir) => {
    const write = (name: string, content: string) => {
      writeFileSync(join(dir, name), content);
      return join(dir, name);
    };
    const c = config({
      OUTPOST_REMOTE_WRITE_USERNAME: 'gw',
      OUTPOST_REMOTE_WRITE_PASSWORD_FILE: write('rw-password', 's3cret pass\n'),
      OUTPOST_MQTT_USERNAME: 'outpost',
      OUTPOST_MQTT_PASSWORD_FILE: write('mqtt-password', 'mqtt-pw\r\n'),
    });
    assert.deepEqual(c.remoteWrite.auth, { kind: 'basic', username: 'gw', password: 's3cret pass' });
    assert.equal(c.mqtt.password, 'mqtt-pw');
    const bearer = config({ OUTPOST_REMOTE_WRITE_BEARER_TOKEN_FILE: write('token', 'tok-123\n') });
    assert.deepEqual(bearer.remoteWrite.auth, { kind: 'bearer', token: 'tok-123' });
    const [empty] = errors({ OUTPOST_REMOTE_WRITE_BEARER_TOKEN_FILE: write('empty', '\n') });
    assert.equal(empty!.variable, 'OUTPOST_REMOTE_WRITE_BEARER_TOKEN_FILE');
    assert.match(empty!.problem, /empty file/);
  });
});

test('a secret set both directly and as a file is an error, and so is an unreadable file', () => {
  const both = errors({ OUTPOST_MQTT_USERNAME: 'u', OUTPOST_MQTT_PASSWORD: 'pw', OUTPOST_MQTT_PASSWORD_FILE: '/run/secrets/pw' });
  assert.deepEqual(both.map((e) => [e.variable, e.value]), [['OUTPOST_MQTT_PASSWORD', '<redacted>']]);
  assert.match(both[0]!.problem, /together with OUTPOST_MQTT_PASSWORD_FILE/);
  const missing = errors({ OUTPOST_REMOTE_WRITE_USERNAME: 'gw', OUTPOST_REMOTE_WRITE_PASSWORD_FILE: '/nonexistent/pw' });
  assert.deepEqual(missing.map((e) => [e.variable, e.value]), [['OUTPOST_REMOTE_WRITE_PASSWORD_FILE', '/nonexistent/pw']]);
  assert.match(missing[0]!.problem, /cannot read the file/);
});

test('redaction hides every secret and keeps the rest', () => {
  const secrets = ['rw-pass', 'mqtt-pass', 'url-pass', 'scrape-pass', 'mqtt-url-pass', 'tok-header', 'key-header', 'secret-header'];
  const c = config({
    OUTPOST_REMOTE_WRITE_URL: 'https://gw:url-pass@a.example/api/v1/write',
    OUTPOST_REMOTE_WRITE_USERNAME: 'gw',
    OUTPOST_REMOTE_WRITE_PASSWORD: 'rw-pass',
    OUTPOST_REMOTE_WRITE_HEADERS: 'X-Scope-OrgID=farm7,X-Auth-Token=tok-header,X-Api-Key=key-header,X-Client-Secret=secret-header',
    OUTPOST_SCRAPE_TARGETS: 'app=http://user:scrape-pass@127.0.0.1:8080/metrics',
    OUTPOST_MQTT_URL: 'mqtt://u:mqtt-url-pass@broker:1883',
    OUTPOST_MQTT_USERNAME: 'outpost',
    OUTPOST_MQTT_PASSWORD: 'mqtt-pass',
  });
  const printed = JSON.stringify(redactConfig(c));
  for (const secret of secrets) assert.ok(!printed.includes(secret), `${secret} leaked: ${printed}`);
  const redacted = JSON.parse(printed) as { remoteWrite: { urls: string[]; auth: object; headers: object }; mqtt: { url: string; username: string } };
  assert.deepEqual(redacted.remoteWrite.urls, ['https://<redacted>@a.example/api/v1/write']);
  assert.deepEqual(redacted.remoteWrite.auth, { kind: 'basic', username: 'gw', password: '<redacted>' });
  assert.equal((redacted.remoteWrite.headers as Record<string, string>)['X-Scope-OrgID'], 'farm7');
  assert.equal(redacted.mqtt.url, 'mqtt://<redacted>@broker:1883');
  assert.equal(redacted.mqtt.username, 'outpost');
  assert.equal(c.remoteWrite.urls[0], 'https://gw:url-pass@a.example/api/v1/write', 'the config itself is untouched');
  const bearer = redactConfig(config({ OUTPOST_REMOTE_WRITE_BEARER_TOKEN: 'tok-xyz' }));
  assert.deepEqual((bearer as { remoteWrite: { auth: object } }).remoteWrite.auth, { kind: 'bearer', token: '<redacted>' });
  const header = redactConfig(config({ OUTPOST_REMOTE_WRITE_HEADERS: 'Authorization=Bearer hdr-xyz' }));
  assert.ok(!JSON.stringify(header).includes('hdr-xyz'));
});

test('config errors never show secrets', () => {
  const found = errors({
    OUTPOST_REMOTE_WRITE_URL: 'ftp://gw:url-pass@x',
    OUTPOST_REMOTE_WRITE_PASSWORD: 'rw-pass',
    OUTPOST_REMOTE_WRITE_BEARER_TOKEN: 'tok-secret',
    OUTPOST_REMOTE_WRITE_HEADERS: 'Authorization=Bearer hdr-secret,Bad Name=1',
    OUTPOST_SCRAPE_TARGETS: 'x=ftp://u:scrape-pass@h',
  });
  const printed = formatConfigErrors(found);
  for (const secret of ['url-pass', 'rw-pass', 'tok-secret', 'hdr-secret', 'scrape-pass']) assert.ok(!printed.includes(secret), `${secret} leaked: ${printed}`);
  assert.match(printed, /OUTPOST_REMOTE_WRITE_URL: .*ftp:\/\/<redacted>@x/);
});

test('the config is deeply frozen', () => {
  const c = config({ OUTPOST_SCRAPE_TARGETS: 'http://h:1/metrics', OUTPOST_REMOTE_WRITE_HEADERS: 'X-A=1' });
  const walk = (value: unknown, path: string): void => {
    if (typeof value !== 'object' || value === null) return;
    assert.ok(Object.isFrozen(value), `${path} is not frozen`);
    for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`);
  };
  walk(c, 'config');
  assert.throws(() => { (c.wal as { retentionMs: number }).retentionMs = 1; }, TypeError);
  assert.throws(() => { (c.scrape.targets as unknown[]).push({}); }, TypeError);
});

test('unknown OUTPOST_ variables are returned, not errors, with a likely correction', () => {
  const env = { OUTPOST_WAL_RETENTON: '48h', OUTPOST_ZZZ: '1', PATH: '/usr/bin', OUTPOSTX: '1' };
  assert.deepEqual(config(env).unknownVariables, ['OUTPOST_WAL_RETENTON', 'OUTPOST_ZZZ']);
  assert.deepEqual(findUnknownVariables(env), ['OUTPOST_WAL_RETENTON', 'OUTPOST_ZZZ']);
  assert.match(describeUnknownVariable('OUTPOST_WAL_RETENTON'), /did you mean OUTPOST_WAL_RETENTION\?/);
  assert.doesNotMatch(describeUnknownVariable('OUTPOST_ZZZ'), /did you mean/);
});

test('OUTPOST_MEMORY_LIMIT: empty is no limit, a size is bytes, under 32MiB names the variable', () => {
  assert.equal(config({}).process.memoryLimitBytes, 0);
  assert.equal(config({ OUTPOST_MEMORY_LIMIT: '96MiB' }).process.memoryLimitBytes, 96 * 1024 * 1024);
  for (const value of ['16MiB', 'lots']) {
    const [error] = errors({ OUTPOST_MEMORY_LIMIT: value });
    assert.equal(error!.variable, 'OUTPOST_MEMORY_LIMIT');
    assert.equal(error!.example, '96MiB');
  }
});
