import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createManualClock } from '../../../src/lib/clock.js';
import { PastCursor } from '../../../src/wal/past-cursor.js';
import type { Wal, WalConsumer } from '../../../src/wal/wal.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { openTestWal, recordingCounters, seriesLabels } from '../../helpers/wal-fixture.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
// A staleness marker: its payload must come through a filtered read bit for bit.
const STALE = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0]!;

interface Sample { ref: number; t: number; bits: string }

/**
 * A WAL in a temporary directory, both removed after test `t`, holding `rounds` commits of one
 * sample per series, 7 s apart, crossing a segment boundary every 60 s; series 3 goes stale in
 * the last. `clock` ends 140 s after T0.
 */
function filledWal(t: TestContext, series: number, rounds: number, clock = createManualClock(T0), options: Parameters<typeof openTestWal>[1] = {}): Wal {
  const dir = tempDir();
  t.after(dir.remove);
  const wal = openTestWal(dir.path, { clock, segmentDurationMs: 60_000, ...options });
  t.after(() => wal.close());
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < series; i++) wal.append(wal.seriesRef(seriesLabels(i)), clock.now(), r === rounds - 1 && i === 3 ? STALE : r * 0.5 + i);
    wal.commit();
    clock.advance(7_000);
  }
  return wal;
}

function samplesOf(batch: ReturnType<WalConsumer['read']>): Sample[] {
  if (batch === null) return [];
  const words = new Uint32Array(batch.values.buffer, batch.values.byteOffset, batch.count * 2);
  return Array.from(batch.refs, (ref, i) => ({ ref, t: batch.timestamps[i]!, bits: `${words[2 * i + 1]}:${words[2 * i]}` }));
}

function readEverything(consumer: WalConsumer): Sample[] {
  const out: Sample[] = [];
  for (let b = consumer.read(1000); b !== null; b = consumer.read(1000)) out.push(...samplesOf(b));
  return out;
}

