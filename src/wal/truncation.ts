import type { Statement } from 'better-sqlite3';
import type { Clock } from '../lib/clock.js';
import { createThrottle, throttledWarn, type Logger } from '../lib/log.js';
import type { ConsumerSet } from './consumer-set.js';
import type { WalDatabase } from './database.js';
import type { BudgetLimits, DiskBudget } from './disk-budget.js';
import { fileSize, isDiskFull, type SpaceReserve } from './disk.js';
import type { MetadataStore } from './metadata-store.js';
import type { PendingBatch } from './pending-batch.js';
import type { Segment, SegmentTable } from './segments.js';
import type { SeriesRegistry } from './series-registry.js';
import type { DropReason } from './wal.js';

/** Counts undelivered samples that left the WAL, with the range of their timestamps. */
export type CountDrop = (reason: DropReason, samples: number, fromMs: number, toMs: number) => void;

/** The WAL's parts truncation works on (shared with the committer and the consumers), and its settings. */
export interface TruncatorOptions {
  db: WalDatabase;
  segments: SegmentTable;
  consumers: ConsumerSet;
  registry: SeriesRegistry;
  metadataStore: MetadataStore;
  /** The batch not yet committed: its series survive collection. */
  pending: PendingBatch;
  reserve: SpaceReserve;
  log: Logger;
  /** Path of the database file; its journal and index sit beside it. */
  dbPath: string;
  budget: DiskBudget;
  /** The limits the database was opened with. */
  limits: BudgetLimits;
  retentionMs: number;
  clock: Clock;
  countDrop: CountDrop;
}

/** Bytes the WAL's files occupy: database, journal, shared-memory index and reserve. */
export function walDiskBytes(dbPath: string, reserve: SpaceReserve): number {
  return fileSize(dbPath) + fileSize(dbPath + '-wal') + fileSize(dbPath + '-shm') + fileSize(reserve.path);
}

/**
 * Truncation and space (the design is in sqlite-wal.ts): removes whole segments oldest first,
 * gives freed pages back to the filesystem, and makes room when the disk is full.
 */
export class Truncator {
  private readonly db: WalDatabase;
  private readonly segments: SegmentTable;
  private readonly consumers: ConsumerSet;
  private readonly registry: SeriesRegistry;
  private readonly metadataStore: MetadataStore;
  private readonly pending: PendingBatch;
  private readonly reserve: SpaceReserve;
  private readonly log: Logger;
  private readonly dbPath: string;
  private readonly budget: DiskBudget;
  private readonly retentionMs: number;
  private readonly clock: Clock;
  private readonly countDrop: CountDrop;
  /** The database's page size: fixed once the database exists, so read once. */
  private readonly pageSize: number;
  private readonly throttle = createThrottle(60_000);
  private inForce: BudgetLimits;
  private readonly stmt: {
    deleteChunks: Statement<[number, number]>;
    deleteSegment: Statement<[number]>;
    deleteSegmentSeries: Statement<[number]>;
    deleteSeries: Statement<[number]>;
  };

  constructor(options: TruncatorOptions) {
    const db = options.db;
    this.db = db;
    this.segments = options.segments;
    this.consumers = options.consumers;
    this.registry = options.registry;
    this.metadataStore = options.metadataStore;
    this.pending = options.pending;
    this.reserve = options.reserve;
    this.log = options.log;
    this.dbPath = options.dbPath;
    this.budget = options.budget;
    this.retentionMs = options.retentionMs;
    this.clock = options.clock;
    this.countDrop = options.countDrop;
    this.inForce = options.limits;
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    this.stmt = {
      deleteChunks: db.prepare('DELETE FROM chunks WHERE id BETWEEN ? AND ?'),
      deleteSegment: db.prepare('DELETE FROM segments WHERE id = ?'),
      deleteSegmentSeries: db.prepare('DELETE FROM segment_series WHERE segment = ?'),
      deleteSeries: db.prepare('DELETE FROM series WHERE ref = ?'),
    };
  }

