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
import { DiskBudget } from './disk-budget.js';
import { fileSize, isDiskFull, SpaceReserve } from './disk.js';
import { chunkRefs, decodeRefSet, encodeChunk, encodeRefSet, MAX_CHUNK_SAMPLES, SeriesState } from './encoding.js';
import { MetadataStore } from './metadata-store.js';
import { PastCursor } from './past-cursor.js';
import { PendingBatch } from './pending-batch.js';
import { SegmentTable, type Segment } from './segments.js';
import { SeriesRegistry } from './series-registry.js';
import { Truncator, walDiskBytes } from './truncation.js';
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
  private readonly segments: SegmentTable;
  private readonly consumers: ConsumerSet;
  private readonly truncator: Truncator;
  private readonly callbacks: Array<() => void> = [];
  /** The segment whose row still holds the stats of its first commit (finished at roll or close). */
  private openRow: Segment | null = null;
  /** Refs written in `openRow`, stored with it when it closes. */
  private openRowRefs: number[] = [];
  private nextChunkId: number;
  private persistedNextRef: number;
  private appended = 0;
  private readonly dropped: Record<DropReason, number> = { retention: 0, disk_budget: 0, corruption: 0 };
  private closed = false;
  private commitFailing = false;
  private readonly stmt: {
    insertSegment: Statement<[number, number, number, number, number, number, number, number, number]>;
    updateSegment: Statement<[number, number, number, number, number, number, number]>;
    insertSeries: Statement<[number, string]>;
    saveSegmentSeries: Statement<[number, Buffer]>;
    insertChunk: Statement<[number, number, number, number, number, number, Buffer]>;
    setNextRef: Statement<[number]>;
  };

  constructor(private readonly options: SqliteWalOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.log ?? silentLogger).child({ component: 'wal' });
    this.counters = options.counters ?? noCounters;
    mkdirSync(options.dir, { recursive: true });
    this.path = join(options.dir, WAL_FILE);
    const budget = new DiskBudget(options.dir, options.maxBytes);
    const reserve = new SpaceReserve(join(options.dir, 'wal.reserve'), budget.reserveBytes);
    const limits = budget.limits(walDiskBytes(this.path, reserve));
    const { db, recovery } = openWalDatabase(this.path, { journalBytes: limits.journalBytes }, this.log);
    this.db = db;
    if (recovery) this.countDrop('corruption', recovery.lostSamples);
    this.stmt = {
      insertSegment: db.prepare('INSERT INTO segments (id, started_ms, last_commit_ms, first_chunk, last_chunk, samples, bytes, min_ts, max_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      updateSegment: db.prepare('UPDATE segments SET last_commit_ms = ?, last_chunk = ?, samples = ?, bytes = ?, min_ts = ?, max_ts = ? WHERE id = ?'),
      insertSeries: db.prepare('INSERT OR IGNORE INTO series (ref, labels) VALUES (?, ?)'),
      saveSegmentSeries: db.prepare('INSERT OR REPLACE INTO segment_series (segment, refs) VALUES (?, ?)'),
      insertChunk: db.prepare('INSERT INTO chunks (id, segment, samples, committed_ms, min_ts, max_ts, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      setNextRef: db.prepare("UPDATE meta SET value = ? WHERE key = 'next_ref'"),
    };
    this.segments = new SegmentTable(db);
    this.registry = new SeriesRegistry(db, options.maxSeries);
    this.metadataStore = new MetadataStore(db);
    // The consumers' writes go through truncation, which in turn asks the consumers what is delivered.
    this.consumers = new ConsumerSet(db, new PastCursor(db), this.segments, {
      write: (fn) => this.truncator.write(fn),
      dropCorruptSegment: (id, problem) => this.truncator.dropCorruptSegment(id, problem),
    });
    this.truncator = new Truncator({
      db, segments: this.segments, consumers: this.consumers, registry: this.registry, metadataStore: this.metadataStore,
      pending: this.pending, reserve, log: this.log,
      dbPath: this.path, budget, limits, retentionMs: options.retentionMs, clock: this.clock, countDrop: this.countDrop.bind(this),
    });
    for (const row of db.prepare('SELECT segment, refs FROM segment_series').iterate() as Iterable<{ segment: number; refs: Buffer }>) {
      this.registry.markSegment(decodeRefSet(row.refs), row.segment);
    }
    this.recoverLastSegment();
    // Chunk ids only grow, even when every chunk was truncated: a cursor past the last chunk must
    // never point beyond data written later.
    const maxChunk = db.prepare('SELECT max(id) AS c FROM chunks').get() as { c: number | null };
    this.nextChunkId = Math.max((maxChunk.c ?? 0) + 1, this.consumers.highestCursorChunk() ?? 1);
    this.persistedNextRef = this.registry.peekNextRef();
    for (const name of options.consumers ?? []) this.consumers.get(name);
    this.truncator.ensureReserve();
    this.log.info({ path: this.path, segments: this.segments.all.length, series: this.registry.size }, 'WAL opened');
  }

  seriesRef(labels: Labels): number {
    return this.checkRef(this.registry.refForLabels(labels));
  }

  seriesRefByKey(key: string): number {
    return this.checkRef(this.registry.refFor(key));
  }

  seriesGeneration(): number {
    return this.registry.generation;
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
        this.truncator.write(() => this.db.transaction(() => this.metadataStore.write())());
      } catch (error) {
        throttledWarn(this.log, this.throttle, 'metadata-failed', { err: error }, 'writing metric metadata failed; it stays pending');
        return { committed: 0, error: error as Error };
      }
      this.metadataStore.persisted();
    }
    for (const fn of this.callbacks.splice(0)) fn();
    this.truncator.truncate();
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
      this.truncator.freeSpaceOnFullDisk();
      this.writeBatch();
      this.truncator.ensureReserve();
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
    const rolling = cur === null || now - cur.startedMs >= this.options.segmentDurationMs || cur.bytes >= this.truncator.limits.segmentMaxBytes;
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
    this.truncator.truncate();
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
