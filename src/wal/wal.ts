import type { Labels } from '../model/labels.js';
import type { MetricMetadata } from '../model/metadata.js';
import type { SampleColumns } from './encoding.js';

/** Why undelivered samples left the WAL (the `reason` label of outpost_wal_samples_dropped_total). */
export type DropReason = 'retention' | 'disk_budget' | 'corruption';

/**
 * The inputs' side of the WAL. Synchronous and never blocked by the network: samples go into an
 * in-memory batch that the next `commit()` makes durable.
 */
export interface WalAppender {
  /**
   * Returns the ref of a label set (sorted, valid: see `normalizeLabels`), creating the series
   * if needed. Returns 0 when the series would exceed the cardinality cap; such samples must be
   * skipped (they are counted by the WAL). A ref stays valid while `seriesGeneration()` returns
   * the value it returned when the ref was obtained.
   */
  seriesRef(labels: Labels): number;
  /** Same as `seriesRef`, for a caller that already holds the series key (`labelsKey`). */
  seriesRefByKey(key: string, labels: () => Labels): number;
  /**
   * Changes when a commit collects idle series, whose refs then become invalid. An input may keep
   * the refs of its series while this holds still (it does for hours in steady state), instead of
   * resolving every sample's label key again on every collection.
   */
  seriesGeneration(): number;
  /** Adds one sample to the pending batch. `ref` must come from `seriesRef`. */
  append(ref: number, timestampMs: number, value: number): void;
  /** Runs `fn` once the samples appended so far are durable (after the next successful commit). */
  afterCommit(fn: () => void): void;
  /**
   * States the TYPE, HELP and UNIT of metric family `family` (what a `# TYPE` line names; see
   * `familyOf` for how series names map to it). Cheap when nothing changed (a Map lookup and a
   * comparison, no I/O), so inputs may call it once per family per round. A new or changed entry
   * is written by the next commit, in the same transaction as the samples appended with it.
   * The WAL forgets a family's metadata only when it collects the family's last series, which
   * changes `seriesGeneration()`: an input that skips repeated calls must call again after that.
   */
  setMetadata(family: string, metadata: MetricMetadata): void;
}

/** A position in the WAL: sample `offset` of chunk `chunk`. Positions order by (chunk, offset). */
export interface WalPosition {
  readonly chunk: number;
  readonly offset: number;
}

/**
 * Samples read by a consumer. The columns are views valid only until the consumer's next
 * `read()`; `end` is the position to `ack` once they are delivered.
 */
export interface WalBatch extends SampleColumns {
  readonly count: number;
  readonly start: WalPosition;
  readonly end: WalPosition;
}

/** What `WalConsumer.countRefs` counted: `counts[ref]` samples of each series, `samples` in all, up to `end`. */
export interface RefCounts {
  readonly samples: number;
  readonly end: WalPosition;
  /** Indexed by series ref; the consumer's own array, valid until its next `countRefs`. */
  readonly counts: Uint32Array;
}

/**
 * One endpoint's reader, with a durable cursor. Reads go oldest first from an in-memory read
 * position (starting at the durable cursor); only `ack` moves the durable cursor.
 */
export interface WalConsumer {
  readonly name: string;
  /**
   * Reads up to `maxSamples` committed samples, stopping early once the chunks read hold about
   * `maxBytes` stored bytes (at least one sample is returned when any is available). Returns
   * null when the consumer has read everything committed. Never holds more than one decoded
   * chunk in memory.
   */
  read(maxSamples: number, maxBytes?: number): WalBatch | null;
  /**
   * Counts, without copying them out, the samples from the read position on, per series, and
   * moves the read position past them: at most `maxSamples`, and no series more than
   * `maxPerSeries`. It stops at the end of a chunk (inside the first one only when that alone is
   * over a limit). Null when nothing is committed past the read position. A sender plans a span
   * with it, then `rewind`s and reads the span in ranges of series with `readRefs`.
   */
  countRefs(maxSamples: number, maxPerSeries: number): RefCounts | null;
  /**
   * Reads the samples of series refs in [fromRef, toRef) from the read position up to `end`, in
   * WAL order, and moves the read position to `end` (or past it, when the chunks there were
   * truncated). Throws when there are more than `maxSamples` of them: a caller sizes the range
   * from `countRefs`. Null when there are none. Never holds more than one decoded chunk and the
   * returned columns in memory. Only the range's values are decoded, unless `toRef` is Infinity:
   * a span's last range decodes everything, so that reading goes on from `end` without rebuilding
   * the decode state (after a closed range, a read other than after `rewind` replays a segment).
   */
  readRefs(maxSamples: number, fromRef: number, toRef: number, end: WalPosition): WalBatch | null;
  /** Moves the stored cursor to `position`; durable against a power cut from the next commit on (a process crash keeps it at once). */
  ack(position: WalPosition): void;
  /** The durable cursor. */
  acked(): WalPosition;
  /**
   * Moves the read position back to the durable cursor (to re-read unacknowledged data). Cheap
   * when the durable cursor was read from since it last moved: no replay of its segment.
   */
  rewind(): void;
  /**
   * Committed samples not yet acknowledged, and the smallest sample timestamp of the chunk the
   * cursor is in (the age of the backlog to chunk precision).
   */
  backlog(): { samples: number; oldestTimestampMs: number | null };
}

/** Size and shape of the WAL, for metrics and the status page. */
export interface WalStats {
  segments: number;
  /** Bytes the WAL occupies on disk (database and its journal). */
  bytes: number;
  /** Samples in memory waiting for the next commit. */
  pendingSamples: number;
  series: number;
  samplesAppended: number;
  dropped: Record<DropReason, number>;
  /** Smallest sample timestamp not yet delivered to every consumer, or null. */
  oldestUndeliveredTimestampMs: number | null;
}

/** The WAL as the runtime sees it. `close()` is idempotent. */
export interface Wal extends WalAppender {
  /**
   * Writes the pending batch in one transaction, makes it durable (one fdatasync, which also
   * covers the acks stored since the last commit) and then truncates what is due.
   * Returns the number of samples written; when only the sync failed, they count as written and
   * the error is returned, and the next commit syncs again. On a full disk it frees the oldest segment and
   * retries; if that still fails the batch stays pending for the next call and the error is
   * returned, never thrown.
   */
  commit(): { committed: number; error?: Error };
  /** Truncates segments delivered to every consumer, past retention, or over the disk budget. */
  truncate(): void;
  /** The reader of endpoint `name`, created at the oldest retained data if new. */
  consumer(name: string): WalConsumer;
  /** Labels of a series ref, or undefined if the series was collected. */
  labels(ref: number): Labels | undefined;
  /**
   * The committed metadata of `family`, from memory (loaded at open, so it survives restarts).
   * A `setMetadata` becomes visible with the commit that writes it, like the samples appended
   * with it; until then this returns the previous entry.
   */
  metadata(family: string): MetricMetadata | undefined;
  /**
   * Every committed metadata entry by family (see `metadata`): a read-only view of the WAL's own
   * map, which later commits update; iterate it synchronously, do not keep it as a snapshot.
   */
  metadataFamilies(): ReadonlyMap<string, MetricMetadata>;
  stats(): WalStats;
  /** Largest sample timestamp committed (in the segments still held), or null: no I/O. */
  newestTimestampMs(): number | null;
  /** Commits what is pending and closes the database. */
  close(): void;
}
