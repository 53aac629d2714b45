import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer as createNetServer } from 'node:net';
import { request } from 'node:http';
import { silentLogger } from '../../../src/lib/log.js';
import { createMetricsRegistry, type MetricsRegistry } from '../../../src/status/self-metrics.js';
import { createStatusServer, type StatusServerOptions } from '../../../src/status/server.js';

async function withServer(
  overrides: Partial<StatusServerOptions>,
  body: (base: string, registry: MetricsRegistry) => Promise<void>,
): Promise<void> {
  const registry = overrides.registry ?? createMetricsRegistry();
  const server = createStatusServer({
    address: { host: '127.0.0.1', port: 0 },
    registry,
    isReady: () => true,
    log: silentLogger,
    ...overrides,
  });
  const { host, port } = await server.start();
  try {
    await body(`http://${host}:${port}`, registry);
  } finally {
    await server.close();
  }
}

test('start on port 0 returns the bound port', async () => {
  const server = createStatusServer({ address: { host: '127.0.0.1', port: 0 }, registry: createMetricsRegistry(), isReady: () => true, log: silentLogger });
  const address = await server.start();
  assert.equal(address.host, '127.0.0.1');
  assert.ok(address.port > 0);
  await server.close();
});

test('/-/healthy answers 200 Healthy', async () => {
  await withServer({}, async (base) => {
    const res = await fetch(`${base}/-/healthy`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Healthy\n');
  });
});

test('/-/ready answers 503 until isReady turns true, then 200', async () => {
  let ready = false;
  await withServer({ isReady: () => ready }, async (base) => {
    const before = await fetch(`${base}/-/ready`);
    assert.equal(before.status, 503);
    assert.equal(await before.text(), 'Not ready\n');
    ready = true;
    const after = await fetch(`${base}/-/ready`);
    assert.equal(after.status, 200);
    assert.equal(await after.text(), 'Ready\n');
  });
});

test('/metrics serves the registry in Prometheus text format', async () => {
  await withServer({}, async (base, registry) => {
    registry.counter('outpost_mqtt_messages_received_total', 'Messages received.').inc(3);
    const res = await fetch(`${base}/metrics?ignored=1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(await res.text(), registry.render());
    assert.match(registry.render(), /^outpost_mqtt_messages_received_total 3$/m);
  });
});

test('/api/v1/status serves status() as JSON', async () => {
  const doc = { wal: { segments: 3, bytes: 4096 }, endpoints: [{ url: 'https://x', state: 'up' }] };
  await withServer({ status: () => doc }, async (base) => {
    const res = await fetch(`${base}/api/v1/status`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await res.json(), doc);
  });
});

test('/api/v1/status is 404 when no status source was given', async () => {
  await withServer({}, async (base) => {
    const res = await fetch(`${base}/api/v1/status`);
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });
});

test('HEAD answers with the headers of GET and no body', async () => {
  await withServer({}, async (base) => {
    const res = await fetch(`${base}/-/healthy`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '8');
    assert.equal(await res.text(), '');
  });
});

test('other methods on a known path answer 405 with Allow', async () => {
  await withServer({}, async (base) => {
    const res = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    await res.body?.cancel();
  });
});

test('/api/v1/status passes the query to status()', async () => {
  await withServer({ status: (query) => ({ history: query.get('history') }) }, async (base) => {
    assert.deepEqual(await (await fetch(`${base}/api/v1/status?history=1`)).json(), { history: '1' });
    assert.deepEqual(await (await fetch(`${base}/api/v1/status`)).json(), { history: null });
  });
});

test('/ serves the page as HTML with its headers', async () => {
  const page = () => ({ html: '<!doctype html><title>x</title>', headers: { 'Content-Security-Policy': "default-src 'none'" } });
  await withServer({ page }, async (base) => {
    const res = await fetch(`${base}/?refresh=1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('content-security-policy'), "default-src 'none'");
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(await res.text(), '<!doctype html><title>x</title>');
  });
});

test('unknown paths, and / without a page, answer 404', async () => {
  await withServer({}, async (base) => {
    for (const path of ['/', '/nope', '/metrics/extra']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
  });
});

test('a throwing handler answers 500 and the server keeps serving', async () => {
  const registry = createMetricsRegistry();
  let fail = true;
  registry.gauge('g', 'h', [], () => { if (fail) throw new Error('WAL is closed'); });
  const errors: unknown[] = [];
  const log = Object.assign(Object.create(silentLogger) as typeof silentLogger, {
    error: (obj: unknown) => { errors.push(obj); },
  });
  await withServer({ registry, log, status: () => { throw new Error('boom'); } }, async (base) => {
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 500);
    await metrics.body?.cancel();
    const status = await fetch(`${base}/api/v1/status`);
    assert.equal(status.status, 500);
    await status.body?.cancel();
    assert.equal(errors.length, 2);
    fail = false;
    assert.equal((await fetch(`${base}/metrics`)).status, 200);
    assert.equal((await fetch(`${base}/-/healthy`)).status, 200);
  });
});

test('close ends open connections, is idempotent and frees the port', { timeout: 5000 }, async () => {
  const server = createStatusServer({ address: { host: '127.0.0.1', port: 0 }, registry: createMetricsRegistry(), isReady: () => true, log: silentLogger });
  const { port } = await server.start();
  // An idle keep-alive connection, and one stuck halfway through its headers: close() must wait
  // for neither (Node alone would wait up to headersTimeout, 60 s, for the second).
  const idle = await new Promise<number>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/-/healthy', headers: { connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject).end();
  });
  assert.equal(idle, 200);
  const stuck = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => stuck.once('connect', resolve));
  stuck.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n');
  const stuckClosed = new Promise<void>((resolve) => stuck.once('close', () => resolve()));
  stuck.on('error', () => {});
  // Let the server read the partial request before closing.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = Date.now();
  await Promise.all([server.close(), server.close()]);
  await server.close();
  assert.ok(Date.now() - started < 1000, 'close waited for open connections to time out');
  await stuckClosed;

  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

test('start rejects naming the address when the port is taken', async () => {
  const taken = createNetServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  const server = createStatusServer({ address: { host: '127.0.0.1', port }, registry: createMetricsRegistry(), isReady: () => true, log: silentLogger });
  await assert.rejects(server.start(), { message: `cannot listen on 127.0.0.1:${port}` });
  await server.close();
  await new Promise<void>((resolve) => taken.close(() => resolve()));
});
