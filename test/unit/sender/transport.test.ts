import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createManualClock } from '../../../src/lib/clock.js';
import { createBandwidthEstimator } from '../../../src/sender/bandwidth.js';
import { silentLogger } from '../../../src/lib/log.js';
import { createTransport, MAX_ERROR_BODY_BYTES, parseRetryAfter, type SendResult, type Transport, type TransportOptions } from '../../../src/sender/transport.js';
import { startFaultReceiver, type FaultMode, type FaultReceiver, type FaultReceiverTls } from '../../helpers/fault-receiver.js';
import { tempDir } from '../../helpers/temp-dir.js';

const BODY = new Uint8Array([1, 2, 3, 4, 5]);
const PROTOCOL_HEADERS = { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' };
const NO_TLS = { caFile: null, certFile: null, keyFile: null, insecureSkipVerify: false };

function transportFor(url: string, overrides: Partial<TransportOptions> = {}): Transport {
  return createTransport({ url, auth: { kind: 'none' }, headers: {}, tls: NO_TLS, timeoutMs: 5000, log: silentLogger, ...overrides });
}

/** Sends one request to a receiver answering with `mode`; returns the result and the receiver (closed). */
async function sendOnce(mode: FaultMode, overrides: Partial<TransportOptions> = {}): Promise<{ result: SendResult; receiver: FaultReceiver }> {
  const receiver = await startFaultReceiver({ mode });
  const transport = transportFor(receiver.url, overrides);
  try {
    return { result: await transport.send(BODY, PROTOCOL_HEADERS), receiver };
  } finally {
    transport.close();
    await receiver.close();
  }
}

/** A port nobody listens on: bound once by us, then freed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('transport answers', () => {
  it('turns 204 into ok and delivers the body and the protocol headers', async () => {
    const { result, receiver } = await sendOnce({ kind: 'ok' });
    assert.equal(result.kind, 'ok');
    assert.equal(result.kind === 'ok' && result.status, 204);
    assert.ok(result.durationMs >= 0);
    const [request] = receiver.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/api/v1/write');
    assert.deepEqual([...request!.body], [...BODY]);
    assert.equal(request?.headers['content-type'], 'application/x-protobuf');
    assert.equal(request?.headers['content-encoding'], 'snappy');
    assert.equal(request?.headers['content-length'], String(BODY.length));
    assert.equal(request?.headers['authorization'], undefined);
  });

  for (const status of [500, 502, 503]) {
    it(`retries HTTP ${status} and carries the status and body in the error`, async () => {
      const { result } = await sendOnce({ kind: 'status', status, body: 'storage is\nbusy' });
      assert.equal(result.kind, 'retry');
      assert.equal(result.kind === 'retry' && result.status, status);
      assert.equal(result.kind === 'retry' && result.retryAfterMs, undefined);
      assert.match(result.kind === 'retry' ? result.error : '', new RegExp(`HTTP status ${status}: storage is busy$`));
    });
  }

  it('takes Retry-After in seconds from a 503', async () => {
    const { result } = await sendOnce({ kind: 'status', status: 503, retryAfter: '7' });
    assert.deepEqual(result.kind === 'retry' && [result.status, result.retryAfterMs], [503, 7000]);
  });

  it('retries 429 with Retry-After in seconds', async () => {
    const { result } = await sendOnce({ kind: 'status', status: 429, retryAfter: '3' });
    assert.deepEqual(result.kind === 'retry' && [result.status, result.retryAfterMs], [429, 3000]);
  });

  it('retries 429 with Retry-After as an HTTP-date, measured on the injected clock', async () => {
    const clock = createManualClock(Date.parse('2025-03-01T12:00:00Z'));
    const { result } = await sendOnce({ kind: 'status', status: 429, retryAfter: 'Sat, 01 Mar 2025 12:02:00 GMT' }, { clock });
    assert.deepEqual(result.kind === 'retry' && [result.status, result.retryAfterMs], [429, 120_000]);
  });

  it('retries 429 without Retry-After using the caller\'s backoff (no retryAfterMs)', async () => {
    const { result } = await sendOnce({ kind: 'status', status: 429 });
    assert.equal(result.kind, 'retry');
    assert.equal(result.kind === 'retry' && 'retryAfterMs' in result, false);
  });

  it('rejects 429 when retryOnHttp429 is off', async () => {
    const { result } = await sendOnce({ kind: 'status', status: 429, retryAfter: '3', body: 'slow down' }, { retryOnHttp429: false });
    assert.deepEqual(result.kind === 'reject' && [result.status, result.body], [429, 'slow down']);
  });

  it('retries 408 like a timeout', async () => {
    const { result } = await sendOnce({ kind: 'status', status: 408 });
    assert.equal(result.kind, 'retry');
  });

  it('rejects 400 with the answer body', async () => {
    const body = 'out of order sample';
    const { result } = await sendOnce({ kind: 'status', status: 400, body });
    assert.equal(result.kind, 'reject');
    assert.deepEqual(result.kind === 'reject' && [result.status, result.body], [400, body]);
    assert.match(result.kind === 'reject' ? result.error : '', /HTTP status 400: out of order sample/);
  });

  it('keeps only the first KiB of a long reject body and still reuses the connection', async () => {
    const receiver = await startFaultReceiver({ mode: { kind: 'status', status: 413, body: 'x'.repeat(100_000) } });
    const transport = transportFor(receiver.url, { maxSockets: 1 });
    try {
      const first = await transport.send(BODY, PROTOCOL_HEADERS);
      assert.equal(first.kind === 'reject' && first.body.length, MAX_ERROR_BODY_BYTES);
      receiver.setMode({ kind: 'ok' });
      assert.equal((await transport.send(BODY, PROTOCOL_HEADERS)).kind, 'ok');
      assert.equal(receiver.requests[0]?.remotePort, receiver.requests[1]?.remotePort, 'the whole answer was read, so the socket went back to the pool');
    } finally {
      transport.close();
      await receiver.close();
    }
  });

  it('measures a request through a throttled link from start to answer', async () => {
    const receiver = await startFaultReceiver({ mode: { kind: 'throttle', bytesPerSecond: 40_000 } });
    const transport = transportFor(receiver.url);
    try {
      const result = await transport.send(new Uint8Array(20_000), PROTOCOL_HEADERS);
      assert.equal(result.kind, 'ok');
      assert.ok(result.durationMs >= 450 && result.durationMs < 2000, `${result.durationMs} ms for 20 kB at 40 kB/s`);
      const estimate = createBandwidthEstimator().record(20_000, result.durationMs);
      assert.ok(estimate > 10_000 && estimate <= 44_500, `estimated ${estimate} B/s`);
      assert.equal(receiver.requests[0]?.body.length, 20_000);
    } finally {
      transport.close();
      await receiver.close();
    }
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    const receiver = await startFaultReceiver();
    const transport = transportFor(receiver.url);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await transport.send(BODY, PROTOCOL_HEADERS)).kind, 'ok');
      assert.equal(new Set(receiver.requests.map((request) => request.remotePort)).size, 1);
    } finally {
      transport.close();
      await receiver.close();
    }
  });
});

describe('transport failures', () => {
  it('retries a hanging receiver once the timeout has passed, not much later', async () => {
    const started = performance.now();
    const { result, receiver } = await sendOnce({ kind: 'hang' }, { timeoutMs: 300 });
    const waited = performance.now() - started;
    assert.equal(result.kind, 'retry');
    assert.match(result.kind === 'retry' ? result.error : '', /within the timeout of 300 ms/);
    assert.ok(result.durationMs >= 290 && waited < 2000, `took ${result.durationMs} ms, ${waited} ms in all`);
    assert.equal(receiver.requests.length, 1, 'the request did reach the receiver');
  });

  it('answers a held request when the receiver switches away from hang', async () => {
    const receiver = await startFaultReceiver({ mode: { kind: 'hang' } });
    const transport = transportFor(receiver.url);
    try {
      const pending = transport.send(BODY, PROTOCOL_HEADERS);
      await receiver.waitForRequests(1);
      receiver.setMode({ kind: 'status', status: 503 });
      const result = await pending;
      assert.equal(result.kind === 'retry' && result.status, 503);
    } finally {
      transport.close();
      await receiver.close();
    }
  });

  it('retries a reset connection', async () => {
    const { result } = await sendOnce({ kind: 'reset' });
    assert.equal(result.kind, 'retry');
    assert.match(result.kind === 'retry' ? result.error : '', /ECONNRESET|socket hang up/);
  });

  it('retries a refused connection', async () => {
    const transport = transportFor(`http://127.0.0.1:${await closedPort()}/api/v1/write`);
    const result = await transport.send(BODY, PROTOCOL_HEADERS);
    transport.close();
    assert.equal(result.kind, 'retry');
    assert.match(result.kind === 'retry' ? result.error : '', /ECONNREFUSED/);
  });

  it('retries a name that does not resolve', async () => {
    const transport = transportFor('http://outpost-test.invalid/api/v1/write');
    const result = await transport.send(BODY, PROTOCOL_HEADERS);
    transport.close();
    assert.equal(result.kind, 'retry');
    assert.match(result.kind === 'retry' ? result.error : '', /ENOTFOUND|EAI_AGAIN|within the timeout/);
  });

  it('retries requests in flight when closed', async () => {
    const receiver = await startFaultReceiver({ mode: { kind: 'hang' } });
    const transport = transportFor(receiver.url);
    const pending = transport.send(BODY, PROTOCOL_HEADERS);
    await receiver.waitForRequests(1);
    transport.close();
    assert.equal((await pending).kind, 'retry');
    await receiver.close();
  });

  it('retries, without throwing, when a header value cannot be sent', async () => {
    const { result, receiver } = await sendOnce({ kind: 'ok' }, { headers: { 'X-Bad': 'a\nb' } });
    assert.equal(result.kind, 'retry');
    assert.match(result.kind === 'retry' ? result.error : '', /X-Bad|x-bad/);
    assert.equal(receiver.requests.length, 0);
  });

  it('refuses a URL that is not http or https at creation', () => {
    assert.throws(() => transportFor('ftp://127.0.0.1/write'), /http or https/);
  });
});

describe('transport authentication and headers', () => {
  it('sends basic auth and the extra headers', async () => {
    const { receiver } = await sendOnce({ kind: 'ok' }, {
      auth: { kind: 'basic', username: 'gw01', password: 'pa:ss' },
      headers: { 'X-Scope-OrgID': 'farm7', 'X-Extra': 'yes' },
    });
    const headers = receiver.requests[0]!.headers;
    assert.equal(headers['authorization'], 'Basic ' + Buffer.from('gw01:pa:ss').toString('base64'));
    assert.equal(headers['x-scope-orgid'], 'farm7');
    assert.equal(headers['x-extra'], 'yes');
  });

  it('sends a bearer token', async () => {
    const { receiver } = await sendOnce({ kind: 'ok' }, { auth: { kind: 'bearer', token: 'tok-123' } });
    assert.equal(receiver.requests[0]!.headers['authorization'], 'Bearer tok-123');
  });

  it('lets the per-request headers win over configured ones of any case', async () => {
    const { receiver } = await sendOnce({ kind: 'ok' }, { headers: { 'content-type': 'text/plain' } });
    assert.equal(receiver.requests[0]!.headers['content-type'], 'application/x-protobuf');
  });

  it('turns URL userinfo into basic auth and keeps it out of the URL and the errors', async () => {
    const receiver = await startFaultReceiver({ mode: { kind: 'status', status: 401, body: 'who are you' } });
    const withSecret = receiver.url.replace('://', '://alice:s%3Acret@');
    const transport = transportFor(withSecret);
    try {
      const rejected = await transport.send(BODY, PROTOCOL_HEADERS);
      assert.equal(receiver.requests[0]!.headers['authorization'], 'Basic ' + Buffer.from('alice:s:cret').toString('base64'));
      assert.equal(transport.url, receiver.url);
      receiver.setMode({ kind: 'reset' });
      const reset = await transport.send(BODY, PROTOCOL_HEADERS);
      for (const result of [rejected, reset]) {
        assert.notEqual(result.kind, 'ok');
        assert.doesNotMatch(JSON.stringify(result), /alice|cret/);
      }
    } finally {
      transport.close();
      await receiver.close();
    }
    const refused = transportFor(`http://alice:s3cret@127.0.0.1:${await closedPort()}/`);
    const result = await refused.send(BODY, PROTOCOL_HEADERS);
    refused.close();
    assert.doesNotMatch(JSON.stringify(result) + refused.url, /alice|s3cret/);
  });
});

/** Under CI a missing openssl is a failure, elsewhere a skip. */
function opensslSkip(): string | false {
  if (process.env.CI === 'true' || spawnSync('openssl', ['version']).status === 0) return false;
  return 'openssl is not installed';
}

interface Certs { dir: string; ca: string; serverKey: string; serverCert: string; clientKey: string; clientCert: string }

/** A throwaway CA that signs a server certificate for 127.0.0.1 and a client certificate. */
function makeCerts(dir: string): Certs {
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'pipe' }); };
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=outpost test CA');
  for (const [name, extensions] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'],
    ['client', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', ...ecKey, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=outpost test ${name}`);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-out', file(`${name}.crt`), '-days', '2', '-extfile', file(`${name}.ext`));
  }
  return {
    dir, ca: file('ca.crt'), serverKey: file('server.key'), serverCert: file('server.crt'),
    clientKey: file('client.key'), clientCert: file('client.crt'),
  };
}

