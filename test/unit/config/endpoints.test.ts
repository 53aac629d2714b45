import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findUnknownVariables, formatConfigErrors, redactConfig } from '../../../src/config/env.js';
import { ENDPOINT_SETTINGS } from '../../../src/config/endpoints.js';
import { VARIABLES } from '../../../src/config/variables.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { config, errors } from '../../helpers/config.js';


const CLOUD = 'https://cloud.example/api/prom/push';
const SITE = 'http://prom.site.lan:9090/api/v1/write';

test('OUTPOST_ENDPOINT_<NAME>_URL declares an endpoint shown by its lower-case name, after the unnamed URLs, named ones by name', () => {
  const c = config({ OUTPOST_REMOTE_WRITE_URL: 'http://a.example/w,http://b.example/w', OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPOINT_CLOUD2_URL: CLOUD });
  assert.deepEqual(c.remoteWrite.endpoints.map((e) => [e.name, e.url]), [
    ['remote-write-1', 'http://a.example/w'], ['remote-write-2', 'http://b.example/w'], ['cloud2', CLOUD], ['site', SITE],
  ]);
  assert.deepEqual(c.remoteWrite.urls, ['http://a.example/w', 'http://b.example/w'], 'OUTPOST_REMOTE_WRITE_URL keeps its meaning');
});

test('a named endpoint inherits every unnamed setting it does not set, and its own settings stay its own', () => {
  const c = config({
    OUTPOST_REMOTE_WRITE_URL: 'http://a.example/w',
    OUTPOST_REMOTE_WRITE_PROTOCOL: '2.0', OUTPOST_REMOTE_WRITE_TIMEOUT: '10s', OUTPOST_EXTERNAL_LABELS: 'site=farm7',
    OUTPOST_REMOTE_WRITE_HEADERS: 'X-Scope-OrgID=shared', OUTPOST_QUEUE_MAX_SHARDS: '2', OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND: '64KiB',
    OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPOINT_SITE_PROTOCOL: '1.0', OUTPOST_ENDPOINT_SITE_HEADERS: 'X-Scope-OrgID=farm7',
    OUTPOST_ENDPOINT_SITE_QUEUE_MAX_SHARDS: '1', OUTPOST_ENDPOINT_SITE_MAX_BYTES_PER_SECOND: '8KiB', OUTPOST_ENDPOINT_SITE_EXTERNAL_LABELS: 'gateway=gw01',
  });
  const [unnamed, site] = c.remoteWrite.endpoints;
  assert.equal(unnamed!.protocol, '2.0');
  assert.deepEqual(unnamed!.headers, { 'X-Scope-OrgID': 'shared' });
  assert.equal(unnamed!.queue.maxShards, 2);
  assert.equal(site!.protocol, '1.0');
  assert.deepEqual(site!.headers, { 'X-Scope-OrgID': 'farm7' });
  assert.deepEqual(site!.externalLabels, { gateway: 'gw01' }, 'a set value replaces the unnamed one, it is not merged');
  assert.equal(site!.queue.maxShards, 1);
  assert.equal(site!.maxBytesPerSecond, 8192);
  assert.equal(site!.timeoutMs, 10_000, 'inherited');
  assert.equal(site!.queue.capacity, 10_000, 'the default when neither sets it');
  assert.equal(c.remoteWrite.maxBytesPerSecond, 65_536, 'the cap of all endpoints together is the unnamed one');
});

test('credentials are inherited whole: an endpoint with its own password or token never gets the unnamed ones', () => {
  const c = config({
    OUTPOST_REMOTE_WRITE_USERNAME: 'shared', OUTPOST_REMOTE_WRITE_PASSWORD: 'shared-secret',
    OUTPOST_ENDPOINT_CLOUD_URL: CLOUD, OUTPOST_ENDPOINT_CLOUD_BEARER_TOKEN: 'cloud-token',
    OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPOINT_SITE_USERNAME: 'site', OUTPOST_ENDPOINT_SITE_PASSWORD: 'site-secret',
    OUTPOST_ENDPOINT_LAB_URL: 'http://lab.example/w',
  });
  const byName = new Map(c.remoteWrite.endpoints.map((e) => [e.name, e]));
  assert.deepEqual(byName.get('cloud')!.auth, { kind: 'bearer', token: 'cloud-token' });
  assert.deepEqual(byName.get('site')!.auth, { kind: 'basic', username: 'site', password: 'site-secret' });
  assert.deepEqual(byName.get('lab')!.auth, { kind: 'basic', username: 'shared', password: 'shared-secret' }, 'one without credentials inherits them');
});

