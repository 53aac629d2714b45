/**
 * The process test/integration/wal-crash.test.ts kills: it appends to a WAL until SIGKILL.
 *
 * Usage: `node wal-crash-child.js <dir> <series> <baseTimestampMs> <segmentDurationMs>`; without
 * arguments it exits at once.
 *
 * Round r appends one sample per series (value r, timestamp base + r·1000) and commits. Every
 * ACK_EVERY rounds consumer 'c' reads a batch (sizes in READ_SIZES), checks that it continues
 * where the previous one ended, and acks it. On start the child finds the last durable round by
 * reading everything retained through consumer 'scan' (never acked, so it starts at the oldest
 * retained data every time), then reopens the WAL without 'scan' (a live consumer that never acks
 * would hold back every truncation) and carries on with the next round.
 *
 * It reports on stdout, one line per event, with a synchronous write so that a line the parent
 * sees was written before the next step began:
 *   start <round>                               about to append the first round of this run
 *   committed <round>                           commit() of <round> returned
 *   acking <chunk> <offset> <round> <series>    about to ack the batch ending after this sample
 *   acked <chunk> <offset>                      ack() returned
 *   error <message>                             a broken expectation; the process exits 1
 */
import { writeSync } from 'node:fs';
import { labelsKey, type Labels } from '../../src/model/labels.js';
import { openSqliteWal, type SqliteWalOptions } from '../../src/wal/sqlite-wal.js';
import type { WalBatch } from '../../src/wal/wal.js';

const ACK_EVERY = 3;
// Read sizes in turn: three reads take 460 samples while 3·ACK_EVERY rounds of 50 series add 450,
// so 'c' lags by a few hundred samples and catches up slowly (reading in the closed segments as
// well as the open one), and as no size is a multiple of a round most acks land mid-chunk.
const READ_SIZES = [70, 130, 260];
// A safety net for a parent that died without killing us: never outlive a test run.
const MAX_LIFETIME_MS = 60_000;

/** Labels of crash-test series `i` (the parent test builds the same ones). */
function crashSeriesLabels(i: number): Labels {
  return [{ name: '__name__', value: 'crash_test_samples' }, { name: 'series', value: String(i) }];
}

function say(line: string): void {
  writeSync(1, line + '\n');
}

function fail(message: string): never {
  say(`error ${message}`);
  process.exit(1);
}

function main(argv: string[]): void {
  // `node --test dist-test/test/` runs every file under test/, this one too, with no arguments:
  // then there is nothing to do.
  if (argv.length === 0) return;
  const [dir, seriesArg, baseArg, segmentArg] = argv;
  if (dir === undefined || seriesArg === undefined || baseArg === undefined || segmentArg === undefined) {
    fail('usage: wal-crash-child <dir> <series> <baseTimestampMs> <segmentDurationMs>');
  }
  const series = Number(seriesArg);
  const base = Number(baseArg);
  const options: SqliteWalOptions = {
    dir,
    segmentDurationMs: Number(segmentArg),
    retentionMs: 24 * 3_600_000,
    maxBytes: 1024 ** 3,
    maxSeries: 100_000,
  };
  const labels = Array.from({ length: series }, (_, i) => crashSeriesLabels(i));
  const seriesOfKey = new Map(labels.map((l, i) => [labelsKey(l), i]));

  let wal = openSqliteWal(options);
  const seriesOf = (batch: WalBatch, i: number): number => {
    const l = wal.labels(batch.refs[i]!);
    const s = l === undefined ? undefined : seriesOfKey.get(labelsKey(l));
    if (s === undefined) fail(`ref ${batch.refs[i]} has unknown labels`);
    return s;
  };

  let lastRound = 0;
  const scan = wal.consumer('scan');
  for (let b = scan.read(65_536); b !== null; b = scan.read(65_536)) {
    for (let i = 0; i < b.count; i++) lastRound = Math.max(lastRound, b.values[i]!);
  }
  wal.close();
  wal = openSqliteWal(options);
  const c = wal.consumer('c');
  // Where 'c' must continue once its first read of this run has shown where it stands.
  let next: { round: number; series: number } | null = null;

  const started = Date.now();
  say(`start ${lastRound + 1}`);
  for (let round = lastRound + 1; Date.now() - started < MAX_LIFETIME_MS; round++) {
    // Refs are valid until the next commit only, so each round resolves them again.
    for (let i = 0; i < series; i++) wal.append(wal.seriesRef(labels[i]!), base + round * 1000, round);
    const result = wal.commit();
    if (result.error !== undefined || result.committed !== series) fail(`commit of round ${round}: ${JSON.stringify(result)} ${String(result.error)}`);
    say(`committed ${round}`);
    if (round % ACK_EVERY !== 0) continue;
    const batch = c.read(READ_SIZES[(round / ACK_EVERY) % READ_SIZES.length]!);
    if (batch === null) fail(`consumer c read nothing after round ${round} was committed`);
    let r = 0;
    let s = 0;
    for (let i = 0; i < batch.count; i++) {
      r = batch.values[i]!;
      s = seriesOf(batch, i);
      if (batch.timestamps[i] !== base + r * 1000) fail(`sample of round ${r} has timestamp ${batch.timestamps[i]}`);
      if (next !== null && (r !== next.round || s !== next.series)) fail(`c read round ${r} series ${s}, expected round ${next.round} series ${next.series}`);
      next = s + 1 === series ? { round: r + 1, series: 0 } : { round: r, series: s + 1 };
    }
    say(`acking ${batch.end.chunk} ${batch.end.offset} ${r} ${s}`);
    c.ack(batch.end);
    say(`acked ${batch.end.chunk} ${batch.end.offset}`);
  }
  fail('lived longer than a crash test should');
}

main(process.argv.slice(2));
