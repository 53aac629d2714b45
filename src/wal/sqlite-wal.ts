/**
 * The durable write-ahead log: one SQLite database (`wal.db`) in the data directory.
 *
 * Schema. `series` maps a ref to its label set, written once when the series is new.
 * `segments` are spans of commits; a segment closes after OUTPOST_WAL_SEGMENT_DURATION or once
 * it holds an eighth of the disk budget (so truncation frees the budget in steps of at most
 * 12.5%, even when a small budget fills in seconds), and a new one starts at every open. Its row
 * is written when it starts and finished when it closes, together with `segment_series`, the
 * compressed set of refs it holds (what series collection needs, without rewriting every series
 * row each segment); the segment open at a crash is rebuilt from its chunks at the next open.
 * `chunks` hold the samples of one commit each (≤ 65,536 samples, format in encoding.ts: about 1-3
 * bytes a sample), with ids that only grow. `cursors` hold each endpoint's acked position
 * (chunk id, sample offset). `metadata` holds each metric family's type, help and unit, one row
 * per family written when it changes (metadata-store.ts); series collection takes unused rows along.
 *
 * Commits. Appends fill an in-memory batch; `commit()` encodes it and writes series rows, chunks,
 * changed metadata and the segment row in one transaction (journal_mode=WAL, synchronous=FULL: one fsync, so a
 * crash or power cut loses at most the batch not yet committed, and a torn transaction is simply
 * absent after recovery). A commit that fails abandons its segment (the encoder's state moved on)
 * and retries in a new one.
 *
 * Truncation, after each commit, removes whole segments oldest first: delivered (every active
 * consumer's cursor is past it), past retention (last commit older than OUTPOST_WAL_RETENTION),
 * or while the live pages exceed the budget. Undelivered samples dropped are counted by reason and
 * logged with their time range. Freed pages go back to the filesystem through incremental vacuum
 * and a journal-truncating checkpoint. The disk budget covers the database, its journal (capped
 * by wal_autocheckpoint / journal_size_limit) and a small reserve file released when the disk is
 * full so the deletes that make room can be journaled. Series no remaining segment wrote are
 * collected.
 *
 * Recovery. A database that fails `quick_check` at open is moved aside and a fresh one started
 * (database.ts); a chunk that fails to decode later drops its segment, counted as corruption.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Statement } from 'better-sqlite3';
import { systemClock, type Clock } from '../lib/clock.js';
import { createThrottle, silentLogger, throttledWarn, type Logger } from '../lib/log.js';
import type { Labels } from '../model/labels.js';
import type { MetricMetadata } from '../model/metadata.js';
import { ConsumerSet } from './consumer-set.js';
import { openWalDatabase, type WalDatabase } from './database.js';
import { DiskBudget, type BudgetLimits } from './disk-budget.js';
import { fileSize, isDiskFull, SpaceReserve } from './disk.js';
import { chunkRefs, decodeRefSet, encodeChunk, encodeRefSet, MAX_CHUNK_SAMPLES, SeriesState } from './encoding.js';
import { MetadataStore } from './metadata-store.js';
import { PastCursor } from './past-cursor.js';
import { PendingBatch } from './pending-batch.js';
import { SegmentTable, type Segment } from './segments.js';
import { SeriesRegistry } from './series-registry.js';
import type { DropReason, Wal, WalConsumer, WalStats } from './wal.js';

/** Hooks through which the WAL reports what it counts (bound to own metrics by the runtime). */
export interface WalCounters {
  samplesAppended(n: number): void;
  samplesDropped(reason: DropReason, n: number): void;
  seriesDropped(reason: 'limit'): void;
}