test('a client certificate and its key are inherited together: an endpoint setting only its certificate is told of its own key variable', () => {
  const dir = tempDir();
  try {
    const pem = join(dir.path, 'x.pem');
    writeFileSync(pem, 'x');
    const found = errors({
      OUTPOST_REMOTE_WRITE_CERT_FILE: pem, OUTPOST_REMOTE_WRITE_KEY_FILE: pem,
      OUTPOST_ENDPOINT_LAB_URL: 'http://lab.example/w', OUTPOST_ENDPOINT_LAB_CERT_FILE: pem,
    });
    assert.deepEqual(found.map((e) => [e.variable, e.problem]), [
      ['OUTPOST_ENDPOINT_LAB_CERT_FILE', 'is set without OUTPOST_ENDPOINT_LAB_KEY_FILE; a client certificate needs its key'],
    ]);
    const both = config({ OUTPOST_REMOTE_WRITE_CERT_FILE: pem, OUTPOST_REMOTE_WRITE_KEY_FILE: pem, OUTPOST_ENDPOINT_SITE_URL: SITE });
    assert.deepEqual(both.remoteWrite.endpoints[0]!.tls, { caFile: null, certFile: pem, keyFile: pem, insecureSkipVerify: false });
  } finally {
    dir.remove();
  }
});

test('a bad value of a named endpoint is reported against its own variable with the example of the setting', () => {
  const [error, ...more] = errors({ OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPOINT_SITE_TIMEOUT: 'soon' });
  assert.deepEqual(more, []);
  assert.equal(error!.variable, 'OUTPOST_ENDPOINT_SITE_TIMEOUT');
  assert.equal(error!.value, 'soon');
  assert.match(error!.problem, /not a duration/);
  assert.equal(error!.example, VARIABLES.OUTPOST_REMOTE_WRITE_TIMEOUT.example);
  assert.match(formatConfigErrors([error!]), /example: OUTPOST_ENDPOINT_SITE_TIMEOUT=1m$/);
});

test('a bad unnamed value that endpoints inherit is reported once', () => {
  const found = errors({ OUTPOST_REMOTE_WRITE_TIMEOUT: 'soon', OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPOINT_LAB_URL: 'http://lab.example/w' });
  assert.deepEqual(found.map((e) => e.variable), ['OUTPOST_REMOTE_WRITE_TIMEOUT']);
});