describe('WAL reads by range of series', () => {
  it('counts each series\' samples of a span, stopping at the end of the chunk that reaches neither limit', (t) => {
    const wal = filledWal(t, 10, 20);
    const consumer = wal.consumer('c');
    // 45 samples fit 4 chunks of 10 whole: the span stops there, not in the middle of the fifth.
    const first = consumer.countRefs(45, 100)!;
    assert.equal(first.samples, 40);
    assert.equal(first.end.offset, 0);
    const ref = wal.seriesRef(seriesLabels(0));
    assert.equal(first.counts[ref], 4);
    // At most 3 samples of any series: 3 chunks.
    assert.equal(consumer.countRefs(1000, 3)!.samples, 30);
    // The rest, then nothing.
    assert.equal(consumer.countRefs(1000, 1000)!.samples, 130);
    assert.equal(consumer.countRefs(1000, 1000), null);
  });

  it('cuts a first chunk that alone is over the limit inside it, so a span always moves on', (t) => {
    const wal = filledWal(t, 10, 2);
    const consumer = wal.consumer('c');
    const span = consumer.countRefs(4, 100)!;
    assert.equal(span.samples, 4);
    assert.equal(span.end.offset, 4);
  });

  it('reads a span range by range after rewinding: each range holds exactly its series\' samples in WAL order, across segments, NaN payloads intact', (t) => {
    const wal = filledWal(t, 10, 20);
    const expected = readEverything(wal.consumer('x'));
    const consumer = wal.consumer('c');
    // Start the span mid-way (at chunk 5), as after an earlier span.
    const head = consumer.countRefs(50, 1000)!;
    consumer.ack(head.end);
    const span = consumer.countRefs(150, 1000)!;
    assert.equal(span.samples, 150);
    const inSpan = expected.slice(50, 200);
    const ranges: Array<[number, number]> = [[0, 4], [4, 7], [7, Infinity]];
    const got: Sample[][] = [];
    for (const [lo, hi] of ranges) {
      consumer.rewind();
      got.push(samplesOf(consumer.readRefs(150, lo, hi, span.end)));
    }
    ranges.forEach(([lo, hi], k) => assert.deepEqual(got[k], inSpan.filter((s) => s.ref >= lo && s.ref < hi), `range ${lo}-${hi}`));
    assert.ok(got.flat().some((s) => s.bits === '2146435072:2'), 'the staleness marker came through');
    // The read position is the span's end: it can be acked, and the rest follows.
    consumer.ack(span.end);
    assert.deepEqual(readEverything(consumer), expected.slice(200));
  });

  it('reads on right from the end of a span whose last read kept only some series', (t) => {
    const wal = filledWal(t, 10, 20);
    const expected = readEverything(wal.consumer('x'));
    const consumer = wal.consumer('c');
    consumer.ack(consumer.countRefs(50, 1000)!.end);
    // The span ends inside a segment (chunks 6-8 of 1-9), so reading on needs the state of every series.
    const span = consumer.countRefs(30, 1000)!;
    consumer.rewind();
    assert.deepEqual(samplesOf(consumer.readRefs(30, 0, 4, span.end)), expected.slice(50, 80).filter((s) => s.ref < 4));
    consumer.ack(span.end);
    assert.deepEqual(readEverything(consumer), expected.slice(80));
  });

  it('returns columns no larger than asked for, and throws rather than outgrow them', (t) => {
    const wal = filledWal(t, 10, 20);
    const consumer = wal.consumer('c');
    const span = consumer.countRefs(200, 1000)!;
    consumer.rewind();
    const batch = consumer.readRefs(60, 0, 4, span.end)!;
    assert.equal(batch.count, 60);
    assert.ok(batch.refs.buffer.byteLength <= 60 * 4 && batch.values.buffer.byteLength <= 60 * 8 && batch.timestamps.buffer.byteLength <= 60 * 8);
    consumer.rewind();
    assert.throws(() => consumer.readRefs(59, 0, 4, span.end), /more than 59 samples/);
  });

  it('fetches a span\'s chunks from the database once, however many ranges read it', (t) => {
    const wal = filledWal(t, 10, 20);
    const consumer = wal.consumer('c');
    const fetches = t.mock.method(PastCursor.prototype, 'firstChunk');
    const span = consumer.countRefs(150, 1000)!;
    const counted = fetches.mock.callCount();
    assert.ok(counted >= 15, `counting fetched ${counted} chunks`);
    for (const [lo, hi] of [[0, 4], [4, 7], [7, Infinity]] as const) {
      consumer.rewind();
      assert.ok(consumer.readRefs(150, lo, hi, span.end) !== null);
    }
    assert.equal(fetches.mock.callCount(), counted);
  });

  it('reads no sample of a segment truncated between a span\'s count and its ranges', (t) => {
    const clock = createManualClock(T0);
    const counters = recordingCounters();
    // Rounds 0-19 at 7 s: the first segment's last sample is at 56 s.
    const wal = filledWal(t, 10, 20, clock, { retentionMs: 90_000, counters });
    const consumer = wal.consumer('c');
    const span = consumer.countRefs(1000, 1000)!;
    assert.equal(span.samples, 200);
    // Past retention at 56 s + 90 s.
    clock.advance(146_001 - 140_000);
    wal.truncate();
    assert.equal(counters.dropped.retention, 90);
    const rest = readEverything(wal.consumer('x'));
    const got: Sample[] = [];
    for (const [lo, hi] of [[0, 5], [5, Infinity]] as const) {
      consumer.rewind();
      got.push(...samplesOf(consumer.readRefs(1000, lo, hi, span.end)));
    }
    assert.deepEqual(got.sort((a, b) => a.ref - b.ref || a.t - b.t), rest.sort((a, b) => a.ref - b.ref || a.t - b.t));
  });

  it('reads on from a span whose last range is open at the top without replaying the segment before it', (t) => {
    const wal = filledWal(t, 10, 20);
    const expected = readEverything(wal.consumer('x'));
    const consumer = wal.consumer('c');
    // Spans of 3 chunks end inside the 60 s segments (about 9 chunks each).
    const replays = t.mock.method(PastCursor.prototype, 'chunksBefore');
    const got: Sample[] = [];
    for (let span = consumer.countRefs(30, 1000); span !== null; span = consumer.countRefs(30, 1000)) {
      for (const [lo, hi] of [[0, 4], [4, Infinity]] as const) {
        consumer.rewind();
        got.push(...samplesOf(consumer.readRefs(30, lo, hi, span.end)));
      }
      consumer.ack(span.end);
    }
    assert.equal(replays.mock.callCount(), 0);
    assert.deepEqual(got.sort((a, b) => a.t - b.t || a.ref - b.ref), expected.sort((a, b) => a.t - b.t || a.ref - b.ref));
  });
});
