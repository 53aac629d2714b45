import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { refRanges } from '../../../src/sender/catch-up.js';
import type { Transport } from '../../../src/sender/transport.js';
import type { Wal, WalBatch, WalConsumer } from '../../../src/wal/wal.js';
import { fakeTime, type FakeTime } from '../../helpers/fake-time.js';
import { decodeRemoteWrite } from '../../helpers/remote-write-schema.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { drained, startTestSender } from '../../helpers/test-sender.js';
import { appendRound, openTestWal } from '../../helpers/wal-fixture.js';

const SERIES = 50;
const SECONDS = 100;
// A window of 250 samples holds 5 samples of each of the 50 series.
const CAPACITY = 250;

/**
 * A transport that accepts requests and keeps each accepted one's series (labels joined) with
 * their timestamps; from request `failFrom` on, it answers 503 instead.
 */
function recordingTransport(failFrom = Infinity): Transport & { requests: Array<Map<string, number[]>> } {
  const requests: Array<Map<string, number[]>> = [];
  return {
    url: 'http://receiver.invalid/api/v1/write',
    requests,
    async send(body) {
      if (requests.length >= failFrom) return { kind: 'retry', error: '503', status: 503, durationMs: 1 };
      requests.push(new Map(decodeRemoteWrite('1.0', body).series.map((s) => [s.labels.map((l) => l.value).join(','), s.timestamps])));
      return { kind: 'ok', status: 204, durationMs: 1 };
    },
    close() {},
  };
}

/**
 * A link on which every request takes `ms` of `time`: `started` runs as a request starts, and
 * what it returns as the request ends.
 */
function slowLink(time: FakeTime, ms: number, started: () => () => void): Transport {
  return {
    url: 'http://receiver.invalid/api/v1/write',
    async send() {
      const ended = started();
      await time.sleep(ms);
      ended();
      return { kind: 'ok', status: 204, durationMs: ms };
    },
    close() {},
  };
}

/** The timestamps of SECONDS one-second scrapes, the newest `ageMs` before `nowMs`. */
function scrapeTimes(nowMs: number, ageMs = 60_000): number[] {
  return Array.from({ length: SECONDS }, (_, s) => nowMs - ageMs - (SECONDS - 1 - s) * 1000);
}

/**
 * A fake clock and a WAL (removed after test `t`) holding the scrapes of `scrapeTimes(start,
 * ageMs)` of SERIES series, with a recording transport to send them to.
 */
function backlog(t: TestContext, ageMs: number): { time: FakeTime; start: number; wal: Wal; transport: ReturnType<typeof recordingTransport> } {
  const dir = tempDir();
  t.after(dir.remove);
  const time = fakeTime(Date.now());
  const start = time.clock.now();
  const wal = openTestWal(dir.path, { consumers: ['c'] });
  t.after(() => wal.close());
  for (const [s, ts] of scrapeTimes(start, ageMs).entries()) {
    appendRound(wal, SERIES, ts, () => s);
  }
  return { time, start, wal, transport: recordingTransport() };
}

/** Each series' timestamps in the order requests delivered them. */
function deliveredPerSeries(requests: Array<Map<string, number[]>>): Map<string, number[]> {
  const all = new Map<string, number[]>();
  for (const request of requests) for (const [series, ts] of request) all.set(series, [...(all.get(series) ?? []), ...ts]);
  return all;
}

/** A consumer that remembers the largest columns it handed out. */
function watched(consumer: WalConsumer): WalConsumer & { largest: number } {
  const watch = <A extends unknown[]>(read: (...args: A) => WalBatch | null) => (...args: A): WalBatch | null => {
    const batch = read(...args);
    if (batch !== null) w.largest = Math.max(w.largest, batch.count, batch.refs.length, batch.timestamps.length, batch.values.length);
    return batch;
  };
  const w = {
    name: consumer.name,
    largest: 0,
    read: watch(consumer.read.bind(consumer)),
    readRefs: watch(consumer.readRefs.bind(consumer)),
    countRefs: consumer.countRefs.bind(consumer),
    ack: consumer.ack.bind(consumer),
    acked: consumer.acked.bind(consumer),
    rewind: consumer.rewind.bind(consumer),
    backlog: consumer.backlog.bind(consumer),
  };
  return w;
}

