/**
 * Model-based test of the SQLite WAL (fast-check `commands`): random sequences of append, commit,
 * read, span read (count, then ranges of series, as a catch-up span), ack, rewind, truncate, clock
 * advance and reopen run against the real WAL in a temp dir and
 * against a plain in-memory model, and every observable result must agree.
 *
 * The model numbers committed samples 0, 1, 2, … in commit order (a `seq`) and keeps cursors as
 * seqs, so it never depends on how the WAL lays samples out in chunks; the WAL's opaque positions
 * are only remembered (to ack them, and to compare the durable cursor after a reopen).
 *
 * What the model knows of segments, because truncation works on them: a commit with samples opens
 * a new segment when none is open (after an open) or when the open one started a segment duration
 * ago; truncation removes the oldest segments while they are not the open one and every consumer
 * created since the last open has acked past them. Retention and the disk budget are set far out
 * of reach, so nothing else may ever disappear. `close()` commits what is pending, so a reopen is
 * a commit (and its truncation) followed by an open that forgets read positions and live consumers.
 *
 * Besides every read, each state change checks what the WAL says of itself: pending samples,
 * segment count and every live consumer's backlog; a consumer's first use after an open checks
 * its durable cursor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createManualClock } from '../../../src/lib/clock.js';
import { refRanges } from '../../../src/sender/catch-up.js';
import { labelsKey, type Labels } from '../../../src/model/labels.js';
import { openSqliteWal } from '../../../src/wal/sqlite-wal.js';
import type { Wal, WalBatch, WalConsumer, WalPosition } from '../../../src/wal/wal.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { recordingCounters } from '../../helpers/wal-fixture.js';

// One minute segments and clock steps of up to two minutes: segments roll every few commands.
const SEGMENT_MS = 60_000;
// Far beyond any clock the commands reach, so only delivery may truncate.
const RETENTION_MS = 10 * 365 * 24 * 3_600_000;
const MAX_BYTES = 1024 ** 3;

const SERIES: Labels[] = [
  [{ name: '__name__', value: 'node_cpu_seconds_total' }, { name: 'cpu', value: '0' }, { name: 'mode', value: 'idle' }],
  [{ name: '__name__', value: 'node_cpu_seconds_total' }, { name: 'cpu', value: '0' }, { name: 'mode', value: 'user' }],
  [{ name: '__name__', value: 'room_temperature_celsius' }, { name: 'room', value: 'Küche "nord" \\ 🌡' }],
  [{ name: '__name__', value: 'up' }],
];
const SERIES_BY_KEY = new Map(SERIES.map((labels, i) => [labelsKey(labels), i]));
const CONSUMERS = ['A', 'B'] as const;
type ConsumerName = (typeof CONSUMERS)[number];

interface ModelSample {
  readonly series: number;
  readonly ts: number;
  readonly value: number;
}

interface CommittedSample extends ModelSample {
  readonly seq: number;
}

interface ModelSegment {
  readonly startedMs: number;
  /** One past the seq of its last sample. */
  endSeq: number;
}

interface ModelCursor {
  ackedSeq: number;
  /** The WAL's position for `ackedSeq`, as the WAL returned it. */
  ackedPos: WalPosition;
  readSeq: number;
  lastBatch: { endSeq: number; end: WalPosition } | null;
}

interface Model {
  now: number;
  nextSeq: number;
  /** Committed samples not yet truncated, in commit order. */
  retained: CommittedSample[];
  pending: ModelSample[];
  segments: ModelSegment[];
  current: ModelSegment | null;
  /** Durable cursors (ackedSeq/ackedPos) and this process's read state, by consumer name. */
  cursors: Map<string, ModelCursor>;
  /** Consumers created since the last open: only they hold truncation back. */
  live: Set<string>;
}

interface Real {
  readonly dir: string;
  readonly clock: ReturnType<typeof createManualClock>;
  wal: Wal;
}

function openWal(dir: string, clock: ReturnType<typeof createManualClock>): Wal {
  return openSqliteWal({ dir, segmentDurationMs: SEGMENT_MS, retentionMs: RETENTION_MS, maxBytes: MAX_BYTES, maxSeries: 1000, clock });
}

function modelTruncate(m: Model): void {
  while (m.segments.length > 0) {
    const seg = m.segments[0]!;
    if (seg === m.current || m.live.size === 0) return;
    for (const name of m.live) if (m.cursors.get(name)!.ackedSeq < seg.endSeq) return;
    m.segments.shift();
    m.retained = m.retained.filter((s) => s.seq >= seg.endSeq);
  }
}

