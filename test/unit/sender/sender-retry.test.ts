import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SendResult, Transport } from '../../../src/sender/transport.js';
import { decodeRemoteWrite } from '../../helpers/remote-write-schema.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { drained, startTestSender } from '../../helpers/test-sender.js';
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
    const sender = startTestSender(wal, transport, { shards: 2, minBackoffMs: 100, maxBackoffMs: 60_000 }).sender;
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
    const sender = startTestSender(wal, transport, { shards: 1, minBackoffMs: 20_000, maxBackoffMs: 60_000 }).sender;
    t.after(() => sender.stop(Date.now()));
    assert.equal(await drained(wal, 12_000), 0, 'delivered within a probe interval of the link returning, not after 20 s');
    assert.equal(transport.bodies.length, 3, 'the request, one probe, the request again');
    assert.deepEqual(decodeRemoteWrite('1.0', transport.bodies[1]!).series, [], 'the probe is an empty write request');
    assert.equal(decodeRemoteWrite('1.0', transport.bodies[2]!).series.length, 10);
  });
});
