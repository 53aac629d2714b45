import type { WalDatabase } from './database.js';
import type { SegmentSpan } from './past-cursor.js';

/** A segment as kept in memory: its row of the `segments` table (see sqlite-wal.ts). */
export interface Segment extends SegmentSpan {
  id: number;
  startedMs: number;
  lastCommitMs: number;
  bytes: number;
}

/**
 * The live segments, oldest first, shared by commits (which add them), truncation (which removes
 * them) and the consumers (which look up a segment's chunks). It also hands out segment ids.
 */
export class SegmentTable {
  /** The live segments, oldest first. */
  readonly all: Segment[] = [];
  /** The segment commits append to; null when the next commit starts a new one. */
  current: Segment | null = null;
  private nextId: number;

  /** Loads the segment rows of `db`. */
  constructor(db: WalDatabase) {
    for (const row of db.prepare('SELECT * FROM segments ORDER BY id').iterate() as Iterable<Record<string, number>>) {
      this.all.push({
        id: row.id!, startedMs: row.started_ms!, lastCommitMs: row.last_commit_ms!, firstChunk: row.first_chunk!,
        lastChunk: row.last_chunk!, samples: row.samples!, bytes: row.bytes!, minTs: row.min_ts!, maxTs: row.max_ts!,
      });
    }
    const maxSeg = db.prepare('SELECT max(segment) AS s FROM segment_series').get() as { s: number | null };
    this.nextId = Math.max(maxSeg.s ?? 0, this.all.at(-1)?.id ?? 0) + 1;
  }

  /** A new, never used segment id. */
  allocateId(): number {
    return this.nextId++;
  }

  /** The oldest live segment's id; with none, the id the next segment gets. */
  oldestId(): number {
    return this.all[0]?.id ?? this.nextId;
  }

  find(id: number): Segment | undefined {
    return this.all.find((s) => s.id === id);
  }

  includes(seg: Segment): boolean {
    return this.all.includes(seg);
  }

  add(seg: Segment): void {
    this.all.push(seg);
  }

  /** Forgets `seg` (its rows are deleted); the next commit starts a new segment if it was current. */
  remove(seg: Segment): void {
    this.all.splice(this.all.indexOf(seg), 1);
    if (seg === this.current) this.current = null;
  }

  /** Largest sample timestamp in the live segments, or null. */
  newestTimestampMs(): number | null {
    return this.all.reduce<number | null>((max, s) => (s.samples > 0 && (max === null || s.maxTs > max) ? s.maxTs : max), null);
  }
}
