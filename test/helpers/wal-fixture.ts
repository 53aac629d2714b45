import { createManualClock } from '../../src/lib/clock.js';
import type { Labels } from '../../src/model/labels.js';
import { openSqliteWal, type SqliteWalOptions, type WalCounters } from '../../src/wal/sqlite-wal.js';
import type { DropReason, Wal, WalConsumer } from '../../src/wal/wal.js';

/** Counters that remember what the WAL reported. */
export function recordingCounters(): WalCounters & { appended: number; dropped: Record<DropReason, number>; seriesLimited: number } {
  const rec = {
    appended: 0,
    dropped: { retention: 0, disk_budget: 0, corruption: 0 } as Record<DropReason, number>,
    seriesLimited: 0,
    samplesAppended(n: number) { rec.appended += n; },
    samplesDropped(reason: DropReason, n: number) { rec.dropped[reason] += n; },
    seriesDropped() { rec.seriesLimited++; },
  };
  return rec;
}

/** WAL options with generous limits, overridable per test. */
export function walOptions(dir: string, overrides: Partial<SqliteWalOptions> = {}): SqliteWalOptions {
  return {
    dir,
    segmentDurationMs: 15 * 60_000,
    retentionMs: 24 * 3_600_000,
    maxBytes: 1024 ** 3,
    maxSeries: 100_000,
    clock: createManualClock(),
    ...overrides,
  };
}

export function openTestWal(dir: string, overrides: Partial<SqliteWalOptions> = {}): Wal {
  return openSqliteWal(walOptions(dir, overrides));
}

/** Labels of test series `i` of metric `name`. */
export function seriesLabels(i: number, name = 'test_metric'): Labels {
  return [{ name: '__name__', value: name }, { name: 'i', value: String(i) }];
}

/** Appends one sample to each of `series` series (values = f(i)) and commits. */
export function appendRound(wal: Wal, series: number, timestampMs: number, value: (i: number) => number): void {
  for (let i = 0; i < series; i++) wal.append(wal.seriesRef(seriesLabels(i)), timestampMs, value(i));
  wal.commit();
}

export interface ReadSample {
  labels: string;
  t: number;
  v: number;
}

/** Reads everything the consumer has left, resolving labels; acks at the end when `ack`. */
export function readAll(wal: Wal, consumer: WalConsumer, ack = false, batch = 1000): ReadSample[] {
  const out: ReadSample[] = [];
  let last;
  for (let b = consumer.read(batch); b !== null; b = consumer.read(batch)) {
    for (let i = 0; i < b.count; i++) {
      const labels = wal.labels(b.refs[i]!);
      out.push({ labels: labels ? labels.map((l) => `${l.name}=${l.value}`).join(',') : '?', t: b.timestamps[i]!, v: b.values[i]! });
    }
    last = b.end;
  }
  if (ack && last) consumer.ack(last);
  return out;
}