/** Settings of `openSqliteWal`; the durations and sizes come from OUTPOST_WAL_*. */
export interface SqliteWalOptions {
  dir: string;
  segmentDurationMs: number;
  retentionMs: number;
  maxBytes: number;
  maxSeries: number;
  clock?: Clock;
  log?: Logger;
  counters?: WalCounters;
  /**
   * Called after undelivered samples left the WAL (and were counted), with the range of sample
   * timestamps they covered; null when unknown (a damaged database moved aside at open). The WAL
   * only logs ranges; this lets the status page keep the recent ones.
   */
  onDrop?: (reason: DropReason, samples: number, fromMs: number | null, toMs: number | null) => void;
  /**
   * The consumers (endpoints) configured now. They count for delivery from the start, so data
   * is not truncated as delivered before a sender created a moment later has read it.
   */
  consumers?: readonly string[];
}

// Samples held in memory while commits fail (full disk): 500k samples are ~10 MiB, a few minutes
// of a large gateway; beyond that new samples are dropped and counted rather than risk the OOM killer.
const MAX_PENDING_SAMPLES = 500_000;

const noCounters: WalCounters = { samplesAppended() {}, samplesDropped() {}, seriesDropped() {} };

/** The file name of the WAL database inside the data directory. */
export const WAL_FILE = 'wal.db';

/** Opens the WAL in `options.dir` (created if missing). Throws when the directory is unusable. */
export function openSqliteWal(options: SqliteWalOptions): Wal {
  return new SqliteWal(options);
}

class SqliteWal implements Wal {
  private readonly db: WalDatabase;
  private readonly path: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly counters: WalCounters;
  private readonly throttle = createThrottle(60_000);
  private readonly registry: SeriesRegistry;
  private readonly metadataStore: MetadataStore;
  private readonly pending = new PendingBatch();
  private readonly writerState = new SeriesState();
  private readonly reserve: SpaceReserve;
  private readonly segments: SegmentTable;
  private readonly consumers: ConsumerSet;
  private readonly callbacks: Array<() => void> = [];
  private readonly budget: DiskBudget;
  private limits: BudgetLimits;
  /** The segment whose row still holds the stats of its first commit (finished at roll or close). */
  private openRow: Segment | null = null;
  /** Refs written in `openRow`, stored with it when it closes. */
  private openRowRefs: number[] = [];
  private nextChunkId: number;
  private persistedNextRef: number;
  private appended = 0;
  // Bumped when series are collected: inputs holding refs resolve them again (see WalAppender).
  private generation = 0;
  private readonly dropped: Record<DropReason, number> = { retention: 0, disk_budget: 0, corruption: 0 };
  private closed = false;
  private commitFailing = false;
  private readonly stmt: {
    insertSegment: Statement<[number, number, number, number, number, number, number, number, number]>;
    updateSegment: Statement<[number, number, number, number, number, number, number]>;
    insertSeries: Statement<[number, string]>;
    saveSegmentSeries: Statement<[number, Buffer]>;
    deleteSegmentSeries: Statement<[number]>;
    insertChunk: Statement<[number, number, number, number, number, number, Buffer]>;
    setNextRef: Statement<[number]>;
    deleteChunks: Statement<[number, number]>;
    deleteSegment: Statement<[number]>;
    deleteSeries: Statement<[number]>;
  };

