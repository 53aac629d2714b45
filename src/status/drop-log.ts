import type { DropReason } from '../wal/wal.js';

/** One loss of undelivered samples from the WAL, as kept for the status page. */
export interface DropRecord {
  reason: DropReason;
  samples: number;
  /** Range of sample timestamps lost (epoch ms); null when the WAL could not tell. */
  fromMs: number | null;
  toMs: number | null;
  /** When it was reported (the latest report, for merged repeats). */
  atMs: number;
  /** Endpoints that had not delivered the samples; null: all of them. */
  endpoints: string[] | null;
}

/** A bounded list of the most recent WAL drops; the counters keep the totals. */
export interface DropLog {
  /** Records a drop reported at `atMs`, merging it into the newest entry when it repeats that one. */
  record(drop: Omit<DropRecord, 'atMs'>, atMs: number): void;
  /** The entries, newest first (a copy). */
  recent(): DropRecord[];
}

/**
 * Keeps the last `capacity` drops (default 20: a screenful, a few KB). A full disk can drop
 * samples one by one thousands of times a second, so a report of the same reason and endpoints
 * within `mergeWindowMs` (default a minute) of the newest entry extends that entry instead of
 * pushing the history out.
 */
export function createDropLog(capacity = 20, mergeWindowMs = 60_000): DropLog {
  const entries: DropRecord[] = [];
  const sameEndpoints = (a: string[] | null, b: string[] | null): boolean =>
    a === null || b === null ? a === b : a.length === b.length && a.every((url, i) => url === b[i]);
  return {
    record(drop, atMs) {
      const newest = entries.at(-1);
      if (newest !== undefined && newest.reason === drop.reason && atMs - newest.atMs <= mergeWindowMs && sameEndpoints(newest.endpoints, drop.endpoints)
        && newest.fromMs !== null && newest.toMs !== null && drop.fromMs !== null && drop.toMs !== null) {
        newest.samples += drop.samples;
        newest.fromMs = Math.min(newest.fromMs, drop.fromMs);
        newest.toMs = Math.max(newest.toMs, drop.toMs);
        newest.atMs = atMs;
        return;
      }
      entries.push({ ...drop, endpoints: drop.endpoints === null ? null : [...drop.endpoints], atMs });
      if (entries.length > capacity) entries.shift();
    },
    recent: () => entries.map((e) => ({ ...e, endpoints: e.endpoints === null ? null : [...e.endpoints] })).reverse(),
  };
}
