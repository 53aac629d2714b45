/**
 * Crash test with real SQLite files: a child process (test/helpers/wal-crash-child.ts) appends
 * and commits rounds as fast as it can and acks through consumer 'c'; we SIGKILL it at a random
 * moment, reopen the WAL here and check what survived, then start the next child on the same
 * directory, which must carry on from the last durable round.
 *
 * What must hold after each kill:
 * - the retained samples are whole rounds lo..hi in order, each series exactly once per round,
 *   with value r and timestamp base + r·1000;
 * - hi is the last round whose `committed` line we saw, or the one after it (its commit returned
 *   but the child died before it could say so); nothing beyond;
 * - rounds before lo were truncated only after 'c' had acked them (truncation removes delivered
 *   segments), so nothing unacknowledged is missing;
 * - the durable cursor of 'c' is the last `acked` position, or the `acking` one after it (an ack
 *   made durable just before the kill), and 'c' reads on from exactly the sample after it.
 *
 * Segments last 250 ms, so each run rolls a few and truncates delivered ones while appending:
 * kills land in commits, acks, truncations, vacuums and checkpoints alike.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { labelsKey, type Labels } from '../../src/model/labels.js';
import { openSqliteWal, type SqliteWalOptions } from '../../src/wal/sqlite-wal.js';
import type { Wal, WalBatch, WalConsumer, WalPosition } from '../../src/wal/wal.js';
import { tempDir } from '../helpers/temp-dir.js';

const CHILD = fileURLToPath(new URL('../helpers/wal-crash-child.js', import.meta.url));
const SERIES = 50;
const BASE_TS = 1_700_000_000_000;
const SEGMENT_MS = 250;
const RUNS = 24;
// Every KILL_EARLY_EVERY-th run (not the first) is killed counting from spawn rather than from
// `start`, so some kills land while the WAL opens, recovers its journal or scans for the last
// round. The first run creates the database; kills inside that are the second test's subject.
const KILL_EARLY_EVERY = 4;

type Child = ChildProcessByStdio<null, Readable, Readable>;
const running = new Set<Child>();
// Whatever fails, no child outlives the test file.
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** The same labels the child writes. */
function crashSeriesLabels(i: number): Labels {
  return [{ name: '__name__', value: 'crash_test_samples' }, { name: 'series', value: String(i) }];
}
const SERIES_BY_KEY = new Map(Array.from({ length: SERIES }, (_, i) => [labelsKey(crashSeriesLabels(i)), i]));

function walOptions(dir: string): SqliteWalOptions {
  return { dir, segmentDurationMs: SEGMENT_MS, retentionMs: 24 * 3_600_000, maxBytes: 1024 ** 3, maxSeries: 100_000 };
}

interface SampleId {
  round: number;
  series: number;
}

const successor = (s: SampleId): SampleId => (s.series + 1 === SERIES ? { round: s.round + 1, series: 0 } : { round: s.round, series: s.series + 1 });

interface AckPoint {
  pos: WalPosition;
  /** The last sample acked, or null while 'c' has never acked. */
  last: SampleId | null;
}

/** What the previous checks established as durable. */
interface DurableState {
  lastRound: number;
  acked: AckPoint;
}