function modelCommit(m: Model): void {
  if (m.pending.length > 0) {
    if (m.current === null || m.now - m.current.startedMs >= SEGMENT_MS) {
      m.current = { startedMs: m.now, endSeq: m.nextSeq };
      m.segments.push(m.current);
    }
    for (const s of m.pending) m.retained.push({ ...s, seq: m.nextSeq++ });
    m.current.endSeq = m.nextSeq;
    m.pending = [];
  }
  modelTruncate(m);
}

/**
 * The WAL's consumer `name`. The first use since an open makes it live in the model too, and
 * checks that its durable cursor is the last one acked (in whatever process that was).
 */
function consumerOf(m: Model, r: Real, name: string): WalConsumer {
  const c = r.wal.consumer(name);
  if (!m.live.has(name)) {
    m.live.add(name);
    let cursor = m.cursors.get(name);
    if (cursor === undefined) {
      cursor = { ackedSeq: 0, ackedPos: { chunk: 0, offset: 0 }, readSeq: 0, lastBatch: null };
      m.cursors.set(name, cursor);
    }
    assert.deepEqual({ ...c.acked() }, cursor.ackedPos, `durable cursor of ${name} when first used after open`);
    cursor.readSeq = cursor.ackedSeq;
    cursor.lastBatch = null;
  }
  return c;
}

/** Checks what the WAL reports about itself: pending samples, segments and live consumers' backlogs. */
function checkStats(m: Model, r: Real): void {
  const stats = r.wal.stats();
  assert.equal(stats.pendingSamples, m.pending.length, 'pending samples');
  assert.equal(stats.segments, m.segments.length, 'segments');
  for (const name of m.live) {
    const ackedSeq = m.cursors.get(name)!.ackedSeq;
    const unacked = m.retained.filter((s) => s.seq >= ackedSeq).length;
    assert.equal(r.wal.consumer(name).backlog().samples, unacked, `backlog of ${name}`);
  }
}

type WalCommand = fc.Command<Model, Real>;

class AppendCommand implements WalCommand {
  constructor(private readonly samples: readonly ModelSample[]) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    for (const s of this.samples) {
      // Refs live until the next commit, so resolve them on every append, as inputs do.
      const ref = r.wal.seriesRef(SERIES[s.series]!);
      assert.ok(ref > 0, 'series ref under the cap');
      r.wal.append(ref, s.ts, s.value);
      m.pending.push(s);
    }
    checkStats(m, r);
  }
  toString(): string {
    return `append(${this.samples.map((s) => `${s.series}@${s.ts}=${Object.is(s.value, -0) ? '-0' : s.value}`).join(', ')})`;
  }
}

class CommitCommand implements WalCommand {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const result = r.wal.commit();
    assert.deepEqual(result, { committed: m.pending.length }, 'commit makes every pending sample durable');
    modelCommit(m);
    checkStats(m, r);
  }
  toString(): string {
    return 'commit';
  }
}

class ReadCommand implements WalCommand {
  constructor(private readonly name: ConsumerName, private readonly max: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const c = consumerOf(m, r, this.name);
    const cursor = m.cursors.get(this.name)!;
    const expected = m.retained.filter((s) => s.seq >= cursor.readSeq).slice(0, this.max);
    const batch = c.read(this.max);
    if (expected.length === 0) {
      assert.equal(batch, null, `${this.name} has read everything committed`);
      return;
    }
    assert.ok(batch !== null, `${this.name} gets a batch of ${expected.length}`);
    // deepStrictEqual compares numbers with Object.is: NaN matches NaN, -0 does not match 0.
    assert.deepEqual(modelSamples(r, batch), expected.map(({ series, ts, value }) => ({ series, ts, value })), `${this.name} reads the committed samples in order`);
    cursor.readSeq = expected.at(-1)!.seq + 1;
    cursor.lastBatch = { endSeq: cursor.readSeq, end: { ...batch.end } };
  }
  toString(): string {
    return `read(${this.name}, ${this.max})`;
  }
}

/** A batch's samples as the model writes them, each ref resolved to its series through the WAL's labels. */
function modelSamples(r: Real, batch: WalBatch): ModelSample[] {
  const samples: ModelSample[] = [];
  for (let i = 0; i < batch.count; i++) {
    const labels = r.wal.labels(batch.refs[i]!);
    assert.ok(labels !== undefined, `labels of ref ${batch.refs[i]} read back`);
    const series = SERIES_BY_KEY.get(labelsKey(labels));
    assert.ok(series !== undefined, `known series ${labelsKey(labels)}`);
    samples.push({ series, ts: batch.timestamps[i]!, value: batch.values[i]! });
  }
  return samples;
}

/** Each series' samples in order, by series. */
function bySeries(samples: readonly ModelSample[]): ModelSample[][] {
  return SERIES.map((_, i) => samples.filter((s) => s.series === i).map(({ series, ts, value }) => ({ series, ts, value })));
}

