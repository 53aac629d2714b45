import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultReceiver } from '../helpers/fault-receiver.js';
import { startOutpostProcess, waitForStatus } from '../helpers/outpost-process.js';
import { prometheusSkip, startPrometheus } from '../helpers/prometheus.js';
import { decodeRemoteWrite } from '../helpers/remote-write-schema.js';
import { committedSamples, delivered, deliveredAll, eventually, startSenderHarness } from '../helpers/sender-harness.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startVictoriaMetrics, victoriaMetricsSkip } from '../helpers/victoria-metrics.js';

const SERIES = 20;

/** Asserts that each series got exactly `timestamps`, in that order. */
function assertEach(got: Map<string, Array<[number, number]>>, timestamps: number[]): void {
  assert.equal(got.size, SERIES);
  for (const [key, samples] of got) assert.deepEqual(samples.map(([t]) => t), timestamps, key);
}

describe('sender and what receivers answer', () => {
  it('delivers every later sample after a receiver refused one whole request as out of bounds', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ mode: { kind: 'status', status: 400, body: 'out of bounds', times: 1 } });
    t.after(() => receiver.close());
    const h = startSenderHarness(dir.path, [receiver.url]);
    const base = Date.now() - 20_000;
    const timestamps: number[] = [];
    for (let r = 0; r < 20; r++) {
      timestamps.push(base + r * 1000);
      h.appendRound(SERIES, base + r * 1000, () => r);
      await new Promise((res) => setTimeout(res, 50));
    }
    await eventually(() => h.wal.stats().pendingSamples === 0 && h.wal.consumer(receiver.url).backlog().samples === 0, 10_000, 'the backlog to drain');
    await h.stop();
    assert.equal(receiver.requests[0]!.mode, 'status', 'the first request was refused');
    // The refused request is split and sent again where its samples span more than a second; a
    // request of one scrape cannot be split and is dropped, counted. Everything after it arrives.
    const refused = decodeRemoteWrite('1.0', receiver.requests[0]!.body).series[0]!.timestamps;
    const firstDelivered = timestamps.findIndex((ts) => ts > Math.max(...refused));
    const got = delivered(receiver);
    const lost = timestamps.length - (got.values().next().value?.length ?? 0);
    assert.ok(lost === 0 || Math.max(...refused) - Math.min(...refused) <= 1000, `${lost} scrapes lost from a request that could be split`);
    assertEach(got, timestamps.slice(lost));
    assert.ok(lost <= firstDelivered, 'only the refused request\'s samples are missing');
    assert.deepEqual(h.counts.get(receiver.url)!.rejected, lost === 0 ? {} : { out_of_bounds: lost * SERIES });
  });

  it('drops and counts the backlog a moving head refuses, and delivers every newer sample in order', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    // Like Prometheus after a long outage: anything older than an hour is refused.
    const receiver = await startFaultReceiver({ mode: { kind: 'head', maxAgeMs: 3_600_000 } });
    t.after(() => receiver.close());
    const h = startSenderHarness(dir.path, [receiver.url], { OUTPOST_QUEUE_MAX_SAMPLES_PER_SEND: '200' });
    const now = Date.now();
    // Two hours of backlog, one round a minute; none within five minutes of the boundary.
    const old: number[] = [];
    const fresh: number[] = [];
    for (let m = 120; m >= 1; m--) {
      if (m > 55 && m < 65) continue;
      (m >= 65 ? old : fresh).push(now - m * 60_000);
      h.appendRound(SERIES, now - m * 60_000, () => m);
    }
    await eventually(() => h.wal.stats().pendingSamples === 0 && h.wal.consumer(receiver.url).backlog().samples === 0, 20_000, 'the backlog to drain');
    await h.stop();
    assertEach(delivered(receiver), fresh);
    const rejected = h.counts.get(receiver.url)!.rejected;
    assert.equal((rejected.out_of_bounds ?? 0) + (rejected.too_old ?? 0), old.length * SERIES, 'every refused sample counted');
    // 2,220 samples go in requests of 200: each refused one is split at most three levels deep.
    assert.ok(receiver.requests.length <= 12 * 15, `${receiver.requests.length} requests`);
  });

  it('exits within the shutdown timeout on SIGTERM while a request hangs, and delivers all it committed after a restart', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ mode: { kind: 'hang' } });
    t.after(() => receiver.close());
    const env = {
      OUTPOST_DATA_DIR: dir.path, OUTPOST_REMOTE_WRITE_URL: receiver.url, OUTPOST_HOST_METRICS_INTERVAL: '1s',
      OUTPOST_SELF_METRICS: 'false', OUTPOST_WAL_COMMIT_INTERVAL: '200ms', OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '200ms',
      OUTPOST_SHUTDOWN_TIMEOUT: '3s',
    };
    const first = await startOutpostProcess(env);
    t.after(() => first.child.kill('SIGKILL'));
    await waitForStatus(`http://127.0.0.1:${first.port}/-/ready`, 200);
    await receiver.waitForRequests(1, 10_000);
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output());
    const took = Date.now() - signalledAt;
    assert.ok(took <= 4000, `exited ${took} ms after SIGTERM`);
    assert.match(first.output(), /WAL closed/);
    const committed = committedSamples(dir.path);
    assert.ok(committed.length > 0);

    receiver.setMode({ kind: 'ok' });
    const second = await startOutpostProcess(env);
    t.after(() => second.child.kill('SIGKILL'));
    await waitForStatus(`http://127.0.0.1:${second.port}/-/ready`, 200);
    await eventually(() => deliveredAll(receiver, committed), 20_000, 'every sample committed before SIGTERM to arrive');
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });

  it('falls back to 1.0 for a receiver that answers 2.0 requests 2xx without storing them, losing nothing', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ rw2: false });
    t.after(() => receiver.close());
    const h = startSenderHarness(dir.path, [receiver.url], { OUTPOST_REMOTE_WRITE_PROTOCOL: '2.0' });
    const base = Date.now() - 10_000;
    const timestamps: number[] = [];
    for (let r = 0; r < 10; r++) {
      timestamps.push(base + r * 1000);
      h.appendRound(SERIES, base + r * 1000, () => r);
      await new Promise((res) => setTimeout(res, 50));
    }
    await eventually(() => h.wal.stats().pendingSamples === 0 && h.wal.consumer(receiver.url).backlog().samples === 0, 10_000, 'the backlog to drain');
    const status = h.endpoints.views[0]!.status();
    await h.stop();
    assert.equal(receiver.requests[0]!.protocol, '2.0');
    assert.ok(receiver.requests.slice(1).every((r) => r.protocol === '1.0'), 'nothing but 1.0 after the fall back');
    assert.equal(status.protocol, '1.0');
    assertEach(delivered(receiver), timestamps);
  });

  const receivers = [
    { name: 'Prometheus 2.42', skip: prometheusSkip(), start: (d: string) => startPrometheus(d) },
    { name: 'VictoriaMetrics 1.79', skip: victoriaMetricsSkip(), start: (d: string) => startVictoriaMetrics(d) },
  ];
  for (const r of receivers) {
    it(`with OUTPOST_REMOTE_WRITE_PROTOCOL=2.0 delivers every sample to ${r.name}, which speaks only 1.0`, { skip: r.skip }, async (t) => {
      const dir = tempDir();
      t.after(dir.remove);
      mkdirSync(join(dir.path, 'receiver'));
      const server = await r.start(join(dir.path, 'receiver'));
      t.after(() => server.stop());
      const h = startSenderHarness(join(dir.path, 'wal'), [server.writeUrl], { OUTPOST_REMOTE_WRITE_PROTOCOL: '2.0' });
      const base = Date.now() - 30_000;
      for (let round = 0; round < 10; round++) {
        h.appendRound(SERIES, base + round * 1000, (i) => i * 100 + round);
        await new Promise((res) => setTimeout(res, 50));
      }
      await eventually(() => h.wal.stats().pendingSamples === 0 && h.wal.consumer(server.writeUrl).backlog().samples === 0, 15_000, 'delivery');
      const status = h.endpoints.views[0]!.status();
      await h.stop();
      assert.equal(status.protocol, '1.0');
      const counts = await server.query('count_over_time(m[5m])');
      assert.equal(counts.length, SERIES, JSON.stringify(counts));
      assert.ok(counts.every((c) => c.value[1] === '10'), JSON.stringify(counts));
      const last = await server.query('last_over_time(m{i="7"}[5m])');
      assert.equal(last[0]!.value[1], '709');
    });
  }

  it('delivers the other series of a request Prometheus 2.42 refuses whole for one sample from a clock two hours behind', { skip: prometheusSkip() }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    mkdirSync(join(dir.path, 'prom'));
    const prom = await startPrometheus(join(dir.path, 'prom'));
    t.after(() => prom.stop());
    const h = startSenderHarness(join(dir.path, 'wal'), [prom.writeUrl]);
    const now = Date.now();
    h.appendRound(SERIES, now - 3000, () => 1);
    await eventually(() => h.wal.stats().pendingSamples === 0 && h.wal.consumer(prom.writeUrl).backlog().samples === 0, 10_000, 'the first round');
    // Now one device reports from two hours ago beside fresh samples of the others.
    const late = h.wal.seriesRef([{ name: '__name__', value: 'late' }]);
    h.wal.append(late, now - 2 * 3_600_000, 5);
    h.appendRound(SERIES, now - 2000, () => 2);
    await eventually(() => h.wal.stats().pendingSamples === 0 && h.wal.consumer(prom.writeUrl).backlog().samples === 0, 10_000, 'the second round');
    await h.stop();
    const counts = await prom.query('count_over_time(m[1m])');
    assert.equal(counts.length, SERIES);
    assert.ok(counts.every((c) => c.value[1] === '2'), JSON.stringify(counts));
    assert.deepEqual(await prom.query('count_over_time(late[3h])'), []);
    assert.equal(h.counts.get(prom.writeUrl)!.rejected.out_of_bounds, 1);
  });
});