describe('sender catch-up', () => {
  it('sends an old backlog as long runs of each series: 20 or more samples per series per request where a window holds 5, every sample once, in order, within a window of memory', async (t) => {
    const { time, start, wal, transport } = backlog(t, 60_000);
    const consumer = watched(wal.consumer('c'));
    const { stop } = startTestSender(wal, transport, time, { capacity: CAPACITY, batchSendDeadlineMs: 5_000, metered: true, consumer });
    t.after(stop);
    assert.equal(await drained(wal, time, 60_000), 0);
    const runs = transport.requests.flatMap((r) => [...r.values()].map((ts) => ts.length));
    assert.ok(Math.min(...runs) >= 20, `samples per series per request: ${runs.join(' ')}`);
    assert.ok(consumer.largest <= CAPACITY, `the consumer handed out ${consumer.largest} samples at once`);
    const delivered = deliveredPerSeries(transport.requests);
    assert.equal(delivered.size, SERIES);
    const expected = scrapeTimes(start);
    for (const ts of delivered.values()) assert.deepEqual(ts, expected);
  });

  it('gathers a metered stream past a window up to the batch deadline and sends the deadline\'s samples of each series in one request', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const time = fakeTime(Date.now());
    const wal = openTestWal(dir.path, { consumers: ['c'] });
    t.after(() => wal.close());
    const transport = recordingTransport();
    const { stop } = startTestSender(wal, transport, time, { capacity: CAPACITY, batchSendDeadlineMs: 20_000, metered: true });
    t.after(stop);
    // 30 one-second scrapes, sent as they come: a window holds 5 of them, the deadline 20.
    for (let s = 0; s < 30; s++) {
      appendRound(wal, SERIES, time.clock.now(), () => s);
      await time.advance(1_000);
    }
    const runs = transport.requests.slice(0, 3).flatMap((r) => [...r.values()].map((ts) => ts.length));
    assert.ok(runs.length > 0 && Math.min(...runs) >= 18, `samples per series per request: ${runs.join(' ')}`);
  });

  it('keeps the link busy from one catch-up span to the next: no request waits for the batch deadline while samples older than it wait', async (t) => {
    const deadlineMs = 5_000;
    const { time, wal } = backlog(t, 1_000);
    // Every request takes a second, so a span of passes takes many seconds.
    const requests: Array<{ start: number; end: number; oldestWaiting: number }> = [];
    const slow = slowLink(time, 1_000, () => {
      const start = time.clock.now();
      const oldestWaiting = wal.consumer('c').backlog().oldestTimestampMs!;
      return () => requests.push({ start, end: time.clock.now(), oldestWaiting });
    });
    const { stop } = startTestSender(wal, slow, time, { capacity: CAPACITY, batchSendDeadlineMs: deadlineMs, metered: true });
    t.after(stop);
    // The scrapes go on while the backlog drains.
    for (let s = 0; s < 60; s++) {
      appendRound(wal, SERIES, time.clock.now(), () => s);
      await time.advance(1_000);
    }
    assert.ok(requests.length > 20, `${requests.length} requests`);
    for (let i = 1; i < requests.length; i++) {
      const { start, oldestWaiting } = requests[i]!;
      // A sample of the steady stream waits the deadline and up to a scrape more; the backlog's, far longer.
      if (start - oldestWaiting <= deadlineMs + 1_000) continue;
      const idle = start - requests[i - 1]!.end;
      assert.ok(idle <= 100, `the link idled ${idle} ms before request ${i} while a sample ${start - oldestWaiting} ms old waited`);
    }
  });

  it('adds shards between the passes of a catch-up span, not only once the span is acked', async (t) => {
    const { time, wal } = backlog(t, 60_000);
    const cursor = JSON.stringify(wal.consumer('c').acked());
    // Every request takes three seconds, however many are in flight.
    let inFlight = 0;
    const parallelBeforeAck: number[] = [];
    const slow = slowLink(time, 3_000, () => {
      inFlight++;
      if (JSON.stringify(wal.consumer('c').acked()) === cursor) parallelBeforeAck.push(inFlight);
      return () => inFlight--;
    });
    const { stop } = startTestSender(wal, slow, time, { capacity: CAPACITY, shards: 1, maxShards: 4, batchSendDeadlineMs: 5_000, metered: true });
    t.after(stop);
    assert.equal(await drained(wal, time, 120_000), 0);
    assert.ok(Math.max(...parallelBeforeAck) >= 2, `requests in flight at once during the first span: ${parallelBeforeAck.join(' ')}`);
  });

  it('drains an old backlog in rounds of a window while bytes are cheap (no metered uplink, the link far faster than the stream)', async (t) => {
    const { time, start, wal, transport } = backlog(t, 60_000);
    const { stop } = startTestSender(wal, transport, time, { capacity: CAPACITY, batchSendDeadlineMs: 5_000 });
    t.after(stop);
    assert.equal(await drained(wal, time, 60_000), 0);
    const runs = transport.requests.flatMap((r) => [...r.values()].map((ts) => ts.length));
    assert.ok(Math.max(...runs) <= 5, `samples per series per request: ${runs.join(' ')}`);
    for (const ts of deliveredPerSeries(transport.requests).values()) assert.deepEqual(ts, scrapeTimes(start));
  });

  it('compresses requests harder while bytes count (metered), and at the default effort while they are cheap', async (t) => {
    for (const metered of [true, false]) {
      const { time, wal, transport } = backlog(t, 60_000);
      const dense = new Set<boolean | undefined>();
      const { stop } = startTestSender(wal, transport, time, { capacity: CAPACITY, batchSendDeadlineMs: 5_000, metered, beforeEncode: (_, d) => dense.add(d) });
      assert.equal(await drained(wal, time, 60_000), 0);
      await stop();
      assert.deepEqual([...dense], [metered], metered ? 'metered' : 'free link');
    }
  });

  it('resends a span whose pass failed, without loss, and delivers each series in order after the resend', async (t) => {
    const { time, start, wal, transport } = backlog(t, 60_000);
    let encodes = 0;
    const { stop, counted } = startTestSender(wal, transport, time, {
      capacity: CAPACITY, batchSendDeadlineMs: 5_000, metered: true,
      // The fifth request of the first span throws, as a broken invariant would: the span fails.
      beforeEncode: () => { if (++encodes === 5) throw new Error('broken invariant'); },
    });
    t.after(stop);
    assert.equal(await drained(wal, time, 60_000), 0);
    assert.equal(counted.roundFailures, 1);
    assert.deepEqual(counted.rejected, {});
    const before = transport.requests.slice(0, 4);
    const after = deliveredPerSeries(transport.requests.slice(4));
    const expected = scrapeTimes(start);
    assert.equal(after.size, SERIES, 'every series was sent again from the span\'s start');
    for (const ts of after.values()) assert.deepEqual(ts, expected);
    assert.ok(before.length === 4 && before.every((r) => r.size > 0), 'four passes went out before the failure');
  });
});

