import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RemoteWriteVersion } from '../../../src/sender/outputs/remote-write/encode.js';
import type { SeriesSamples } from '../../../src/sender/series-samples.js';
import type { SendResult, Transport } from '../../../src/sender/transport.js';
import type { Wal } from '../../../src/wal/wal.js';
import { fakeTime } from '../../helpers/fake-time.js';
import { decodeRemoteWrite } from '../../helpers/remote-write-schema.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { drained, startTestSender } from '../../helpers/test-sender.js';
import { appendRound, openTestWal, seriesLabels } from '../../helpers/wal-fixture.js';

// Omit distributed over the union, so each kind keeps its own fields.
type Answer = SendResult extends infer R ? (R extends SendResult ? Omit<R, 'durationMs'> : never) : never;
const OK: Answer = { kind: 'ok', status: 204 };

/** A request as the test transport saw it: decoded samples per series key, and its protocol. */
interface Seen {
  protocol: RemoteWriteVersion;
  samples: Map<string, number[]>;
  answer: Answer['kind'];
}

/** A transport that decodes each request and answers what `answer` says; records every request. */
function transportAnswering(answer: (request: Seen, index: number, signal?: AbortSignal) => Answer | Promise<Answer>): Transport & { seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    url: 'http://receiver.invalid/api/v1/write',
    seen,
    async send(body, headers, signal) {
      const protocol: RemoteWriteVersion = headers['Content-Type']!.includes('v2') ? '2.0' : '1.0';
      const samples = new Map<string, number[]>();
      for (const s of decodeRemoteWrite(protocol, body).series) samples.set(s.labels.map((l) => l.value).join(','), s.timestamps);
      const request: Seen = { protocol, samples, answer: 'ok' };
      seen.push(request);
      const result = await answer(request, seen.length - 1, signal);
      request.answer = result.kind;
      return { ...result, durationMs: 1 } as SendResult;
    },
    close() {},
  };
}

/** Every timestamp accepted per series key, in the order the requests went out. */
function accepted(seen: Seen[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const request of seen) {
    if (request.answer !== 'ok') continue;
    for (const [key, ts] of request.samples) out.set(key, [...(out.get(key) ?? []), ...ts]);
  }
  return out;
}

function oldest(request: Seen): number {
  return Math.min(...[...request.samples.values()].flat());
}

function openWal(t: { after(fn: () => unknown): void }): Wal {
  const dir = tempDir();
  t.after(dir.remove);
  const wal = openTestWal(dir.path, { consumers: ['c'] });
  t.after(() => wal.close());
  return wal;
}

const OUT_OF_BOUNDS: Answer = { kind: 'reject', status: 400, error: 'HTTP 400', body: 'out of bounds' };

