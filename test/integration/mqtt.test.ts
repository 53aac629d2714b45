/**
 * The MQTT input against a real mosquitto (test/helpers/mosquitto.ts) and a real WAL: contract
 * rows published with mosquitto_pub and mqtt.js, rejections, broker restarts with and without the
 * session, stop/start while publishing, TLS with a password, and a SIGKILLed input whose
 * uncommitted message must be redelivered (test/helpers/mqtt-child.ts).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { parseTopicTemplates } from '../../src/config/templates.js';
import { silentLogger } from '../../src/lib/log.js';
import type { StreamingInput } from '../../src/inputs/input.js';
import { createMqttInput, MAX_PENDING_ACKS, RECEIVE_MAXIMUM, type MqttConfig } from '../../src/inputs/mqtt/mqtt-input.js';
import { formatLabels } from '../../src/model/labels.js';
import type { Wal, WalAppender } from '../../src/wal/wal.js';
import { toolSkip } from '../helpers/deploy.js';
import { MOSQUITTO_PASSWD_BIN, mosquittoPub, mosquittoSkip, startMosquitto, type Mosquitto, type MosquittoOptions } from '../helpers/mosquitto.js';
import { createRecordingAppender } from '../helpers/fake-appender.js';
import { CONTRACT_ROWS, CONTRACT_TEMPLATES } from '../helpers/mqtt-contract.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openTestWal } from '../helpers/wal-fixture.js';

const skip = mosquittoSkip();
/** openssl, which makes the TLS test's certificates (Debian's path; OPENSSL overrides). */
const OPENSSL_BIN = process.env.OPENSSL ?? '/usr/bin/openssl';
const CHILD = fileURLToPath(new URL('../helpers/mqtt-child.js', import.meta.url));

interface Sample {
  series: string;
  t: number;
  v: number;
}

/** Reads what consumer 'test' has not read yet, series rendered as `name{label="value"}`. */
function readNew(wal: Wal): Sample[] {
  const consumer = wal.consumer('test');
  const out: Sample[] = [];
  for (let b = consumer.read(1000); b !== null; b = consumer.read(1000)) {
    for (let i = 0; i < b.count; i++) out.push({ series: formatLabels(wal.labels(b.refs[i]!) ?? []), t: b.timestamps[i]!, v: b.values[i]! });
  }
  return out;
}