test('a setting for an endpoint without a URL is an error naming the setting and the missing URL', () => {
  const [error, ...more] = errors({ OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPOINT_STIE_PASSWORD: 'secret' });
  assert.deepEqual(more, []);
  assert.equal(error!.variable, 'OUTPOST_ENDPOINT_STIE_PASSWORD');
  assert.equal(error!.value, '<redacted>');
  assert.match(error!.problem, /endpoint STIE, which has no URL; set OUTPOST_ENDPOINT_STIE_URL/);
  assert.match(formatConfigErrors([error!]), /example: OUTPOST_ENDPOINT_STIE_URL=https:\/\//);
});

test('an unknown setting suffix is an error suggesting the setting it most likely misspells', () => {
  const [error, ...more] = errors({ OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPOINT_SITE_PROTCOL: '2.0' });
  assert.deepEqual(more, []);
  assert.equal(error!.variable, 'OUTPOST_ENDPOINT_SITE_PROTCOL');
  assert.match(error!.problem, /"PROTCOL" is not a setting of a named endpoint \(did you mean PROTOCOL\?\)/);
  assert.match(formatConfigErrors([error!]), /example: OUTPOST_ENDPOINT_SITE_PROTOCOL=2\.0$/);
  assert.match(errors({ OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPOINT_SITE_UPLINK_METERED: 'true' })[0]!.problem, /not a setting of a named endpoint/,
    'the metered flag is the link\'s, not an endpoint\'s');
});

test('an endpoint name with a lower-case letter is an error showing the upper-case name', () => {
  const [error, ...more] = errors({ OUTPOST_ENDPOINT_Cloud_URL: CLOUD });
  assert.deepEqual(more, []);
  assert.equal(error!.variable, 'OUTPOST_ENDPOINT_Cloud_URL');
  assert.match(error!.problem, /endpoint name "Cloud" has lower-case letters; a name is \[A-Z0-9\]\+/);
  assert.match(formatConfigErrors([error!]), /example: OUTPOST_ENDPOINT_CLOUD_URL=https:\/\//);
});

test('a variable that is not OUTPOST_ENDPOINT_<NAME>_<SETTING> is an error', () => {
  assert.match(errors({ OUTPOST_ENDPOINT_URL: CLOUD })[0]!.problem, /not of the form OUTPOST_ENDPOINT_<NAME>_<SETTING>/);
});

test('two endpoints naming one receiver (credentials aside) are an error naming the second', () => {
  const named = errors({ OUTPOST_ENDPOINT_A_URL: SITE, OUTPOST_ENDPOINT_B_URL: SITE.replace('http://', 'http://user:pw@') });
  assert.deepEqual(named.map((e) => e.variable), ['OUTPOST_ENDPOINT_B_URL']);
  assert.match(named[0]!.problem, /names the same receiver as OUTPOST_ENDPOINT_A_URL/);
  assert.doesNotMatch(JSON.stringify(named), /pw@/, 'credentials are not shown');
  const withUnnamed = errors({ OUTPOST_REMOTE_WRITE_URL: SITE, OUTPOST_ENDPOINT_SITE_URL: SITE });
  assert.match(withUnnamed[0]!.problem, /names the same receiver as OUTPOST_REMOTE_WRITE_URL/);
  assert.match(errors({ OUTPOST_REMOTE_WRITE_URL: `${SITE},${SITE.replace('http://', 'http://u:p@')}` })[0]!.problem, /listed twice/);
});

test('a named endpoint URL must be http or https', () => {
  const [error] = errors({ OUTPOST_ENDPOINT_SITE_URL: 'ftp://x/' });
  assert.equal(error!.variable, 'OUTPOST_ENDPOINT_SITE_URL');
  assert.match(error!.problem, /scheme ftp is not supported/);
});

test('named-endpoint variables are not warned about as unknown; a misspelt prefix is', () => {
  assert.deepEqual(findUnknownVariables({ OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPONT_SITE_URL: SITE }), ['OUTPOST_ENDPONT_SITE_URL']);
});

test('the settings of a named endpoint are the sending variables of the table, not a list of their own', () => {
  for (const [name, info] of Object.entries(VARIABLES) as Array<[string, { group: string; endpoint?: string }]>) {
    const suffix = name.replace(/^OUTPOST_(REMOTE_WRITE_)?/, '');
    assert.equal(ENDPOINT_SETTINGS.includes(suffix), info.endpoint !== undefined || suffix === 'URL' || suffix === 'RELABEL_CONFIG_FILE', name);
  }
  for (const suffix of ['PROTOCOL', 'USERNAME', 'PASSWORD', 'PASSWORD_FILE', 'BEARER_TOKEN', 'BEARER_TOKEN_FILE', 'HEADERS', 'CA_FILE', 'CERT_FILE',
    'KEY_FILE', 'INSECURE_SKIP_VERIFY', 'TIMEOUT', 'MAX_BYTES_PER_SECOND', 'EXTERNAL_LABELS', 'RELABEL_CONFIG_FILE', 'URL']) {
    assert.ok(ENDPOINT_SETTINGS.includes(suffix), `${suffix} is a setting (docs/configuration.md, Named endpoints)`);
  }
  const queue = Object.keys(VARIABLES).filter((name) => name.startsWith('OUTPOST_QUEUE_')).map((name) => name.slice('OUTPOST_'.length));
  assert.deepEqual(ENDPOINT_SETTINGS.filter((s) => s.startsWith('QUEUE_')), queue, 'every OUTPOST_QUEUE_* variable');
});

test('an endpoint write relabel file is compiled for that endpoint only; the input relabel file is not inherited', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'write.yml');
    writeFileSync(file, "- source_labels: [__name__]\n  regex: 'node_.*'\n  action: keep\n");
    const c = config({ OUTPOST_RELABEL_CONFIG_FILE: file, OUTPOST_ENDPOINT_CLOUD_URL: CLOUD, OUTPOST_ENDPOINT_CLOUD_RELABEL_CONFIG_FILE: file, OUTPOST_ENDPOINT_SITE_URL: SITE });
    const byName = new Map(c.remoteWrite.endpoints.map((e) => [e.name, e]));
    assert.equal(byName.get('cloud')!.relabelRules.length, 1);
    assert.equal(byName.get('cloud')!.relabelConfigFile, file);
    assert.equal(byName.get('site')!.relabelRules.length, 0);
    writeFileSync(file, '- action: keep\n  regex: (\n');
    const [error] = errors({ OUTPOST_ENDPOINT_CLOUD_URL: CLOUD, OUTPOST_ENDPOINT_CLOUD_RELABEL_CONFIG_FILE: file });
    assert.equal(error!.variable, 'OUTPOST_ENDPOINT_CLOUD_RELABEL_CONFIG_FILE');
  } finally {
    dir.remove();
  }
});