describe('sender answers', () => {
  it('after one request refused whole as out of bounds, sends its samples again split in two and delivers everything after it', async (t) => {
    const wal = openWal(t);
    const time = fakeTime(Date.now());
    const base = time.clock.now() - 10_000;
    for (let r = 0; r < 5; r++) appendRound(wal, 20, base + r * 1000, () => r);
    const transport = transportAnswering((_, i) => (i === 0 ? OUT_OF_BOUNDS : OK));
    const { sender, counted, stop } = startTestSender(wal, transport, time);
    t.after(stop);
    assert.equal(await drained(wal, time, 5000), 0);
    wal.commit();
    for (let r = 5; r < 10; r++) appendRound(wal, 20, base + r * 1000, () => r);
    wal.commit();
    assert.equal(await drained(wal, time, 5000), 0);
    const got = accepted(transport.seen);
    assert.equal(got.size, 20);
    for (const ts of got.values()) assert.deepEqual(ts, Array.from({ length: 10 }, (_, r) => base + r * 1000), 'every sample, once, in order');
    assert.deepEqual(counted.rejected, {});
    assert.equal(sender.status().learnedAgeLimitMs, null, 'a refusal that a split undid teaches no limit');
  });

  it('drops only the samples of a series whose clock is an hour behind, learns the age limit, and keeps delivering the others', async (t) => {
    const wal = openWal(t);
    const time = fakeTime(Date.now());
    const now = time.clock.now();
    const late = wal.seriesRef(seriesLabels(999, 'late_clock'));
    // Like Prometheus 2.42: one sample older than its head allows and the whole request is refused.
    const transport = transportAnswering((request) => (oldest(request) < time.clock.now() - 30 * 60_000 ? OUT_OF_BOUNDS : OK));
    for (let r = 0; r < 5; r++) {
      appendRound(wal, 20, now - 5000 + r * 1000, () => r);
      wal.append(late, now - 3_600_000 - 5000 + r * 1000, r);
    }
    wal.commit();
    const { sender, counted, stop } = startTestSender(wal, transport, time);
    t.after(stop);
    assert.equal(await drained(wal, time, 5000), 0);
    const got = accepted(transport.seen);
    assert.equal(got.size, 20, 'every series but the late one');
    for (const ts of got.values()) assert.deepEqual(ts, Array.from({ length: 5 }, (_, r) => now - 5000 + r * 1000));
    assert.equal(counted.rejected.out_of_bounds, 5, "the late series' samples, refused");
    const limit = sender.status().learnedAgeLimitMs;
    assert.ok(limit !== null && limit >= 3_600_000 && limit < 3_700_000, `learned ${limit} ms`);
    // Fresh samples are never held to that limit; the late series' next sample is left out unsent.
    const requestsBefore = transport.seen.length;
    appendRound(wal, 20, time.clock.now(), () => 9);
    wal.append(late, time.clock.now() - 3_650_000, 9);
    wal.commit();
    assert.equal(await drained(wal, time, 5000), 0);
    assert.equal(transport.seen.length, requestsBefore + 1, 'one request, not refused');
    assert.equal(transport.seen.at(-1)!.answer, 'ok');
    assert.equal(counted.rejected.too_old, 1, 'dropped before sending by the learned limit');
  });

  it('rewinds a round that throws, waits for its other shards, counts it, and delivers everything in order on the retry', async (t) => {
    const wal = openWal(t);
    const time = fakeTime(Date.now());
    const base = time.clock.now() - 5000;
    for (let r = 0; r < 3; r++) appendRound(wal, 40, base + r * 1000, () => r);
    wal.commit();
    const events: string[] = [];
    let throws = 2;
    // Shard 2's first encodings throw while shard 1's request hangs until it is aborted.
    const beforeEncode = (series: ReadonlyArray<SeriesSamples>): void => {
      if (series.some((s) => s.series.labels.some((l) => l.value === '39')) && throws > 0) {
        throws--;
        events.push('throw');
        throw new Error('unexpected value');
      }
    };
    let hung = false;
    const transport = transportAnswering(async (_, __, signal) => {
      if (hung) return OK;
      hung = true;
      events.push('hang');
      await new Promise<void>((resolve) => signal!.addEventListener('abort', () => resolve(), { once: true }));
      events.push('aborted');
      return { kind: 'retry', error: 'aborted' };
    });
    const { counted, stop } = startTestSender(wal, transport, time, { shards: 2, beforeEncode });
    t.after(stop);
    assert.equal(await drained(wal, time, 5000), 0);
    assert.equal(counted.roundFailures, 2);
    assert.deepEqual(events.slice(0, 3).sort(), ['aborted', 'hang', 'throw'], 'the hanging request of the failed round was aborted');
    const got = accepted(transport.seen);
    assert.equal(got.size, 40);
    // Shard 1's series went out whole in each round that got that far: at-least-once resends the
    // whole series again, never a sample out of order.
    const expected = [base, base + 1000, base + 2000];
    for (const ts of got.values()) {
      assert.ok(ts.length > 0 && ts.length % 3 === 0, String(ts));
      for (let k = 0; k < ts.length; k += 3) assert.deepEqual(ts.slice(k, k + 3), expected);
    }
  });

  it('drops a batch that fails the same way five times, counts it as unsendable, and delivers what follows', async (t) => {
    const wal = openWal(t);
    const time = fakeTime(Date.now());
    appendRound(wal, 10, time.clock.now() - 2000, () => Number.NaN);
    wal.commit();
    let calls = 0;
    const beforeEncode = (series: ReadonlyArray<SeriesSamples>): void => {
      if (series.some((s) => Number.isNaN(s.values[s.start]!))) {
        calls++;
        throw new Error('poisoned sample');
      }
    };
    const transport = transportAnswering(() => OK);
    const { counted, stop } = startTestSender(wal, transport, time, { beforeEncode });
    t.after(stop);
    assert.equal(await drained(wal, time, 5000), 0);
    assert.equal(calls, 5);
    assert.equal(counted.roundFailures, 5);
    assert.equal(counted.rejected.unsendable, 10);
    const now = time.clock.now();
    appendRound(wal, 10, now, () => 1);
    wal.commit();
    assert.equal(await drained(wal, time, 5000), 0);
    assert.equal(counted.sent, 10, 'the next batch went out');
  });

  it('falls back to 1.0 when a 2.0 request is answered 2xx without the written-count headers, resending the same samples', async (t) => {
    const wal = openWal(t);
    const time = fakeTime(Date.now());
    const now = time.clock.now();
    appendRound(wal, 5, now, () => 1);
    wal.commit();
    const transport = transportAnswering(() => OK); // no X-Prometheus-Remote-Write-*-Written headers
    const { sender, counted, stop } = startTestSender(wal, transport, time, { protocol: '2.0' });
    t.after(stop);
    assert.equal(await drained(wal, time, 5000), 0);
    assert.deepEqual(transport.seen.map((s) => s.protocol), ['2.0', '1.0']);
    assert.deepEqual([...transport.seen[1]!.samples.keys()], [...transport.seen[0]!.samples.keys()], 'the same samples again');
    assert.equal(sender.status().protocol, '1.0');
    assert.equal(counted.sent, 5, 'the 2xx that stored nothing is not counted as sent');
  });

  for (const [what, first] of [
    ['415 Unsupported Media Type', { kind: 'reject', status: 415, error: 'HTTP 415', body: 'unsupported' }],
    ['400 to the first 2.0 request', { kind: 'reject', status: 400, error: 'HTTP 400', body: 'cannot unmarshal' }],
  ] as Array<[string, Answer]>) {
    it(`falls back to 1.0 on ${what} and loses nothing`, async (t) => {
      const wal = openWal(t);
      const time = fakeTime(Date.now());
      appendRound(wal, 5, time.clock.now(), () => 1);
      wal.commit();
      const transport = transportAnswering((_, i) => (i === 0 ? first : OK));
      const { counted, stop } = startTestSender(wal, transport, time, { protocol: '2.0' });
      t.after(stop);
      assert.equal(await drained(wal, time, 5000), 0);
      assert.deepEqual(transport.seen.map((s) => s.protocol), ['2.0', '1.0']);
      assert.equal(accepted(transport.seen).size, 5);
      assert.deepEqual(counted.rejected, {});
    });
  }

  it('stays on 2.0 with a receiver that reports what it wrote, counting samples it did not write as rejected', async (t) => {
    const wal = openWal(t);
    const time = fakeTime(Date.now());
    appendRound(wal, 5, time.clock.now(), () => 1);
    wal.commit();
    const transport = transportAnswering(() => ({ ...OK, headers: { 'x-prometheus-remote-write-samples-written': '3' } }));
    const { sender, counted, stop } = startTestSender(wal, transport, time, { protocol: '2.0' });
    t.after(stop);
    assert.equal(await drained(wal, time, 5000), 0);
    assert.deepEqual(transport.seen.map((s) => s.protocol), ['2.0']);
    assert.equal(sender.status().protocol, '2.0');
    assert.equal(counted.rejected.not_written, 2);
  });
});