describe('transport TLS', { skip: opensslSkip() }, () => {
  let certs: Certs;
  let remove: () => void;
  before(() => {
    const dir = tempDir('outpost-tls-');
    remove = dir.remove;
    certs = makeCerts(dir.path);
  });
  after(() => remove());

  async function sendTls(server: Partial<FaultReceiverTls>, tls: Partial<TransportOptions['tls']>): Promise<SendResult> {
    const receiver = await startFaultReceiver({
      tls: { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ...server },
    });
    const transport = transportFor(receiver.url, { tls: { ...NO_TLS, ...tls } });
    try {
      return await transport.send(BODY, PROTOCOL_HEADERS);
    } finally {
      transport.close();
      await receiver.close();
    }
  }

  it('trusts a server signed by the configured CA', async () => {
    assert.equal((await sendTls({}, { caFile: certs.ca })).kind, 'ok');
  });

  it('retries when the server certificate is not trusted', async () => {
    const result = await sendTls({}, {});
    assert.equal(result.kind, 'retry');
    assert.match(result.kind === 'retry' ? result.error : '', /certificate/i);
  });

  it('accepts an untrusted server with insecureSkipVerify', async () => {
    assert.equal((await sendTls({}, { insecureSkipVerify: true })).kind, 'ok');
  });

  it('presents the client certificate a server requires (mTLS)', async () => {
    const mtls = { ca: readFileSync(certs.ca), requestClientCert: true };
    assert.equal((await sendTls(mtls, { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey })).kind, 'ok');
    assert.equal((await sendTls(mtls, { caFile: certs.ca })).kind, 'retry', 'without a client certificate the handshake fails');
  });

  it('names an unreadable TLS file at creation', () => {
    assert.throws(
      () => transportFor('https://127.0.0.1:1/', { tls: { ...NO_TLS, caFile: join(certs.dir, 'missing.crt') } }),
      /cannot read the remote-write TLS CA file .*missing\.crt/,
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');
  const cases: Array<[string | undefined, number | undefined]> = [
    ['0', 0],
    [' 120 ', 120_000],
    ['Sat, 01 Mar 2025 12:00:30 GMT', 30_000],
    ['Saturday, 01-Mar-25 12:00:30 GMT', 30_000],
    ['Sat Mar  1 12:00:30 2025', 30_000],
    ['Sat, 01 Mar 2025 11:00:00 GMT', 0],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [value, expected] of cases) {
    it(`reads ${JSON.stringify(value)} as ${expected}`, () => assert.equal(parseRetryAfter(value, now), expected));
  }
});