async function waitUntil(what: string, cond: () => boolean, timeoutMs = 15_000, context = ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context ? '\n' + context : ''}`);
    await sleep(20);
  }
}

/** `promise`, or an error naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function broker(t: TestContext, options: Partial<MosquittoOptions> = {}): Promise<Mosquitto> {
  const dir = tempDir('outpost-mosquitto-');
  const b = await startMosquitto({ dataDir: dir.path, ...options });
  t.after(async () => {
    await b.stop('SIGKILL');
    dir.remove();
  });
  return b;
}

/** A WAL committed every 100 ms, and the samples read from it so far. */
function walHarness(t: TestContext): { wal: Wal; dir: string; samples: Sample[]; poll(): Sample[] } {
  const dir = tempDir('outpost-mqtt-wal-');
  const wal = openTestWal(dir.path);
  const timer = setInterval(() => wal.commit(), 100);
  const samples: Sample[] = [];
  t.after(() => {
    clearInterval(timer);
    wal.close();
    dir.remove();
  });
  return { wal, dir: dir.path, samples, poll: () => (samples.push(...readNew(wal)), samples) };
}

interface Counted {
  received: number;
  rejected: Record<string, number>;
}

function mqttConfig(url: string, overrides: Partial<MqttConfig> = {}): MqttConfig {
  const topics = parseTopicTemplates(CONTRACT_TEMPLATES);
  assert.ok(topics.ok);
  return { url, username: null, password: null, clientId: `outpost-test-${randomUUID().slice(0, 8)}`, caFile: null, topics: topics.value, qos: 1, maxPayloadBytes: 65_536, ...overrides };
}

async function startInput(t: TestContext, wal: WalAppender, config: MqttConfig, counted: Counted = { received: 0, rejected: {} }): Promise<StreamingInput> {
  const input = createMqttInput({
    config,
    log: silentLogger,
    counters: {
      received: () => counted.received++,
      rejected: (reason) => (counted.rejected[reason] = (counted.rejected[reason] ?? 0) + 1),
    },
  });
  t.after(() => input.stop());
  await input.start(wal);
  await waitUntil('the input to connect and subscribe', () => input.status().up);
  return input;
}

async function publisher(t: TestContext, url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await connectAsync(url, { protocolVersion: 5, reconnectPeriod: 200, ...options });
  t.after(() => client.endAsync(true));
  return client;
}

const expected = (rows = CONTRACT_ROWS): Array<{ series: string; v: number }> => rows.flatMap((r) => r.series.map(([series, v]) => ({ series, v })));

test('every contract example row arrives as the right series, from mosquitto_pub and from mqtt.js', { skip }, async (t) => {
  const b = await broker(t);
  const h = walHarness(t);
  await startInput(t, h.wal, mqttConfig(b.url));
  const want = expected();

  const before = Date.now();
  for (const row of CONTRACT_ROWS) await mosquittoPub(b.port, row.topic, row.payload);
  await waitUntil('the mosquitto_pub rows', () => h.poll().length >= want.length);
  const after = Date.now();
  assert.deepEqual(h.samples.map(({ series, v }) => ({ series, v })), want);
  let i = 0;
  for (const row of CONTRACT_ROWS) {
    for (const _ of row.series) {
      const { t: ts } = h.samples[i++]!;
      if (row.t !== null) assert.equal(ts, row.t, row.topic);
      else assert.ok(ts >= before && ts <= after, `${row.topic}: receipt time ${ts} within [${before}, ${after}]`);
    }
  }

  const client = await publisher(t, b.url);
  for (const row of CONTRACT_ROWS) await client.publishAsync(row.topic, row.payload, { qos: 1 });
  await waitUntil('the mqtt.js rows', () => h.poll().length >= 2 * want.length);
  assert.deepEqual(h.samples.slice(want.length).map(({ series, v }) => ({ series, v })), want);
});

test('each rejection reason is counted and the next good message still arrives', { skip }, async (t) => {
  const b = await broker(t);
  const h = walHarness(t);
  const counted: Counted = { received: 0, rejected: {} };
  await startInput(t, h.wal, mqttConfig(b.url, { maxPayloadBytes: 4096 }), counted);
  const client = await publisher(t, b.url);
  const bad: Array<[string, string | Buffer, string]> = [
    ['not_a_number', 'warm', 'sensors/kitchen/temperature'],
    ['invalid_utf8', Buffer.from([0x32, 0xff, 0x31]), 'sensors/kitchen/temperature'],
    ['too_large', '1'.repeat(5000), 'sensors/kitchen/temperature'],
    ['no_samples', '{"state":"idle"}', 'zigbee2mqtt/porch'],
    ['too_deep', '['.repeat(1000) + ']'.repeat(1000), 'zigbee2mqtt/porch'],
    ['bad_topic', '1', 'sensors/kitchen/'],
  ];
  let good = 0;
  for (const [reason, payload, topic] of bad) {
    await client.publishAsync(topic, payload, { qos: 1 });
    await client.publishAsync('sensors/after/ok', String(++good), { qos: 1 });
    await waitUntil(`the good message after ${reason}`, () => h.poll().some((s) => s.v === good));
    assert.equal(counted.rejected[reason], 1, reason);
  }
  assert.deepEqual(counted.rejected, Object.fromEntries(bad.map(([reason]) => [reason, 1])));
  assert.equal(counted.received, 2 * bad.length);
  assert.deepEqual(h.samples.map((s) => `${s.series} ${s.v}`), bad.map((_, i) => `ok{room="after"} ${i + 1}`));
});

test('after a broker restart that keeps the session, the input reconnects and messages queued meanwhile arrive', { skip }, async (t) => {
  const b = await broker(t);
  const h = walHarness(t);
  const input = await startInput(t, h.wal, mqttConfig(b.url));
  await mosquittoPub(b.port, 'sensors/a/x', '1');
  await waitUntil('the first message', () => h.poll().length === 1);

  await b.stop('SIGTERM');
  await waitUntil('the input to notice', () => !input.status().up);
  await b.start();
  // Published before the input is back: the persisted session queues them for it.
  for (let v = 2; v <= 4; v++) await mosquittoPub(b.port, 'sensors/a/x', String(v));
  await waitUntil('the messages after the restart', () => h.poll().length === 4, 20_000, b.log());
  assert.deepEqual(h.samples.map((s) => s.v), [1, 2, 3, 4]);
  assert.ok(input.status().up);
});

test('after a broker restart that lost the session, the input subscribes again', { skip }, async (t) => {
  const b = await broker(t);
  const h = walHarness(t);
  const input = await startInput(t, h.wal, mqttConfig(b.url));
  await b.stop('SIGKILL');
  await waitUntil('the input to notice', () => !input.status().up);
  // Same port, empty persistence: the broker has never heard of our session.
  const fresh = await broker(t, { port: b.port });
  await waitUntil('the input to reconnect and subscribe', () => input.status().up, 20_000);
  await mosquittoPub(fresh.port, 'sensors/b/y', '5');
  await waitUntil('the message', () => h.poll().length === 1);
  assert.deepEqual(h.samples.map((s) => `${s.series} ${s.v}`), ['y{room="b"} 5']);
});

test('an input stopped while QoS 1 messages flow and started again loses none of them', { skip }, async (t) => {
  const b = await broker(t);
  const h = walHarness(t);
  const config = mqttConfig(b.url);
  let input = await startInput(t, h.wal, config);
  const client = await publisher(t, b.url);
  const N = 300;
  for (let v = 1; v <= N; v++) {
    await client.publishAsync('sensors/flow/n', String(v), { qos: 1 });
    if (v === 100) await input.stop();
    if (v === 200) input = await startInput(t, h.wal, config);
    await sleep(2);
  }
  const values = (): Set<number> => new Set(h.poll().map((s) => s.v));
  await waitUntil('every value', () => values().size === N, 20_000);
  assert.deepEqual([...values()].sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i + 1));
  // The stopped input stayed away: a reconnecting one would have kicked its successor off.
  assert.doesNotMatch(b.log(), /already connected/);
});

test('QoS 1 messages are acknowledged only after the commit, and at most RECEIVE_MAXIMUM wait unacknowledged', { skip }, async (t) => {
  const b = await broker(t, { extraConfig: ['max_queued_messages 0'] });
  const appender = createRecordingAppender();
  const counted: Counted = { received: 0, rejected: {} };
  await startInput(t, appender, mqttConfig(b.url), counted);
  const client = await publisher(t, b.url);
  const N = RECEIVE_MAXIMUM + 500;
  await Promise.all(Array.from({ length: N }, (_, i) => client.publishAsync('sensors/burst/n', String(i), { qos: 1 })));
  await waitUntil('the first window', () => counted.received === RECEIVE_MAXIMUM);
  // Without a commit no PUBACK goes out, so the broker holds the rest back.
  await sleep(500);
  assert.equal(counted.received, RECEIVE_MAXIMUM);
  appender.commit();
  await waitUntil('the rest, once the first window is acknowledged', () => counted.received === N);
  assert.equal(appender.samples.length, N);
});

test('past MAX_PENDING_ACKS messages are left with the broker and redelivered once commits catch up', { skip }, async (t) => {
  const b = await broker(t, { extraConfig: ['max_queued_messages 0'] });
  const appender = createRecordingAppender();
  const counted: Counted = { received: 0, rejected: {} };
  await startInput(t, appender, mqttConfig(b.url), counted);
  const client = await publisher(t, b.url);
  const N = MAX_PENDING_ACKS + RECEIVE_MAXIMUM + 1000;
  await Promise.all(Array.from({ length: N }, (_, i) => client.publishAsync('sensors/flood/n', String(i), { qos: 1 })));
  await waitUntil('the first window', () => counted.received === RECEIVE_MAXIMUM);
  appender.commit();
  // A broker that honours Receive Maximum sends one more window; mosquitto 2.0.11 sends the rest.
  let last = -1;
  await waitUntil('the flow to settle', () => (last === counted.received ? true : ((last = counted.received), false)), 30_000);
  await sleep(300);
  assert.ok(appender.callbacks.length <= MAX_PENDING_ACKS, `${appender.callbacks.length} acks pending`);
  const values = new Set<number>();
  await waitUntil('every message', () => {
    appender.commit();
    for (const s of appender.samples.splice(0)) values.add(s.v);
    return values.size === N;
  }, 30_000);
});

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** Starts test/helpers/mqtt-child.js; `lines` fills with its stdout lines. */
function spawnChild(t: TestContext, walDir: string, url: string, clientId: string, mode: 'hold' | 'commit'): { child: Child; lines: string[]; exited: Promise<number | string> } {
  const child = spawn(process.execPath, [CHILD, walDir, url, clientId, 'sensors/{room}/{__name__}', mode], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    child.kill('SIGKILL');
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  void exited.then(() => lines.push(...(stderr ? [`stderr ${stderr}`] : [])));
  return { child, lines, exited };
}

test('a message received by an input killed -9 before the commit is redelivered and stored', { skip }, async (t) => {
  const b = await broker(t);
  const dir = tempDir('outpost-mqtt-child-');
  t.after(() => dir.remove());
  const clientId = `outpost-child-${randomUUID().slice(0, 8)}`;

  const first = spawnChild(t, dir.path, b.url, clientId, 'hold');
  await waitUntil('the first child to subscribe', () => first.lines.includes('up'), 15_000, first.lines.join('\n'));
  await mosquittoPub(b.port, 'sensors/cellar/humidity', '77');
  await waitUntil('the first child to append', () => first.lines.includes('appended 1'), 15_000, first.lines.join('\n'));
  first.child.kill('SIGKILL');
  assert.equal(await within(first.exited, 5_000, 'the first child to die'), 'SIGKILL');
  let wal = openTestWal(dir.path);
  assert.deepEqual(readNew(wal), [], 'the killed child committed nothing');
  wal.close();

  const second = spawnChild(t, dir.path, b.url, clientId, 'commit');
  await waitUntil('the redelivery to be committed', () => second.lines.some((l) => l.startsWith('committed')), 15_000, second.lines.join('\n'));
  second.child.stdin.write('stop\n');
  assert.equal(await within(second.exited, 10_000, 'the second child to exit'), 0, second.lines.join('\n'));
  assert.ok(second.lines.includes('stopped'));
  wal = openTestWal(dir.path);
  const stored = readNew(wal);
  wal.close();
  assert.ok(stored.length >= 1, 'at least once');
  assert.ok(stored.every((s) => s.series === 'humidity{room="cellar"}' && s.v === 77), JSON.stringify(stored));
});

/** Writes a CA and a server certificate for 127.0.0.1 into `dir` with openssl. */
function makeCertificates(dir: string): void {
  const run = (...args: string[]): void => void execFileSync(OPENSSL_BIN, args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=outpost test CA');
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.ext');
}

const tlsSkip = skip || toolSkip(MOSQUITTO_PASSWD_BIN, 'apt-get install mosquitto') || toolSkip(OPENSSL_BIN, 'apt-get install openssl');

test('mqtts:// with a CA file and username/password; a wrong password keeps the input down', { skip: tlsSkip }, async (t) => {
  const certs = tempDir('outpost-mqtt-tls-');
  t.after(() => certs.remove());
  makeCertificates(certs.path);
  mkdirSync(join(certs.path, 'auth'));
  const passwd = join(certs.path, 'auth', 'passwd');
  execFileSync(MOSQUITTO_PASSWD_BIN, ['-b', '-c', passwd, 'gateway', 's3cret'], { stdio: 'pipe' });
  const b = await broker(t, {
    listenerConfig: (port) => [
      `listener ${port} 127.0.0.1`,
      `cafile ${join(certs.path, 'ca.crt')}`,
      `certfile ${join(certs.path, 'server.crt')}`,
      `keyfile ${join(certs.path, 'server.key')}`,
      'allow_anonymous false',
      `password_file ${passwd}`,
    ],
  });
  const url = `mqtts://127.0.0.1:${b.port}`;
  const caFile = join(certs.path, 'ca.crt');
  const h = walHarness(t);
  await startInput(t, h.wal, mqttConfig(url, { caFile, username: 'gateway', password: 's3cret' }));
  const client = await publisher(t, url, { ca: [readFileSync(caFile)], username: 'gateway', password: 's3cret' });
  await client.publishAsync('sensors/vault/temperature', '12.5', { qos: 1 });
  await waitUntil('the TLS message', () => h.poll().length === 1);
  assert.deepEqual(h.samples.map((s) => `${s.series} ${s.v}`), ['temperature{room="vault"} 12.5']);

  const wrong = createMqttInput({
    config: mqttConfig(url, { caFile, username: 'gateway', password: 'wrong' }),
    log: silentLogger,
    counters: { received() {}, rejected() {} },
  });
  t.after(() => wrong.stop());
  await wrong.start(h.wal);
  await waitUntil('the refusal', () => wrong.status().lastError !== null);
  assert.equal(wrong.status().up, false);
  assert.match(wrong.status().lastError!, /not authorized|bad user name or password/i);
});