/**
 * A catch-up span as the sender reads it: rewind, count at most `max` samples and `perSeries` of
 * a series from the acked position, then read them again one range of refs at a time. The span
 * is the next samples after the acked one in commit order, and the ranges together hold each of
 * its series' samples in order, every one once.
 */
class SpanCommand implements WalCommand {
  constructor(private readonly name: ConsumerName, private readonly max: number, private readonly perSeries: number, private readonly perPass: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const c = consumerOf(m, r, this.name);
    const cursor = m.cursors.get(this.name)!;
    c.rewind();
    cursor.readSeq = cursor.ackedSeq;
    cursor.lastBatch = null;
    const unread = m.retained.filter((s) => s.seq >= cursor.readSeq);
    const span = c.countRefs(this.max, this.perSeries);
    if (unread.length === 0) {
      assert.equal(span, null, `${this.name} has nothing to count`);
      return;
    }
    assert.ok(span !== null && span.samples >= 1 && span.samples <= this.max, `${this.name} counts a span of 1 to ${this.max}`);
    const expected = unread.slice(0, span.samples);
    const counted = span.counts.reduce((n, k) => n + k, 0);
    assert.equal(counted, span.samples, 'the counts add up to the span');
    assert.ok(span.counts.every((k) => k <= this.perSeries), `at most ${this.perSeries} of a series`);
    const read: ModelSample[] = [];
    for (const [fromRef, toRef] of refRanges(span.counts, Math.max(this.perPass, this.perSeries))) {
      c.rewind();
      const pass = c.readRefs(span.samples, fromRef, toRef, span.end);
      if (pass === null) continue;
      assert.ok(pass.refs.every((ref) => ref >= fromRef && ref < toRef), `range ${fromRef}-${toRef} holds its refs only`);
      read.push(...modelSamples(r, pass));
    }
    assert.deepEqual(bySeries(read), bySeries(expected), `${this.name} reads each series of the span in order`);
    cursor.readSeq = expected.at(-1)!.seq + 1;
    cursor.lastBatch = { endSeq: cursor.readSeq, end: { ...span.end } };
  }
  toString(): string {
    return `span(${this.name}, ${this.max}, ${this.perSeries}, ${this.perPass})`;
  }
}

class AckCommand implements WalCommand {
  constructor(private readonly name: ConsumerName) {}
  check(m: Readonly<Model>): boolean {
    return m.live.has(this.name) && m.cursors.get(this.name)?.lastBatch != null;
  }
  run(m: Model, r: Real): void {
    const c = consumerOf(m, r, this.name);
    const cursor = m.cursors.get(this.name)!;
    const batch = cursor.lastBatch!;
    c.ack(batch.end);
    // Acking a position at or before the cursor is a no-op.
    if (batch.endSeq > cursor.ackedSeq) {
      cursor.ackedSeq = batch.endSeq;
      cursor.ackedPos = batch.end;
    }
    assert.deepEqual({ ...c.acked() }, cursor.ackedPos, `${this.name} acked position`);
    checkStats(m, r);
  }
  toString(): string {
    return `ack(${this.name})`;
  }
}

class RewindCommand implements WalCommand {
  constructor(private readonly name: ConsumerName) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    consumerOf(m, r, this.name).rewind();
    const cursor = m.cursors.get(this.name)!;
    cursor.readSeq = cursor.ackedSeq;
    cursor.lastBatch = null;
  }
  toString(): string {
    return `rewind(${this.name})`;
  }
}

class TruncateCommand implements WalCommand {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.wal.truncate();
    modelTruncate(m);
    checkStats(m, r);
  }
  toString(): string {
    return 'truncate';
  }
}

class AdvanceClockCommand implements WalCommand {
  constructor(private readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.clock.advance(this.ms);
    m.now += this.ms;
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

class ReopenCommand implements WalCommand {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.wal.close();
    modelCommit(m);
    r.wal = openWal(r.dir, r.clock);
    m.current = null;
    m.live.clear();
    for (const cursor of m.cursors.values()) {
      cursor.readSeq = cursor.ackedSeq;
      cursor.lastBatch = null;
    }
    checkStats(m, r);
  }
  toString(): string {
    return 'reopen';
  }
}

const valueArb = fc.oneof(
  fc.double(), // any bits, with NaN, ±0 and ±Infinity
  fc.integer({ min: -3, max: 3 }), // repeats exercise the "same value" encoding
  fc.integer({ min: -1e12, max: 1e12 }).map((n) => n / 100), // two-decimal counters
  fc.constantFrom(Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, -(2 ** 53), 0.1 + 0.2),
);
const tsArb = fc.oneof(
  fc.integer({ min: 0, max: 20 }).map((k) => 1_700_000_000_000 + k * 15_000), // a steady scrape
  fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }), // anything, in any order
);
const sampleArb = fc.record({ series: fc.integer({ min: 0, max: SERIES.length - 1 }), ts: tsArb, value: valueArb });
const consumerArb = fc.constantFrom(...CONSUMERS);

