import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/log.js';
import { createBandwidthEstimator } from '../../../src/sender/bandwidth.js';
import { createConcurrency } from '../../../src/sender/concurrency.js';
import { createRateLimiter } from '../../../src/sender/rate-limiter.js';
import { startSender } from '../../../src/sender/sender.js';
import type { SendResult, Transport } from '../../../src/sender/transport.js';
import { createWireSeriesCache } from '../../../src/sender/wire-series.js';
import { decodeRemoteWrite } from '../../helpers/remote-write-schema.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { appendRound, openTestWal } from '../../helpers/wal-fixture.js';

/** A transport answering the n-th request with `answers[n]` (ok once they run out), recording bodies. */
function scriptedTransport(answers: Array<Omit<Extract<SendResult, { kind: 'retry' }>, 'durationMs'>>): Transport & { bodies: Uint8Array[]; okAt: number[] } {
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
      okAt.push(Date.now());
      return { kind: 'ok', status: 204, durationMs: 1 };
    },
    close() {},
  };
}

/** A sender of `wal`'s consumer 'c' through `transport`, with the given shards and backoff. */
function startTestSender(wal: ReturnType<typeof openTestWal>, transport: Transport, shards: number, minBackoffMs: number, maxBackoffMs: number) {
  return startSender({
    url: transport.url,
    protocol: '1.0',
    consumer: wal.consumer('c'),
    series: createWireSeriesCache((ref) => wal.labels(ref), [], systemClock),
    transport,
    limiter: createRateLimiter(0),
    bandwidth: createBandwidthEstimator(),
    concurrency: createConcurrency({ minShards: shards, maxShards: shards }),
    queue: { capacity: 1000, maxShards: shards, maxSamplesPerSend: 1000, batchSendDeadlineMs: 0, minBackoffMs, maxBackoffMs },
    version: 'test',
    counters: { sent() {}, failed() {}, retried() {}, rejected() {}, roundFailed() {}, metadataSent() {} },
    clock: systemClock,
    log: silentLogger,
    pollIntervalMs: 50,
  });
}

/** Waits until consumer 'c' of `wal` has nothing left to send, or `timeoutMs` passed. */
async function drained(wal: ReturnType<typeof openTestWal>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (wal.consumer('c').backlog().samples > 0 && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 20));
  return wal.consumer('c').backlog().samples;
}

describe('sender retries', () => {
  it('wakes every backing-off shard as soon as one shard gets through, instead of sitting out a long backoff', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path, { consumers: ['c'] });
    t.after(() => wal.close());
    appendRound(wal, 40, Date.now(), () => 1);
    // Both shards fail their first request: one is told to come back in a minute, the other soon.
    const transport = scriptedTransport([
      { kind: 'retry', error: '503', status: 503, retryAfterMs: 60_000 },
      { kind: 'retry', error: '503', status: 503, retryAfterMs: 300 },
    ]);
    const sender = startTestSender(wal, transport, 2, 100, 60_000);
    t.after(() => sender.stop(Date.now()));
    assert.equal(await drained(wal, 10_000), 0, 'everything was acknowledged within seconds, not after the one-minute backoff');
    assert.equal(transport.okAt.length, 2, 'each shard sent its request once more after the link returned');
    const delivered = transport.bodies.slice(2).flatMap((body) => decodeRemoteWrite('1.0', body).series);
    assert.equal(delivered.length, 40);
  });

  it('probes a long-failing endpoint with an empty request and resumes as soon as it answers', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path, { consumers: ['c'] });
    t.after(() => wal.close());
    appendRound(wal, 10, Date.now(), () => 1);
    // The first attempt fails; its backoff (20-40 s) is far longer than the probe interval.
    const transport = scriptedTransport([{ kind: 'retry', error: 'connection refused' }]);
    const sender = startTestSender(wal, transport, 1, 20_000, 60_000);
    t.after(() => sender.stop(Date.now()));
    assert.equal(await drained(wal, 12_000), 0, 'delivered within a probe interval of the link returning, not after 20 s');
    assert.equal(transport.bodies.length, 3, 'the request, one probe, the request again');
    assert.deepEqual(decodeRemoteWrite('1.0', transport.bodies[1]!).series, [], 'the probe is an empty write request');
    assert.equal(decodeRemoteWrite('1.0', transport.bodies[2]!).series.length, 10);
  });
});