test('check-config output shows every endpoint with its effective settings, secrets redacted', () => {
  const c = config({
    OUTPOST_ENDPOINT_CLOUD_URL: 'https://gw:url-pass@cloud.example/push', OUTPOST_ENDPOINT_CLOUD_BEARER_TOKEN: 'cloud-token',
    OUTPOST_ENDPOINT_CLOUD_HEADERS: 'X-Scope-OrgID=farm7,X-Api-Key=k3y',
    OUTPOST_ENDPOINT_SITE_URL: SITE, OUTPOST_ENDPOINT_SITE_USERNAME: 'site', OUTPOST_ENDPOINT_SITE_PASSWORD: 'site-secret',
  });
  const printed = JSON.stringify(redactConfig(c));
  for (const secret of ['url-pass', 'cloud-token', 'k3y', 'site-secret']) assert.ok(!printed.includes(secret), `${secret} is redacted`);
  const endpoints = (JSON.parse(printed) as { remoteWrite: { endpoints: Array<Record<string, unknown>> } }).remoteWrite.endpoints;
  assert.deepEqual(endpoints.map((e) => [e.name, e.url, e.auth]), [
    ['cloud', 'https://<redacted>@cloud.example/push', { kind: 'bearer', token: '<redacted>' }],
    ['site', SITE, { kind: 'basic', username: 'site', password: '<redacted>' }],
  ]);
  assert.deepEqual(endpoints[0]!.headers, { 'X-Scope-OrgID': 'farm7', 'X-Api-Key': '<redacted>' });
  assert.equal(endpoints[0]!.timeoutMs, 30_000, 'effective settings, defaults included');
});

test('a metered uplink makes an unset batch deadline 15s for every endpoint, and a set one stays as set', () => {
  const deadlines = (env: NodeJS.ProcessEnv) => config({ OUTPOST_REMOTE_WRITE_URL: 'http://a.example/w', OUTPOST_ENDPOINT_SITE_URL: SITE, ...env }).remoteWrite.endpoints.map((e) => e.queue.batchSendDeadlineMs);
  assert.deepEqual(deadlines({}), [5_000, 5_000]);
  assert.deepEqual(deadlines({ OUTPOST_UPLINK_METERED: 'true' }), [15_000, 15_000]);
  assert.deepEqual(deadlines({ OUTPOST_UPLINK_METERED: 'true', OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '5s' }), [5_000, 5_000], 'inherited when set');
  assert.deepEqual(deadlines({ OUTPOST_UPLINK_METERED: 'true', OUTPOST_ENDPOINT_SITE_QUEUE_BATCH_SEND_DEADLINE: '2s' }), [15_000, 2_000]);
});
