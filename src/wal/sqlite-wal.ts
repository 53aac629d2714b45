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
 * changed metadata and the segment row in one transaction, then fdatasyncs the journal
 * (journal_mode=WAL; journal-sync.ts says why not SQLite's own synchronous=FULL). So a crash or
 * power cut loses at most the batch not yet committed, and a torn transaction is simply absent
 * after recovery. A commit that fails abandons its segment (the encoder's state moved on)
 * and retries in a new one.
 *
 * Truncation, after each commit, removes whole segments oldest first: delivered (every active
 * consumer's cursor is past it), past retention (last commit older than OUTPOST_WAL_RETENTION),
 * or while the live pages exceed the budget. Undelivered samples dropped are counted by reason and
 * logged with their time range. Freed pages are reused by later commits up to a journal's worth;
 * beyond that (and on a full disk) they go back to the filesystem through incremental vacuum and
 * a journal-truncating checkpoint. The disk budget covers the database, those kept free pages, its
 * journal (capped by wal_autocheckpoint / journal_size_limit) and a small reserve file released when the disk is
 * full so the deletes that make room can be journaled. Series no remaining segment wrote are
 * collected.
 *
 * Recovery. A database that fails `quick_check` at open is moved aside and a fresh one started
 * (database.ts); a chunk that fails to decode later drops its segment, counted as corruption.
 *
 * Files. This one opens the WAL and wires its parts: committer.ts (appends and commits),
 * truncation.ts (truncation, space reclaim, full-disk recovery), consumer-set.ts and consumer.ts
 * (the endpoints' cursors and reads; what lies past a cursor is past-cursor.ts), segments.ts (the
 * live segments they share).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../lib/clock.js';
import { silentLogger, type Logger } from '../lib/log.js';
import type { Labels } from '../model/labels.js';
import type { MetricMetadata } from '../model/metadata.js';
import { Committer } from './committer.js';
import { ConsumerSet } from './consumer-set.js';
import { openWalDatabase, type WalDatabase } from './database.js';
import { DiskBudget } from './disk-budget.js';
import { JournalSync } from './journal-sync.js';
import { fileSize, SpaceReserve } from './disk.js';
import { MetadataStore } from './metadata-store.js';
import { PastCursor } from './past-cursor.js';
import { PendingBatch } from './pending-batch.js';
import { SegmentTable } from './segments.js';
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
  private readonly log: Logger;
  private readonly counters: WalCounters;
  private readonly registry: SeriesRegistry;
  private readonly metadataStore: MetadataStore;
  private readonly pending = new PendingBatch();
  private readonly segments: SegmentTable;
  private readonly consumers: ConsumerSet;
  private readonly truncator: Truncator;
  private readonly committer: Committer;
  private readonly journal: JournalSync;
  private readonly dropped: Record<DropReason, number> = { retention: 0, disk_budget: 0, corruption: 0 };
  private closed = false;

  constructor(private readonly options: SqliteWalOptions) {
    const clock = options.clock ?? systemClock;
    this.log = (options.log ?? silentLogger).child({ component: 'wal' });
    this.counters = options.counters ?? noCounters;
    mkdirSync(options.dir, { recursive: true });
    this.path = join(options.dir, WAL_FILE);
    const budget = new DiskBudget(options.dir, options.maxBytes);
    const reserve = new SpaceReserve(join(options.dir, 'wal.reserve'), budget.reserveBytes);
    const limits = budget.limits(walDiskBytes(this.path, reserve));
    const { db, recovery } = openWalDatabase(this.path, { journalBytes: limits.journalBytes }, this.log);
    this.db = db;
    this.journal = new JournalSync(this.path + '-wal');
    if (recovery) this.countDrop('corruption', recovery.lostSamples);
    this.segments = new SegmentTable(db);
    this.registry = new SeriesRegistry(db, options.maxSeries);
    this.metadataStore = new MetadataStore(db);
    const countDrop = this.countDrop.bind(this);
    // The consumers' writes go through truncation, which in turn asks the consumers what is delivered.
    this.consumers = new ConsumerSet(db, new PastCursor(db), this.segments, {
      write: (fn) => this.truncator.write(fn),
      dropCorruptSegment: (id, problem) => this.truncator.dropCorruptSegment(id, problem),
      written: () => this.journal.written(),
    });
    this.truncator = new Truncator({
      db, segments: this.segments, consumers: this.consumers, registry: this.registry, metadataStore: this.metadataStore,
      pending: this.pending, reserve, log: this.log,
      dbPath: this.path, budget, limits, retentionMs: options.retentionMs, clock, countDrop,
    });
    this.committer = new Committer({
      db, segments: this.segments, registry: this.registry, metadataStore: this.metadataStore, pending: this.pending,
      truncator: this.truncator, journal: this.journal, log: this.log,
      highestCursorChunk: this.consumers.highestCursorChunk(), segmentDurationMs: options.segmentDurationMs, clock,
      samplesAppended: (n) => this.counters.samplesAppended(n), countDrop,
    });
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
    this.committer.append(ref, timestampMs, value);
  }

  afterCommit(fn: () => void): void {
    this.committer.afterCommit(fn);
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
    const result = this.committer.commit();
    if (result.error === undefined) this.truncator.truncate();
    return result;
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
      samplesAppended: this.committer.appended,
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
      this.committer.finishOpenSegment();
    } finally {
      this.closed = true;
      this.db.close();
      this.journal.close();
      this.log.info('WAL closed');
    }
  }
}
