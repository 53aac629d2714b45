import type { Statement } from 'better-sqlite3';
import type { Clock } from '../lib/clock.js';
import { createThrottle, throttledWarn, type Logger } from '../lib/log.js';
import type { WalDatabase } from './database.js';
import { isDiskFull } from './disk.js';
import { chunkRefs, decodeRefSet, encodeChunk, encodeRefSet, MAX_CHUNK_SAMPLES, SeriesState } from './encoding.js';
import type { JournalSync } from './journal-sync.js';
import type { MetadataStore } from './metadata-store.js';
import type { PendingBatch } from './pending-batch.js';
import type { Segment, SegmentTable } from './segments.js';
import type { SeriesRegistry } from './series-registry.js';
import type { CountDrop, Truncator } from './truncation.js';

// Samples held in memory while commits fail (full disk): 500k samples are ~10 MiB, a few minutes
// of a large gateway; beyond that new samples are dropped and counted rather than risk the OOM killer.
const MAX_PENDING_SAMPLES = 500_000;

/** The WAL's parts the commit path works on (shared with truncation and the consumers), and its settings. */
export interface CommitterOptions {
  db: WalDatabase;
  segments: SegmentTable;
  registry: SeriesRegistry;
  metadataStore: MetadataStore;
  /** The batch appends fill; the committer owns its contents. */
  pending: PendingBatch;
  /** Frees space when a commit finds the disk full. */
  truncator: Truncator;
  /** Makes each commit durable (the acks written since the last one with it). */
  journal: JournalSync;
  log: Logger;
  /** The largest chunk a stored cursor points at, or null (see `ConsumerSet.highestCursorChunk`). */
  highestCursorChunk: number | null;
  segmentDurationMs: number;
  clock: Clock;
  samplesAppended: (n: number) => void;
  countDrop: CountDrop;
}

/**
 * The commit path (the design is in sqlite-wal.ts): appends fill the pending batch, and `commit()`
 * encodes it into chunks and writes them with new series rows, changed metadata and the segment
 * row in one transaction. At open it resumes the segment left open when the process stopped.
 */
export class Committer {
  private readonly db: WalDatabase;
  private readonly segments: SegmentTable;
  private readonly registry: SeriesRegistry;
  private readonly metadataStore: MetadataStore;
  private readonly pending: PendingBatch;
  private readonly truncator: Truncator;
  private readonly journal: JournalSync;
  private readonly log: Logger;
  private readonly segmentDurationMs: number;
  private readonly clock: Clock;
  private readonly samplesAppended: (n: number) => void;
  private readonly countDrop: CountDrop;
  private readonly throttle = createThrottle(60_000);
  private readonly writerState = new SeriesState();
  private readonly callbacks: Array<() => void> = [];
  /** The segment whose row still holds the stats of its first commit (finished at roll or close). */
  private openRow: Segment | null = null;
  /** Refs written in `openRow`, stored with it when it closes. */
  private openRowRefs: number[] = [];
  private nextChunkId: number;
  private persistedNextRef: number;
  private appendedTotal = 0;
  private commitFailing = false;
  private readonly stmt: {
    insertSegment: Statement<[number, number, number, number, number, number, number, number, number]>;
    updateSegment: Statement<[number, number, number, number, number, number, number]>;
    insertSeries: Statement<[number, string]>;
    saveSegmentSeries: Statement<[number, Buffer]>;
    insertChunk: Statement<[number, number, number, number, number, number, Buffer]>;
    setNextRef: Statement<[number]>;
  };