describe('sender catch-up across a restart', () => {
  it('leaves the cursor at the start of a span stopped after some of its passes, so the next start sends it all again', async (t) => {
    const { time, start, wal, transport } = backlog(t, 60_000);
    const cursor = wal.consumer('c').acked();
    const failing = recordingTransport(3);
    const first = startTestSender(wal, failing, time, { capacity: CAPACITY, batchSendDeadlineMs: 5_000, metered: true });
    await time.until(() => false, 2_000);
    await first.stop();
    assert.equal(failing.requests.length, 3);
    assert.ok(failing.requests.every((r) => [...r.values()].every((ts) => ts.length >= 20)), 'the three requests were passes of a span');
    assert.deepEqual(wal.consumer('c').acked(), cursor, 'the span was not acked');
    const { stop } = startTestSender(wal, transport, time, { capacity: CAPACITY, batchSendDeadlineMs: 5_000, metered: true });
    t.after(stop);
    assert.equal(await drained(wal, time, 60_000), 0);
    const delivered = deliveredPerSeries(transport.requests);
    assert.equal(delivered.size, SERIES);
    for (const ts of delivered.values()) assert.deepEqual(ts, scrapeTimes(start));
  });
});

describe('refRanges', () => {
  it('cuts consecutive refs into ranges of at most a pass\'s samples, skipping empty ones and the last open at the top', () => {
    const counts = Uint32Array.from([0, 3, 3, 0, 4, 1, 5, 0]);
    assert.deepEqual(refRanges(counts, 6), [[0, 4], [4, 6], [6, Infinity]]);
    assert.deepEqual(refRanges(new Uint32Array(4), 6), []);
  });
});
