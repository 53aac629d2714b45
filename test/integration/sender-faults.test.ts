import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultReceiver } from '../helpers/fault-receiver.js';
import { delivered, eventually, startSenderHarness } from '../helpers/sender-harness.js';
import { tempDir } from '../helpers/temp-dir.js';

const SERIES = 20;

/** Asserts each series got exactly `timestamps`, in strictly increasing order. */
function assertDeliveredInOrder(got: Map<string, Array<[number, number]>>, timestamps: number[]): void {
  assert.equal(got.size, SERIES);
  for (const [key, samples] of got) {
    const ts = samples.map(([t]) => t);
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! > ts[i - 1]!, `${key}: ${ts[i - 1]} then ${ts[i]}`);
    assert.deepEqual(ts, timestamps, key);
  }
}

describe('sender against a fault-injecting receiver', () => {
  it('loses nothing and keeps per-series order across a 503 outage', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver();
    t.after(() => receiver.close());
    const h = startSenderHarness(dir.path, [receiver.url], { OUTPOST_QUEUE_MAX_SAMPLES_PER_SEND: '50', OUTPOST_QUEUE_MAX_SHARDS: '4' });
    const timestamps: number[] = [];
    const base = Date.now();
    for (let r = 0; r < 30; r++) {
      if (r === 10) receiver.setMode({ kind: 'status', status: 503 });
      if (r === 20) receiver.setMode({ kind: 'ok' });
      timestamps.push(base + r * 100);
      h.appendRound(SERIES, base + r * 100, (i) => r * 1000 + i);
      await new Promise((res) => setTimeout(res, 100));
    }
    await eventually(() => h.wal.consumer(receiver.url).backlog().samples === 0 && h.wal.stats().pendingSamples === 0, 15_000, 'the backlog to drain');
    await h.stop();
    assert.ok(receiver.requests.some((r) => r.mode === 'status'), 'the outage was seen');
    assert.ok(h.counts.get(receiver.url)!.retried > 0);
    assertDeliveredInOrder(delivered(receiver), timestamps);
  });

  it('drops a batch answered 400, counts it, and delivers later data', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ mode: { kind: 'status', status: 400, body: 'out of order sample' } });
    t.after(() => receiver.close());
    const h = startSenderHarness(dir.path, [receiver.url]);
    const base = Date.now();
    h.appendRound(SERIES, base, () => 1);
    await receiver.waitForRequests(1, 5000);
    receiver.setMode({ kind: 'ok' });
    h.appendRound(SERIES, base + 1000, () => 2);
    await eventually(() => delivered(receiver).size === SERIES, 10_000, 'the later data');
    await h.stop();
    const counts = h.counts.get(receiver.url)!;
    assert.equal(counts.failed, SERIES);
    assert.equal(counts.rejected.out_of_order, SERIES);
    for (const samples of delivered(receiver).values()) assert.deepEqual(samples, [[base + 1000, 2]]);
  });

  it('waits as long as Retry-After says before sending again', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ mode: { kind: 'status', status: 429, retryAfter: '2' } });
    t.after(() => receiver.close());
    const h = startSenderHarness(dir.path, [receiver.url]);
    h.appendRound(SERIES, Date.now(), () => 1);
    await receiver.waitForRequests(1, 5000);
    receiver.setMode({ kind: 'ok' });
    await receiver.waitForRequests(2, 10_000);
    await h.stop();
    const gap = receiver.requests[1]!.receivedAt - receiver.requests[0]!.receivedAt;
    assert.ok(gap >= 1900, `retried after ${gap} ms`);
  });

  it('keeps a live endpoint fresh while another is down, and gives the dead one its backlog when it heals', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const live = await startFaultReceiver();
    const dead = await startFaultReceiver({ mode: { kind: 'status', status: 503 } });
    t.after(() => Promise.all([live.close(), dead.close()]));
    const h = startSenderHarness(dir.path, [live.url, dead.url], { OUTPOST_REMOTE_WRITE_TIMEOUT: '1s' });
    const timestamps: number[] = [];
    let worstLag = 0;
    const base = Date.now();
    for (let r = 0; r < 30; r++) {
      timestamps.push(base + r * 100);
      h.appendRound(SERIES, base + r * 100, () => r);
      await new Promise((res) => setTimeout(res, 100));
      const newest = h.endpoints.views[0]!.status().newestSentTimestampMs;
      if (r > 10 && newest !== null) worstLag = Math.max(worstLag, Date.now() - newest);
    }
    assert.ok(worstLag < 5000, `live endpoint lagged ${worstLag} ms`);
    dead.setMode({ kind: 'ok' });
    await eventually(() => h.wal.consumer(dead.url).backlog().samples === 0 && h.wal.stats().pendingSamples === 0, 20_000, 'the healed endpoint to catch up');
    await h.stop();
    assertDeliveredInOrder(delivered(live), timestamps);
    assertDeliveredInOrder(delivered(dead), timestamps);
  });

  it('survives reset connections without losing or reordering samples', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ mode: { kind: 'reset' } });
    t.after(() => receiver.close());
    const h = startSenderHarness(dir.path, [receiver.url], { OUTPOST_REMOTE_WRITE_PROTOCOL: '2.0' });
    const base = Date.now();
    const timestamps = [0, 1, 2, 3, 4].map((r) => base + r * 1000);
    for (const ts of timestamps) h.appendRound(SERIES, ts, (i) => i);
    await receiver.waitForRequests(2, 5000);
    receiver.setMode({ kind: 'ok' });
    await eventually(() => h.wal.consumer(receiver.url).backlog().samples === 0 && h.wal.stats().pendingSamples === 0, 10_000, 'the backlog to drain');
    await h.stop();
    assertDeliveredInOrder(delivered(receiver), timestamps);
  });
});