interface ChildRun {
  readonly child: Child;
  readonly lines: string[];
  stderr: string;
  readonly started: Promise<void>;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnChild(dir: string): ChildRun {
  const child = spawn(process.execPath, [CHILD, dir, String(SERIES), String(BASE_TS), String(SEGMENT_MS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let markStarted = (): void => {};
  const run: ChildRun = {
    child,
    lines: [],
    stderr: '',
    started: new Promise((resolve) => { markStarted = resolve; }),
    closed: new Promise((resolve) => child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    })),
  };
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (data: string) => {
    partial += data;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      run.lines.push(line);
      if (line.startsWith('start ')) markStarted();
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (data: string) => { run.stderr += data; });
  return run;
}

/** Reads everything `consumer` has left as (round, series), checking each sample's fields. */
function readSamples(wal: Wal, consumer: WalConsumer): SampleId[] {
  const out: SampleId[] = [];
  for (let b: WalBatch | null = consumer.read(65_536); b !== null; b = consumer.read(65_536)) {
    for (let i = 0; i < b.count; i++) {
      const labels = wal.labels(b.refs[i]!);
      const series = labels === undefined ? undefined : SERIES_BY_KEY.get(labelsKey(labels));
      assert.ok(series !== undefined, `sample ${i} has known labels`);
      const round: number = b.values[i]!;
      assert.ok(Number.isInteger(round) && round > 0, `value ${round} is a round number`);
      assert.equal(b.timestamps[i], BASE_TS + round * 1000, `timestamp of round ${round}`);
      out.push({ round, series });
    }
  }
  return out;
}

/** Checks the WAL the killed child left behind and returns what is now known to be durable. */
function verifyAfterKill(dir: string, lines: readonly string[], before: DurableState): DurableState {
  const errors = lines.filter((l) => l.startsWith('error'));
  assert.deepEqual(errors, [], 'the child saw nothing wrong');
  const start = lines.find((l) => l.startsWith('start '));
  if (start !== undefined) assert.equal(Number(start.split(' ')[1]), before.lastRound + 1, 'the child resumes after the last durable round');
  let lastCommitted = before.lastRound;
  let confirmed = before.acked;
  let inFlight: AckPoint | null = null;
  for (const line of lines) {
    const [kind, ...args] = line.split(' ');
    const n = args.map(Number);
    if (kind === 'committed') {
      assert.equal(n[0], lastCommitted + 1, 'rounds are committed in order');
      lastCommitted = n[0]!;
    } else if (kind === 'acking') {
      inFlight = { pos: { chunk: n[0]!, offset: n[1]! }, last: { round: n[2]!, series: n[3]! } };
    } else if (kind === 'acked') {
      assert.ok(inFlight !== null, 'acked follows acking');
      assert.deepEqual({ chunk: n[0], offset: n[1] }, inFlight.pos);
      confirmed = inFlight;
      inFlight = null;
    }
  }

  const wal = openSqliteWal(walOptions(dir));
  try {
    assert.equal(wal.stats().dropped.corruption, 0, 'the database opens without being moved aside');
    // Never acked, so this check cannot make anything look delivered and truncate it.
    const all = readSamples(wal, wal.consumer('verify'));
    const lo = all[0]?.round ?? before.lastRound + 1;
    all.forEach((s, i) => {
      const expected = { round: lo + Math.floor(i / SERIES), series: i % SERIES };
      if (s.round !== expected.round || s.series !== expected.series) {
        assert.fail(`sample ${i} is round ${s.round} series ${s.series}, expected round ${expected.round} series ${expected.series}: a round is missing, duplicated or torn`);
      }
    });
    assert.equal(all.length % SERIES, 0, 'the newest round is whole');
    const hi = all.length === 0 ? 0 : all.at(-1)!.round;
    const mayHaveOneMore = start !== undefined;
    assert.ok(hi === lastCommitted || (mayHaveOneMore && hi === lastCommitted + 1),
      `durable rounds end at ${hi}; the child reported ${lastCommitted} committed`);

    const c = wal.consumer('c');
    const cursor = { ...c.acked() };
    let acked: AckPoint;
    if (isDeepStrictEqual(cursor, confirmed.pos)) acked = confirmed;
    else if (inFlight !== null && isDeepStrictEqual(cursor, inFlight.pos)) acked = inFlight;
    else assert.fail(`cursor of c is ${JSON.stringify(cursor)}; last acked ${JSON.stringify(confirmed.pos)}, in flight ${JSON.stringify(inFlight?.pos ?? null)}`);

    const unread = readSamples(wal, c);
    const next = acked.last === null ? { round: 1, series: 0 } : successor(acked.last);
    if (next.round > hi) {
      assert.equal(unread.length, 0, 'c has nothing left after acking the newest round');
    } else {
      assert.ok(lo <= next.round, `rounds from ${next.round} are not acked by c, yet the WAL starts at round ${lo}`);
      const from = (next.round - lo) * SERIES + next.series;
      assert.deepEqual(unread, all.slice(from), 'c resumes right after its last acked sample');
    }
    return { lastRound: hi, acked };
  } finally {
    wal.close();
  }
}

test('SIGKILL mid-append loses no committed round, duplicates none, and resumes the cursor where it was acked', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('outpost-wal-crash-');
  t.after(dir.remove);
  let state: DurableState = { lastRound: 0, acked: { pos: { chunk: 0, offset: 0 }, last: null } };
  let roundsCommitted = 0;
  let acks = 0;
  for (let run = 0; run < RUNS; run++) {
    const proc = spawnChild(dir.path);
    const killEarly = run % KILL_EARLY_EVERY === KILL_EARLY_EVERY - 1;
    const delayMs = 50 + Math.floor(Math.random() * 350);
    const context = (): string => `run ${run} (kill ${delayMs} ms after ${killEarly ? 'spawn' : 'start'})\nstdout tail: ${proc.lines.slice(-5).join(' | ')}\nstderr: ${proc.stderr}`;
    try {
      if (!killEarly) {
        const exitedEarly = await Promise.race([proc.started.then(() => false), proc.closed.then(() => true), sleep(20_000, undefined, { ref: false }).then(() => true)]);
        assert.equal(exitedEarly, false, `the child did not start: ${context()}`);
      }
      await sleep(delayMs);
      proc.child.kill('SIGKILL');
      const exit = await proc.closed;
      assert.equal(exit.signal, 'SIGKILL', `the child ended by itself with code ${exit.code}: ${context()}`);
    } finally {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
      await proc.closed;
    }
    const previous = state.lastRound;
    try {
      state = verifyAfterKill(dir.path, proc.lines, state);
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nafter ${context()}`, { cause: error });
    }
    roundsCommitted += state.lastRound - previous;
    acks += proc.lines.filter((l) => l.startsWith('acked ')).length;
  }
  assert.deepEqual(readdirSync(dir.path).filter((n) => n.includes('.corrupt-')), [], 'no database was moved aside');
  // The test is only worth something if the children got real work done between kills.
  assert.ok(roundsCommitted >= RUNS, `only ${roundsCommitted} rounds were committed in ${RUNS} runs`);
  assert.ok(acks > 0, 'consumer c acked at least once');
  t.diagnostic(`${RUNS} kills, ${roundsCommitted} rounds of ${SERIES} samples durable, ${acks} acks`);
});

/**
 * Source of a process that creates a WAL in `dir` but SIGKILLs itself after the first
 * `statements` statements of the first multi-statement `exec` that creates tables (the schema).
 * better-sqlite3's `exec` is patched in that process only.
 */
function killDuringSchemaSource(dir: string, statements: number): string {
  const require = createRequire(import.meta.url);
  const sqlite = pathToFileURL(require.resolve('better-sqlite3')).href;
  const wal = new URL('../../src/wal/sqlite-wal.js', import.meta.url).href;
  return `
    import Database from ${JSON.stringify(sqlite)};
    const exec = Database.prototype.exec;
    Database.prototype.exec = function (sql) {
      if (!/CREATE TABLE/i.test(sql)) return exec.call(this, sql);
      const parts = sql.split(';').filter((p) => p.trim() !== '');
      for (const part of parts.slice(0, ${statements})) exec.call(this, part);
      process.kill(process.pid, 'SIGKILL');
    };
    const { openSqliteWal } = await import(${JSON.stringify(wal)});
    openSqliteWal(${JSON.stringify(walOptions(dir))});
  `;
}

test('a kill while the first open creates the schema leaves a database the next open accepts as new', (t) => {
  // Each step of schema creation: one CREATE TABLE done, two, … all of them (meta row not yet in).
  for (let statements = 1; statements <= 5; statements++) {
    const dir = tempDir('outpost-wal-crash-');
    t.after(dir.remove);
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', killDuringSchemaSource(dir.path, statements)], { encoding: 'utf8', timeout: 20_000 });
    // SIGKILL: the kill landed inside schema creation; 0: the schema no longer comes through one exec.
    assert.ok(child.signal === 'SIGKILL' || child.status === 0, `child: status ${child.status}, signal ${child.signal}, stderr ${child.stderr}`);
    const wal = openSqliteWal(walOptions(dir.path));
    try {
      assert.equal(wal.stats().dropped.corruption, 0);
      wal.append(wal.seriesRef(crashSeriesLabels(0)), BASE_TS + 1000, 1);
      assert.deepEqual(wal.commit(), { committed: 1 });
      assert.deepEqual(readSamples(wal, wal.consumer('c')), [{ round: 1, series: 0 }]);
    } finally {
      wal.close();
    }
    assert.deepEqual(readdirSync(dir.path).filter((n) => n.includes('.corrupt-')), [],
      `after a kill with ${statements} of the schema's statements done, the half-made database was moved aside as damaged`);
  }
});
