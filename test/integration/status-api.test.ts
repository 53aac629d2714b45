import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusDocument } from '../../src/status/status-model.js';
import { startFaultReceiver } from '../helpers/fault-receiver.js';
import { startOutpostProcess, waitForStatus } from '../helpers/outpost-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const WAL_FIELDS = [
  'budgetBytes', 'budgetUsedRatio', 'bytes', 'dropped', 'growthBytesPerSecond', 'incomingSamplesPerSecond', 'oldestUndelivered',
  'oldestUndeliveredAgeSeconds', 'pendingSamples', 'recentDrops', 'retentionSeconds', 'samplesAppended', 'segments', 'series', 'timeUntilFullSeconds',
];
const ENDPOINT_FIELDS = [
  'backlogAgeSeconds', 'backlogSamples', 'bandwidthBytesPerSecond', 'catchUpEtaSeconds', 'lastError', 'lastSuccess', 'learnedAgeLimitSeconds', 'name', 'protocol', 'sendRateSamplesPerSecond',
  'shards', 'state', 'stateReason', 'timeUntilBudgetFullSeconds', 'up', 'url',
];
// Short deadlines so a state change shows within a second or two.
const FAST = {
  OUTPOST_WAL_COMMIT_INTERVAL: '200ms', OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '500ms',
  OUTPOST_QUEUE_MIN_BACKOFF: '100ms', OUTPOST_QUEUE_MAX_BACKOFF: '500ms', OUTPOST_HOST_METRICS_INTERVAL: '1s',
};

async function status(base: string, query = ''): Promise<StatusDocument> {
  const res = await fetch(`${base}/api/v1/status${query}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  return (await res.json()) as StatusDocument;
}

/** Polls the status document until `check` holds; fails with the last document after `timeoutMs`. */
async function until(base: string, check: (doc: StatusDocument) => boolean, timeoutMs = 20_000): Promise<StatusDocument> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = await status(base);
    if (check(doc)) return doc;
    if (Date.now() > deadline) assert.fail(`status did not reach the expected shape within ${timeoutMs} ms: ${JSON.stringify(doc)}`);
    await sleep(100);
  }
}

describe('GET /api/v1/status', () => {
  it('reports inputs, the WAL with its budget and an online endpoint, every documented field', { timeout: 60_000 }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver();
    t.after(() => receiver.close());
    const p = await startOutpostProcess({ OUTPOST_DATA_DIR: dir.path, OUTPOST_REMOTE_WRITE_URL: receiver.url, OUTPOST_WAL_MAX_BYTES: '64MiB', ...FAST });
    t.after(() => p.child.kill('SIGKILL'));
    const base = `http://127.0.0.1:${p.port}`;
    await waitForStatus(`${base}/-/ready`, 200);
    const doc = await until(base, (d) => d.endpoints[0]?.lastSuccess != null && d.inputs.every((i) => i.up));

    assert.match(doc.version, /^\d+\.\d+\.\d+/);
    assert.equal(typeof doc.hostname, 'string');
    assert.match(doc.generatedAt, ISO);
    assert.match(doc.startedAt, ISO);
    assert.equal(doc.state, 'online');
    assert.deepEqual(doc.inputs.map((i) => i.name).sort(), ['host', 'self']);
    for (const input of doc.inputs) assert.deepEqual({ ...input, lastSuccess: ISO.test(input.lastSuccess!) }, { name: input.name, up: true, lastSuccess: true, lastError: null });

    const wal = doc.wal!;
    assert.deepEqual(Object.keys(wal).sort(), WAL_FIELDS);
    assert.equal(wal.budgetBytes, 64 * 1024 * 1024);
    assert.ok(wal.bytes > 0 && wal.segments >= 1 && wal.series > 0 && wal.samplesAppended > 0);
    assert.equal(wal.budgetUsedRatio, wal.bytes / wal.budgetBytes);
    assert.equal(wal.retentionSeconds, 86_400);
    assert.deepEqual(wal.dropped, { retention: 0, disk_budget: 0, corruption: 0 });
    assert.deepEqual(wal.recentDrops, []);

    const e = doc.endpoints[0]!;
    assert.deepEqual(Object.keys(e).sort(), ENDPOINT_FIELDS);
    assert.equal(e.url, receiver.url);
    assert.equal(e.name, 'remote-write-1');
    assert.equal(e.state, 'online');
    assert.equal(e.up, true);
    assert.equal(e.lastError, null);
    assert.ok(e.bandwidthBytesPerSecond! > 0, 'the link was measured');
    assert.equal(e.catchUpEtaSeconds, null);
    assert.equal(e.timeUntilBudgetFullSeconds, null);
    assert.equal(doc.history, undefined, 'chart data only when asked');

    const withHistory = await status(base, '?history=1');
    const h = withHistory.endpoints[0]!.history!;
    assert.equal(withHistory.history!.intervalSeconds, 15);
    assert.ok(h.t.length >= 1);
    for (const series of [h.backlogSamples, h.lagSeconds, h.sentBytesPerSecond, withHistory.history!.walBytes]) assert.equal(series.length, h.t.length);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^outpost_wal_max_bytes 67108864$/m);
  });

  it('turns offline-buffering on 503, then losing-data with the lost time range once the disk budget drops undelivered samples', { timeout: 90_000 }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ mode: { kind: 'status', status: 503 } });
    t.after(() => receiver.close());
    // An exporter of 2000 series with random values (they do not compress) that starts big when told.
    let pump = false;
    const exporter = createServer((_req, res) => {
      const lines = pump ? Array.from({ length: 2000 }, (_, i) => `load_test{i="${i}"} ${Math.random()}`) : ['load_test{i="0"} 1'];
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n') + '\n');
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => { exporter.closeAllConnections(); exporter.close(() => resolve()); }));
    const exporterUrl = `http://127.0.0.1:${(exporter.address() as AddressInfo).port}/metrics`;
    const p = await startOutpostProcess({
      OUTPOST_DATA_DIR: dir.path, OUTPOST_REMOTE_WRITE_URL: receiver.url, OUTPOST_WAL_MAX_BYTES: '1MiB',
      OUTPOST_SCRAPE_TARGETS: exporterUrl, OUTPOST_SCRAPE_INTERVAL: '200ms', ...FAST,
    });
    t.after(() => p.child.kill('SIGKILL'));
    const base = `http://127.0.0.1:${p.port}`;
    await waitForStatus(`${base}/-/ready`, 200);

    const offline = await until(base, (d) => d.endpoints[0]?.state === 'offline-buffering');
    assert.equal(offline.state, 'offline-buffering');
    assert.match(offline.endpoints[0]!.lastError!, /503/);
    assert.deepEqual(offline.wal!.recentDrops, []);

    pump = true;
    // The forecast (budget full within the horizon) usually turns the state first, the loss itself follows.
    const losing = await until(base, (d) => d.wal!.recentDrops.length > 0, 60_000);
    const e = losing.endpoints[0]!;
    assert.equal(e.state, 'losing-data');
    assert.match(e.stateReason, /undelivered samples lost \(disk_budget\)/);
    const drop = losing.wal!.recentDrops[0]!;
    assert.equal(drop.reason, 'disk_budget');
    assert.ok(drop.samples > 0);
    assert.match(drop.from!, ISO);
    assert.match(drop.to!, ISO);
    assert.ok(drop.from! <= drop.to!, 'a time range');
    assert.deepEqual(drop.endpoints, [receiver.url], 'the endpoint that had not delivered them');
    assert.ok(losing.wal!.dropped.disk_budget! >= drop.samples);
    assert.equal(losing.state, 'losing-data');
  });
});
