import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../../src/lib/clock.js';
import type { SendResult, Transport } from '../../../src/sender/transport.js';
import type { Wal } from '../../../src/wal/wal.js';
import { fakeTime, type FakeTime } from '../../helpers/fake-time.js';
import { decodeRemoteWrite } from '../../helpers/remote-write-schema.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { drained, startTestSender } from '../../helpers/test-sender.js';
import { appendRound, openTestWal } from '../../helpers/wal-fixture.js';

/** A transport answering the n-th request with `answers[n]` (ok once they run out), recording bodies and when (on `clock`) each ok went. */
function scriptedTransport(clock: Clock, answers: Array<Omit<Extract<SendResult, { kind: 'retry' }>, 'durationMs'>>): Transport & { bodies: Uint8Array[]; okAt: number[] } {
  const bodies: Uint8Array[] = [];
  const okAt: number[] = [];
  return {
    url: 'http://receiver.invalid/api/v1/write',
    bodies,
    okAt,
    async send(body) {
      const answer = answers[bodies.length];
      bodies.push(body);
      if (answer !== undefined) return { ...answer, durationMs: 1 };
      okAt.push(clock.now());
      return { kind: 'ok', status: 204, durationMs: 1 };
    },
    close() {},
  };
}

/** A test WAL with consumer 'c' and a fake time starting now; the WAL is closed and removed after the test. */
function walAndTime(t: TestContext): { wal: Wal; time: FakeTime } {
  const dir = tempDir();
  t.after(dir.remove);
  const wal = openTestWal(dir.path, { consumers: ['c'] });
  t.after(() => wal.close());
  return { wal, time: fakeTime(Date.now()) };
}

describe('sender retries', () => {
  it('wakes every backing-off shard as soon as one shard gets through, instead of sitting out a long backoff', async (t) => {
    const { wal, time } = walAndTime(t);
    appendRound(wal, 40, time.clock.now(), () => 1);
    // Both shards fail their first request: one is told to come back in a minute, the other soon.
    const transport = scriptedTransport(time.clock, [
      { kind: 'retry', error: '503', status: 503, retryAfterMs: 60_000 },
      { kind: 'retry', error: '503', status: 503, retryAfterMs: 300 },
    ]);
    const { stop } = startTestSender(wal, transport, time, { shards: 2, minBackoffMs: 100, maxBackoffMs: 60_000 });
    t.after(stop);
    assert.equal(await drained(wal, time, 10_000), 0, 'everything was acknowledged within seconds, not after the one-minute backoff');
    assert.equal(transport.okAt.length, 2, 'each shard sent its request once more after the link returned');
    const delivered = transport.bodies.slice(2).flatMap((body) => decodeRemoteWrite('1.0', body).series);
    assert.equal(delivered.length, 40);
  });

  it('probes a long-failing endpoint with an empty request and resumes as soon as it answers', async (t) => {
    const { wal, time } = walAndTime(t);
    appendRound(wal, 10, time.clock.now(), () => 1);
    // The first attempt fails; its backoff (20-40 s) is far longer than the probe interval.
    const transport = scriptedTransport(time.clock, [{ kind: 'retry', error: 'connection refused' }]);
    const { stop } = startTestSender(wal, transport, time, { shards: 1, minBackoffMs: 20_000, maxBackoffMs: 60_000 });
    t.after(stop);
    assert.equal(await drained(wal, time, 12_000), 0, 'delivered within a probe interval of the link returning, not after 20 s');
    assert.equal(transport.bodies.length, 3, 'the request, one probe, the request again');
    assert.deepEqual(decodeRemoteWrite('1.0', transport.bodies[1]!).series, [], 'the probe is an empty write request');
    assert.equal(decodeRemoteWrite('1.0', transport.bodies[2]!).series.length, 10);
  });

  it('after a restart into an outage drains at a pace set by the backlog, in requests of about two seconds of it, not of 50 samples', async (t) => {
    const { wal, time } = walAndTime(t);
    // A new sender (as after a restart) finds a minute of 100 samples a second, and no measured stream.
    const start = time.clock.now() - 60_000;
    for (let k = 0; k < 60; k++) appendRound(wal, 100, start + k * 1000, () => k);
    // Down for longer than a probe interval, so its return puts the endpoint on a slow start.
    const backAt = time.clock.now() + 6_000;
    const accepted: number[] = [];
    const transport: Transport = {
      url: 'http://receiver.invalid/api/v1/write',
      async send(body) {
        if (time.clock.now() < backAt) return { kind: 'retry', error: '503', status: 503, durationMs: 1 };
        accepted.push(decodeRemoteWrite('1.0', body).series.reduce((n, s) => n + s.timestamps.length, 0));
        return { kind: 'ok', status: 204, durationMs: 1 };
      },
      close() {},
    };
    const { stop } = startTestSender(wal, transport, time, { shards: 1 });
    t.after(stop);
    assert.equal(await drained(wal, time, 30_000), 0);
    assert.equal(accepted.reduce((a, b) => a + b, 0), 6000, 'everything once');
    // The request cut before the outage goes whole; then each carries two seconds of what the
    // backlog says arrives: its samples over its age, 6,000 over 60 s when the round started, or
    // 5,000 over 56 s when one starts at the return (catch-up spans start theirs before it). So
    // the rest takes about 40 requests where the pace's floor of 50 samples took 100.
    const afterReturn = accepted.slice(1);
    assert.ok(afterReturn[0]! >= Math.floor((2 * 5000) / 56) && afterReturn[0]! <= (2 * 6000) / 60, `sizes: ${afterReturn.join(',')}`);
    assert.ok(afterReturn.length < 50, `${afterReturn.length} requests: ${afterReturn.join(',')}`);
  });

  it('after a 429 sends the rest in small requests spaced at the halved pace, in order, losing nothing', async (t) => {
    const { wal, time } = walAndTime(t);
    const start = time.clock.now() - 60_000;
    for (let k = 0; k < 5; k++) appendRound(wal, 20, start + k * 1000, () => k);
    const transport = scriptedTransport(time.clock, [{ kind: 'retry', error: '429', status: 429, retryAfterMs: 100 }]);
    const { stop } = startTestSender(wal, transport, time, { shards: 1 });
    t.after(stop);
    assert.equal(await drained(wal, time, 15_000), 0);
    const requests = transport.bodies.map((body) => decodeRemoteWrite('1.0', body).series);
    const sizes = requests.map((series) => series.reduce((n, s) => n + s.timestamps.length, 0));
    assert.equal(sizes[0], 100, 'the whole backlog went in one request before the 429');
    assert.deepEqual(sizes.slice(1), [50, 50], 'then in requests of the paced size (its floor: the stream is not measured yet)');
    // Nothing went through before the 429, so the pace starts at its floor, 10 samples a second.
    assert.ok(transport.okAt[1]! - transport.okAt[0]! >= 4_500, `50 samples at 10/s take 5 s: ${transport.okAt[1]! - transport.okAt[0]!} ms`);
    const perSeries = new Map<string, number[]>();
    for (const series of requests.slice(1).flat()) {
      const key = JSON.stringify(series.labels);
      perSeries.set(key, [...(perSeries.get(key) ?? []), ...series.timestamps]);
    }
    assert.equal(perSeries.size, 20);
    for (const times of perSeries.values()) assert.deepEqual(times, [0, 1, 2, 3, 4].map((k) => start + k * 1000), 'each series whole and in order');
  });
});