  /** The byte limits in force, re-read from the filesystem by every truncation. */
  get limits(): BudgetLimits {
    return this.inForce;
  }

  /**
   * Removes segments oldest first while the oldest is delivered, past retention or over the
   * budget; never throws (a failure is logged and retried after the next commit).
   */
  truncate(): void {
    const now = this.clock.now();
    let removed = 0;
    try {
      this.refreshLimits();
      while (this.segments.all.length > 0) {
        const seg = this.segments.all[0]!;
        const isCurrent = seg === this.segments.current;
        if (!isCurrent && this.consumers.isDelivered(seg)) this.removeSegment(seg, null);
        else if (now - seg.lastCommitMs > this.retentionMs) this.removeSegment(seg, 'retention');
        else if (!isCurrent && this.liveBytes() > this.inForce.liveBytesLimit) this.removeSegment(seg, 'disk_budget');
        else break;
        removed++;
      }
      if (removed > 0) this.reclaim(false);
    } catch (error) {
      throttledWarn(this.log, this.throttle, 'truncate-failed', { err: error }, 'WAL truncation failed; it is retried after the next commit');
    }
  }

  /** Runs a write; on a full disk frees space once and retries. */
  write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      this.freeSpaceOnFullDisk();
      return fn();
    }
  }

  /**
   * Makes room on a full disk: releases the reserve so SQLite can journal the deletes, removes
   * the oldest segment (counted as disk_budget) and reclaims its pages.
   */
  freeSpaceOnFullDisk(): void {
    this.reserve.release();
    const victim = this.segments.all.find((s) => s !== this.segments.current) ?? this.segments.all[0];
    if (victim) this.removeSegment(victim, 'disk_budget');
    this.reclaim(true);
  }

  /** Creates the reserve file again if it is missing and there is room. */
  ensureReserve(): void {
    this.reserve.ensure();
  }

  /** Removes a segment whose chunk failed to decode, counted as corruption. */
  dropCorruptSegment(id: number, problem: string): void {
    const seg = this.segments.find(id);
    this.log.error({ segment: id, problem }, 'WAL chunk failed to decode; dropping its segment');
    if (seg) this.write(() => this.removeSegment(seg, 'corruption'));
  }

  /** Re-reads the filesystem's free space; resizes the journal limit when the budget moved. */
  private refreshLimits(): void {
    const next = this.budget.limits(walDiskBytes(this.dbPath, this.reserve));
    if (next.journalBytes !== this.inForce.journalBytes) {
      this.db.pragma(`wal_autocheckpoint = ${Math.max(16, Math.floor(next.journalBytes / this.pageSize))}`);
      this.db.pragma(`journal_size_limit = ${next.journalBytes}`);
    }
    this.inForce = next;
  }

  private liveBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    return pages * this.pageSize - this.freeBytes();
  }

  private freeBytes(): number {
    return (this.db.pragma('freelist_count', { simple: true }) as number) * this.pageSize;
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

  /**
   * Collects orphaned series and hands freed pages back to the filesystem: always when the disk is
   * full, otherwise once they exceed `freePageBytes`. Below that they are left for the next commits:
   * handing them back moves live pages from the end of the file into them, each moved page written
   * twice (journal and checkpoint), which for the steady delivery of one segment after another
   * would add about as many bytes on the SD card as the samples themselves.
   */
  private reclaim(diskFull: boolean): void {
    // Series of a batch still pending (a commit failed on a full disk) must survive collection.
    const pending = new Set(this.pending.refs.subarray(0, this.pending.count));
    const collected = this.registry.collect(this.segments.oldestId(), (ref) => pending.has(ref));
    let unusedFamilies: string[] = [];
    this.db.transaction(() => {
      for (const ref of collected) this.stmt.deleteSeries.run(ref);
      if (collected.length > 0) unusedFamilies = this.metadataStore.collect(this.registry.metricNames());
    })();
    this.metadataStore.forget(unusedFamilies);
    if (!diskFull && this.freeBytes() <= this.inForce.freePageBytes) return;
    this.db.pragma('incremental_vacuum');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