  constructor(private readonly options: SqliteWalOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.log ?? silentLogger).child({ component: 'wal' });
    this.counters = options.counters ?? noCounters;
    mkdirSync(options.dir, { recursive: true });
    this.path = join(options.dir, WAL_FILE);
    this.budget = new DiskBudget(options.dir, options.maxBytes);
    this.reserve = new SpaceReserve(join(options.dir, 'wal.reserve'), this.budget.reserveBytes);
    this.limits = this.budget.limits(this.diskBytes());
    const { db, recovery } = openWalDatabase(this.path, { journalBytes: this.limits.journalBytes }, this.log);
    this.db = db;
    if (recovery) this.countDrop('corruption', recovery.lostSamples);
    this.stmt = {
      insertSegment: db.prepare('INSERT INTO segments (id, started_ms, last_commit_ms, first_chunk, last_chunk, samples, bytes, min_ts, max_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      updateSegment: db.prepare('UPDATE segments SET last_commit_ms = ?, last_chunk = ?, samples = ?, bytes = ?, min_ts = ?, max_ts = ? WHERE id = ?'),
      insertSeries: db.prepare('INSERT OR IGNORE INTO series (ref, labels) VALUES (?, ?)'),
      saveSegmentSeries: db.prepare('INSERT OR REPLACE INTO segment_series (segment, refs) VALUES (?, ?)'),
      deleteSegmentSeries: db.prepare('DELETE FROM segment_series WHERE segment = ?'),
      insertChunk: db.prepare('INSERT INTO chunks (id, segment, samples, committed_ms, min_ts, max_ts, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      setNextRef: db.prepare("UPDATE meta SET value = ? WHERE key = 'next_ref'"),
      deleteChunks: db.prepare('DELETE FROM chunks WHERE id BETWEEN ? AND ?'),
      deleteSegment: db.prepare('DELETE FROM segments WHERE id = ?'),
      deleteSeries: db.prepare('DELETE FROM series WHERE ref = ?'),
    };
    this.segments = new SegmentTable(db);
    this.registry = new SeriesRegistry(db, options.maxSeries);
    this.metadataStore = new MetadataStore(db);
    for (const row of db.prepare('SELECT segment, refs FROM segment_series').iterate() as Iterable<{ segment: number; refs: Buffer }>) {
      this.registry.markSegment(decodeRefSet(row.refs), row.segment);
    }
    this.recoverLastSegment();
    this.consumers = new ConsumerSet(db, new PastCursor(db), this.segments, {
      write: (fn) => this.write(fn),
      dropCorruptSegment: (id, problem) => this.dropCorruptSegment(id, problem),
    });
    // Chunk ids only grow, even when every chunk was truncated: a cursor past the last chunk must
    // never point beyond data written later.
    const maxChunk = db.prepare('SELECT max(id) AS c FROM chunks').get() as { c: number | null };
    this.nextChunkId = Math.max((maxChunk.c ?? 0) + 1, this.consumers.highestCursorChunk() ?? 1);
    this.persistedNextRef = this.registry.peekNextRef();
    for (const name of options.consumers ?? []) this.consumers.get(name);
    this.reserve.ensure();
    this.log.info({ path: this.path, segments: this.segments.all.length, series: this.registry.size }, 'WAL opened');
  }

  seriesRef(labels: Labels): number {
    return this.checkRef(this.registry.refForLabels(labels));
  }

  seriesRefByKey(key: string): number {
    return this.checkRef(this.registry.refFor(key));
  }

  seriesGeneration(): number {
    return this.generation;
  }

  private checkRef(ref: number): number {
    if (ref === 0) this.counters.seriesDropped('limit');
    return ref;
  }

  append(ref: number, timestampMs: number, value: number): void {
    if (!this.registry.has(ref)) throw new Error(`append to unknown series ref ${ref}`);
    if (this.commitFailing && this.pending.count >= MAX_PENDING_SAMPLES) {
      this.countDrop('disk_budget', 1, timestampMs, timestampMs);
      return;
    }
    this.pending.push(ref, Math.round(timestampMs), value);
  }

  afterCommit(fn: () => void): void {
    this.callbacks.push(fn);
  }

  setMetadata(family: string, metadata: MetricMetadata): void {
    this.metadataStore.set(family, metadata);
  }

  metadata(family: string): MetricMetadata | undefined {
    return this.metadataStore.get(family);
  }

  metadataFamilies(): ReadonlyMap<string, MetricMetadata> {
    return this.metadataStore.all();
  }

  commit(): { committed: number; error?: Error } {
    if (this.closed) throw new Error('commit on a closed WAL');
    const count = this.pending.count;
    if (count > 0) {
      const error = this.tryWriteBatch();
      this.commitFailing = error !== undefined;
      if (error) return { committed: 0, error };
      this.appended += count;
      this.counters.samplesAppended(count);
      this.pending.clear();
    } else if (this.metadataStore.hasPending()) {
      // Metadata without samples (a family stated before its first sample) has no batch to ride.
      try {
        this.write(() => this.db.transaction(() => this.metadataStore.write())());
      } catch (error) {
        throttledWarn(this.log, this.throttle, 'metadata-failed', { err: error }, 'writing metric metadata failed; it stays pending');
        return { committed: 0, error: error as Error };
      }
      this.metadataStore.persisted();
    }
    for (const fn of this.callbacks.splice(0)) fn();
    this.truncate();
    return { committed: count };
  }

  private tryWriteBatch(): Error | undefined {
    try {
      this.writeBatch();
      return undefined;
    } catch (error) {
      this.segments.current = null;
      if (!isDiskFull(error)) {
        this.log.error({ err: error }, 'WAL commit failed; the batch stays pending');
        return error as Error;
      }
    }
    this.log.warn('disk full during commit; freeing the oldest segment and retrying');
    try {
      this.freeSpaceOnFullDisk();
      this.writeBatch();
      this.reserve.ensure();
      return undefined;
    } catch (error) {
      this.segments.current = null;
      throttledWarn(this.log, this.throttle, 'commit-failed', { err: error, pending: this.pending.count }, 'WAL commit failed again; the batch stays pending');
      return error as Error;
    }
  }

  private writeBatch(): void {
    const now = this.clock.now();
    const cur = this.segments.current;
    const rolling = cur === null || now - cur.startedMs >= this.options.segmentDurationMs || cur.bytes >= this.limits.segmentMaxBytes;
    const seg: Segment = rolling
      ? { id: this.segments.allocateId(), startedMs: now, lastCommitMs: now, firstChunk: 0, lastChunk: 0, samples: 0, bytes: 0, minTs: Infinity, maxTs: -Infinity }
      : { ...cur };
    if (rolling) this.writerState.reset();
    const p = this.pending;
    const touched: number[] = [];
    for (let i = 0; i < p.count; i++) {
      const ref = p.refs[i]!;
      if (this.registry.touch(ref, seg.id)) touched.push(ref);
    }
    const chunks: Array<{ data: Buffer; samples: number; minTs: number; maxTs: number }> = [];
    let chunkId = this.nextChunkId;
    for (let start = 0; start < p.count; start += MAX_CHUNK_SAMPLES) {
      const end = Math.min(p.count, start + MAX_CHUNK_SAMPLES);
      let minTs = Infinity;
      let maxTs = -Infinity;
      for (let i = start; i < end; i++) {
        const ts = p.timestamps[i]!;
        if (ts < minTs) minTs = ts;
        if (ts > maxTs) maxTs = ts;
      }
      chunks.push({ data: encodeChunk(p, start, end, this.writerState), samples: end - start, minTs, maxTs });
    }
    this.db.transaction(() => {
      for (const ref of this.registry.newSeries()) this.stmt.insertSeries.run(ref, this.registry.key(ref));
      this.metadataStore.write();
      for (const chunk of chunks) {
        const id = chunkId++;
        this.stmt.insertChunk.run(id, seg.id, chunk.samples, now, chunk.minTs, chunk.maxTs, chunk.data);
        if (seg.samples === 0) seg.firstChunk = id;
        seg.lastChunk = id;
        seg.samples += chunk.samples;
        seg.bytes += chunk.data.length;
        seg.minTs = Math.min(seg.minTs, chunk.minTs);
        seg.maxTs = Math.max(seg.maxTs, chunk.maxTs);
      }
      seg.lastCommitMs = now;
      // The segment row is written when the segment starts and finished when it closes; while it
      // is open its chunks are the truth (recoverLastSegment), which saves a page write a commit.
      if (rolling) {
        this.finishOpenRow();
        this.stmt.insertSegment.run(seg.id, seg.startedMs, now, seg.firstChunk, seg.lastChunk, seg.samples, seg.bytes, seg.minTs, seg.maxTs);
      }
      if (this.registry.peekNextRef() !== this.persistedNextRef) this.stmt.setNextRef.run(this.registry.peekNextRef());
    })();
    this.nextChunkId = chunkId;
    this.persistedNextRef = this.registry.peekNextRef();
    this.registry.newSeriesPersisted();
    this.metadataStore.persisted();
    if (rolling) {
      this.openRow = seg;
      this.openRowRefs = touched;
    } else {
      for (const ref of touched) this.openRowRefs.push(ref);
    }
    if (rolling) {
      this.segments.add(seg);
    } else {
      Object.assign(cur!, seg);
    }
    this.segments.current = rolling ? seg : cur;
  }

  private saveSegment(seg: Segment): void {
    this.stmt.updateSegment.run(seg.lastCommitMs, seg.lastChunk, seg.samples, seg.bytes, seg.minTs, seg.maxTs, seg.id);
  }

  /** Writes the final stats and series set of the segment written last, if it still exists. */
  private finishOpenRow(): void {
    if (this.openRow === null || !this.segments.includes(this.openRow)) return;
    this.saveSegment(this.openRow);
    this.stmt.saveSegmentSeries.run(this.openRow.id, encodeRefSet(this.openRowRefs));
  }

  /** Rebuilds the last segment's row from its chunks: it was open when the process last stopped. */
  private recoverLastSegment(): void {
    const last = this.segments.all.at(-1);
    if (last === undefined) return;
    const row = this.db
      .prepare('SELECT max(id) AS lastChunk, sum(samples) AS samples, sum(length(data)) AS bytes, min(min_ts) AS minTs, max(max_ts) AS maxTs, max(committed_ms) AS lastCommitMs FROM chunks WHERE id >= ?')
      .get(last.firstChunk) as { lastChunk: number | null; samples: number; bytes: number; minTs: number; maxTs: number; lastCommitMs: number };
    if (row.lastChunk === null) return;
    Object.assign(last, row);
    const refs: number[] = [];
    for (const chunk of this.db.prepare('SELECT data FROM chunks WHERE id >= ?').iterate(last.firstChunk) as Iterable<{ data: Buffer }>) {
      for (const ref of chunkRefs(chunk.data)) refs.push(ref);
    }
    this.registry.markSegment(refs, last.id);
    this.openRow = last;
    this.openRowRefs = refs;
    this.db.transaction(() => this.finishOpenRow())();
  }

  truncate(): void {
    const now = this.clock.now();
    let removed = 0;
    try {
      this.refreshLimits();
      while (this.segments.all.length > 0) {
        const seg = this.segments.all[0]!;
        const isCurrent = seg === this.segments.current;
        if (!isCurrent && this.consumers.isDelivered(seg)) this.removeSegment(seg, null);
        else if (now - seg.lastCommitMs > this.options.retentionMs) this.removeSegment(seg, 'retention');
        else if (!isCurrent && this.liveBytes() > this.limits.liveBytesLimit) this.removeSegment(seg, 'disk_budget');
        else break;
        removed++;
      }
      if (removed > 0) this.reclaim();
    } catch (error) {
      throttledWarn(this.log, this.throttle, 'truncate-failed', { err: error }, 'WAL truncation failed; it is retried after the next commit');
    }
  }

  /** Re-reads the filesystem's free space; resizes the journal limit when the budget moved. */
  private refreshLimits(): void {
    const next = this.budget.limits(this.diskBytes());
    if (next.journalBytes !== this.limits.journalBytes) {
      const pageSize = this.db.pragma('page_size', { simple: true }) as number;
      this.db.pragma(`wal_autocheckpoint = ${Math.max(16, Math.floor(next.journalBytes / pageSize))}`);
      this.db.pragma(`journal_size_limit = ${next.journalBytes}`);
    }
    this.limits = next;
  }

  /** Bytes the WAL's files occupy: database, journal, shared-memory index and reserve. */
  private diskBytes(): number {
    return fileSize(this.path) + fileSize(this.path + '-wal') + fileSize(this.path + '-shm') + fileSize(this.reserve.path);
  }

  private liveBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return (pages - free) * pageSize;
  }