  constructor(options: CommitterOptions) {
    const db = options.db;
    this.db = db;
    this.segments = options.segments;
    this.registry = options.registry;
    this.metadataStore = options.metadataStore;
    this.pending = options.pending;
    this.truncator = options.truncator;
    this.journal = options.journal;
    this.log = options.log;
    this.segmentDurationMs = options.segmentDurationMs;
    this.clock = options.clock;
    this.samplesAppended = options.samplesAppended;
    this.countDrop = options.countDrop;
    this.stmt = {
      insertSegment: db.prepare('INSERT INTO segments (id, started_ms, last_commit_ms, first_chunk, last_chunk, samples, bytes, min_ts, max_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      updateSegment: db.prepare('UPDATE segments SET last_commit_ms = ?, last_chunk = ?, samples = ?, bytes = ?, min_ts = ?, max_ts = ? WHERE id = ?'),
      insertSeries: db.prepare('INSERT OR IGNORE INTO series (ref, labels) VALUES (?, ?)'),
      saveSegmentSeries: db.prepare('INSERT OR REPLACE INTO segment_series (segment, refs) VALUES (?, ?)'),
      insertChunk: db.prepare('INSERT INTO chunks (id, segment, samples, committed_ms, min_ts, max_ts, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      setNextRef: db.prepare("UPDATE meta SET value = ? WHERE key = 'next_ref'"),
    };
    for (const row of db.prepare('SELECT segment, refs FROM segment_series').iterate() as Iterable<{ segment: number; refs: Buffer }>) {
      this.registry.markSegment(decodeRefSet(row.refs), row.segment);
    }
    this.recoverLastSegment();
    // Chunk ids only grow, even when every chunk was truncated: a cursor past the last chunk must
    // never point beyond data written later.
    const maxChunk = db.prepare('SELECT max(id) AS c FROM chunks').get() as { c: number | null };
    this.nextChunkId = Math.max((maxChunk.c ?? 0) + 1, options.highestCursorChunk ?? 1);
    this.persistedNextRef = this.registry.peekNextRef();
  }

  /** Samples made durable since open. */
  get appended(): number {
    return this.appendedTotal;
  }

  /** Adds a sample to the pending batch; drops it (counted) once too many wait behind failing commits. */
  append(ref: number, timestampMs: number, value: number): void {
    if (!this.registry.has(ref)) throw new Error(`append to unknown series ref ${ref}`);
    if (this.commitFailing && this.pending.count >= MAX_PENDING_SAMPLES) {
      this.countDrop('disk_budget', 1, timestampMs, timestampMs);
      return;
    }
    this.pending.push(ref, Math.round(timestampMs), value);
  }

  /** Runs `fn` after the next successful commit. */
  afterCommit(fn: () => void): void {
    this.callbacks.push(fn);
  }

  /** Writes the pending batch (or pending metadata alone); see `Wal.commit`. Truncates nothing. */
  commit(): { committed: number; error?: Error } {
    const count = this.pending.count;
    if (count > 0) {
      const error = this.tryWriteBatch();
      this.commitFailing = error !== undefined;
      if (error) return { committed: 0, error };
      this.appendedTotal += count;
      this.samplesAppended(count);
      this.pending.clear();
    } else if (this.metadataStore.hasPending()) {
      // Metadata without samples (a family stated before its first sample) has no batch to ride.
      try {
        this.truncator.write(() => this.db.transaction(() => this.metadataStore.write())());
      } catch (error) {
        throttledWarn(this.log, this.throttle, 'metadata-failed', { err: error }, 'writing metric metadata failed; it stays pending');
        return { committed: 0, error: error as Error };
      }
      this.journal.written();
      this.metadataStore.persisted();
    }
    try {
      this.journal.sync();
    } catch (error) {
      // Committed but perhaps not on the device: whoever waits for durability keeps waiting.
      throttledWarn(this.log, this.throttle, 'sync-failed', { err: error }, 'WAL sync failed; retried at the next commit');
      return { committed: count, error: error as Error };
    }
    for (const fn of this.callbacks.splice(0)) fn();
    return { committed: count };
  }

  /** Writes the final stats and series set of the segment written last (at close). */
  finishOpenSegment(): void {
    this.db.transaction(() => this.finishOpenRow())();
  }

  /**
   * Writes the batch; on a full disk frees the oldest segment and tries once more. A failure
   * abandons the segment (the encoder's state moved on), so the next try starts a new one.
   */
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
    const rolling = cur === null || now - cur.startedMs >= this.segmentDurationMs || cur.bytes >= this.truncator.limits.segmentMaxBytes;
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
    this.journal.written();
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
    // Each ref once, as commits keep them: every chunk repeats the refs of every scrape, and a list
    // of them all (8.9 million, 15 minutes into a segment of 10,000 series) took the open from
    // 51 to 356 MiB of RSS; as a set it peaks at 93.
    const seen = new Set<number>();
    for (const chunk of this.db.prepare('SELECT data FROM chunks WHERE id >= ?').iterate(last.firstChunk) as Iterable<{ data: Buffer }>) {
      for (const ref of chunkRefs(chunk.data)) seen.add(ref);
    }
    const refs = [...seen];
    this.registry.markSegment(refs, last.id);
    this.openRow = last;
    this.openRowRefs = refs;
    this.finishOpenSegment();
  }
}