// Commit, read and ack appear twice so runs reach deliveries and truncations more often.
const commandArbs: Array<fc.Arbitrary<WalCommand>> = [
  fc.array(sampleArb, { minLength: 1, maxLength: 6 }).map((s) => new AppendCommand(s)),
  fc.array(sampleArb, { minLength: 1, maxLength: 6 }).map((s) => new AppendCommand(s)),
  fc.constant(new CommitCommand()),
  fc.constant(new CommitCommand()),
  fc.tuple(consumerArb, fc.integer({ min: 1, max: 12 })).map(([name, max]) => new ReadCommand(name, max)),
  fc.tuple(consumerArb, fc.integer({ min: 1, max: 12 })).map(([name, max]) => new ReadCommand(name, max)),
  fc.tuple(consumerArb, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 20 })).map(([name, max, perSeries, perPass]) => new SpanCommand(name, max, perSeries, perPass)),
  consumerArb.map((name) => new AckCommand(name)),
  consumerArb.map((name) => new AckCommand(name)),
  consumerArb.map((name) => new RewindCommand(name)),
  fc.constant(new TruncateCommand()),
  fc.integer({ min: 1, max: 2 * SEGMENT_MS }).map((ms) => new AdvanceClockCommand(ms)),
  fc.constant(new ReopenCommand()),
];

function initialModel(now: number): Model {
  return { now, nextSeq: 0, retained: [], pending: [], segments: [], current: null, cursors: new Map(), live: new Set() };
}

/** Runs `commands` on a fresh WAL, then reopens it and drains both consumers. */
function runScenario(commands: Iterable<WalCommand>): void {
  const dir = tempDir('outpost-wal-model-');
  const clock = createManualClock();
  const real: Real = { dir: dir.path, clock, wal: openWal(dir.path, clock) };
  const model = initialModel(clock.now());
  try {
    fc.modelRun(() => ({ model, real }), commands);
    // Whatever the sequence, a restart must resume both consumers at their durable cursors.
    new ReopenCommand().run(model, real);
    for (const name of CONSUMERS) new ReadCommand(name, 10_000).run(model, real);
  } finally {
    real.wal.close();
    dir.remove();
  }
}

test('reads return exactly the committed samples from each cursor, across truncations and reopens', () => {
  // 300 runs of up to 120 commands take a few seconds and reach a few hundred truncations.
  fc.assert(fc.property(fc.commands(commandArbs, { maxCommands: 120, size: 'max' }), runScenario), { numRuns: 300, includeErrorInReport: true });
});

// The model found these two: a cursor inside the first chunk of a segment is counted as if it
// stood before the chunk, both by backlog() and by the drop count of truncation.

/** A WAL holding one segment of one 10-sample chunk, with consumer A acked after 4 of them. */
function walAckedInsideFirstChunk(dir: string, counters = recordingCounters()) {
  const clock = createManualClock();
  const wal = openSqliteWal({ dir, segmentDurationMs: SEGMENT_MS, retentionMs: 3_600_000, maxBytes: MAX_BYTES, maxSeries: 1000, clock, counters });
  for (let i = 0; i < 10; i++) wal.append(wal.seriesRef(SERIES[0]!), 1_700_000_000_000 + i * 15_000, i);
  wal.commit();
  const a = wal.consumer('A');
  a.ack(a.read(4)!.end);
  return { wal, clock, a, counters };
}

test('backlog counts only the unacked samples when the cursor stops inside the first chunk of a segment', (t) => {
  const dir = tempDir('outpost-wal-model-');
  t.after(dir.remove);
  const { wal, a } = walAckedInsideFirstChunk(dir.path);
  try {
    assert.deepEqual({ ...a.acked() }, { chunk: 1, offset: 4 });
    assert.equal(a.backlog().samples, 6);
  } finally {
    wal.close();
  }
});

test('retention counts only the unacked samples as dropped when the slowest cursor is inside the first chunk of a segment', (t) => {
  const dir = tempDir('outpost-wal-model-');
  t.after(dir.remove);
  const { wal, clock, counters } = walAckedInsideFirstChunk(dir.path);
  try {
    clock.advance(2 * 3_600_000);
    wal.append(wal.seriesRef(SERIES[1]!), clock.now(), 1);
    wal.commit(); // its truncation removes the first segment, now past retention
    assert.equal(wal.stats().segments, 1);
    assert.equal(counters.dropped.retention, 6);
  } finally {
    wal.close();
  }
});