  /** Deletes a segment; `reason` null means delivered, otherwise undelivered samples are counted. */
  private removeSegment(seg: Segment, reason: DropReason | null): void {
    const lost = reason === null ? null : this.consumers.undeliveredIn(seg);
    this.db.transaction(() => {
      if (seg.samples > 0) this.stmt.deleteChunks.run(seg.firstChunk, seg.lastChunk);
      this.stmt.deleteSegment.run(seg.id);
      this.stmt.deleteSegmentSeries.run(seg.id);
    })();
    this.segments.remove(seg);
    // Counted only once the delete went through: a delete that fails on a full disk is retried.
    if (reason !== null && lost !== null && lost.samples > 0) {
      this.countDrop(reason, lost.samples, lost.fromMs, lost.toMs);
      this.log.warn({ reason, samples: lost.samples, segment: seg.id, from: new Date(lost.fromMs).toISOString(), to: new Date(lost.toMs).toISOString() }, 'dropped undelivered samples from the WAL');
    }
  }

  /** Collects orphaned series and hands freed pages back to the filesystem. */
  private reclaim(): void {
    // Series of a batch still pending (a commit failed on a full disk) must survive collection.
    const pending = new Set(this.pending.refs.subarray(0, this.pending.count));
    const collected = this.registry.collect(this.segments.oldestId(), (ref) => pending.has(ref));
    if (collected.length > 0) this.generation++;
    let unusedFamilies: string[] = [];
    this.db.transaction(() => {
      for (const ref of collected) this.stmt.deleteSeries.run(ref);
      if (collected.length > 0) unusedFamilies = this.metadataStore.collect(this.registry.metricNames());
    })();
    this.metadataStore.forget(unusedFamilies);
    this.db.pragma('incremental_vacuum');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  private freeSpaceOnFullDisk(): void {
    this.reserve.release();
    const victim = this.segments.all.find((s) => s !== this.segments.current) ?? this.segments.all[0];
    if (victim) this.removeSegment(victim, 'disk_budget');
    this.reclaim();
  }

  private countDrop(reason: DropReason, samples: number, fromMs: number | null = null, toMs: number | null = null): void {
    if (samples <= 0) return;
    this.dropped[reason] += samples;
    this.counters.samplesDropped(reason, samples);
    this.options.onDrop?.(reason, samples, fromMs, toMs);
  }

  consumer(name: string): WalConsumer {
    return this.consumers.get(name);
  }

  /** Removes a segment whose chunk failed to decode, counted as corruption. */
  private dropCorruptSegment(id: number, problem: string): void {
    const seg = this.segments.find(id);
    this.log.error({ segment: id, problem }, 'WAL chunk failed to decode; dropping its segment');
    if (seg) this.write(() => this.removeSegment(seg, 'corruption'));
  }

  /** Runs a write; on a full disk frees space once and retries. */
  private write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      this.freeSpaceOnFullDisk();
      return fn();
    }
  }

  labels(ref: number): Labels | undefined {
    return this.registry.labels(ref);
  }

  stats(): WalStats {
    return {
      segments: this.segments.all.length,
      bytes: fileSize(this.path) + fileSize(this.path + '-wal'),
      pendingSamples: this.pending.count,
      series: this.registry.size,
      samplesAppended: this.appended,
      dropped: { ...this.dropped },
      oldestUndeliveredTimestampMs: this.consumers.oldestUndeliveredMs(),
    };
  }

  newestTimestampMs(): number | null {
    return this.segments.newestTimestampMs();
  }

  close(): void {
    if (this.closed) return;
    try {
      this.commit();
      this.db.transaction(() => this.finishOpenRow())();
    } finally {
      this.closed = true;
      this.db.close();
      this.log.info('WAL closed');
    }
  }
}
