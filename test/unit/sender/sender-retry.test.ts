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
    const started = Date.now();
    const sender = startSender({
      url: transport.url,
      protocol: '1.0',
      consumer: wal.consumer('c'),
      series: createWireSeriesCache((ref) => wal.labels(ref), [], systemClock),
      transport,
      limiter: createRateLimiter(0),
      bandwidth: createBandwidthEstimator(),
      concurrency: createConcurrency({ minShards: 2, maxShards: 2 }),
      queue: { capacity: 1000, maxShards: 2, maxSamplesPerSend: 1000, batchSendDeadlineMs: 0, minBackoffMs: 100, maxBackoffMs: 60_000 },
      headers: {},
      counters: { sent() {}, failed() {}, retried() {}, rejected() {} },
      clock: systemClock,
      log: silentLogger,
      pollIntervalMs: 50,
    });
    t.after(() => sender.stop(Date.now()));
    while (wal.consumer('c').backlog().samples > 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
    assert.equal(wal.consumer('c').backlog().samples, 0, 'everything was acknowledged within seconds, not after the one-minute backoff');
    assert.equal(transport.okAt.length, 2, 'each shard sent its request once more after the link returned');
    const delivered = transport.bodies.slice(2).flatMap((body) => decodeRemoteWrite('1.0', body).series);
    assert.equal(delivered.length, 40);
  });
});
