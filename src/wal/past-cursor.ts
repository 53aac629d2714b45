import type { Statement } from 'better-sqlite3';
import type { WalDatabase } from './database.js';
import type { WalPosition } from './wal.js';

/** A live segment's chunk span and totals, as far as counting past a cursor needs. */
export interface SegmentSpan {
  firstChunk: number;
  lastChunk: number;
  samples: number;
  minTs: number;
  maxTs: number;
}

/** Orders positions by (chunk, offset); a finished chunk is stored as the start of the next id. */
export function comparePositions(a: WalPosition, b: WalPosition): number {
  return a.chunk - b.chunk || a.offset - b.offset;
}

/** True when every sample of `seg` lies before `position` (delivered to that cursor). */
export function isPastSegment(position: WalPosition, seg: SegmentSpan): boolean {
  return position.chunk > seg.lastChunk;
}

/** A stored chunk as a reader gets it: `bytes` is the size of `data`. */
export interface ChunkRow {
  id: number;
  segment: number;
  samples: number;
  bytes: number;
  data: Buffer;
}

/**
 * The one place that knows which samples lie past a cursor: those from `offset` on in chunk
 * `chunk`, and every sample of a later chunk. Consumers read here, and backlog counts and
 * truncation's drop counts both ask here.
 */
export class PastCursor {
  private readonly sumFrom: Statement<[number, number], { n: number | null; lo: number | null; hi: number | null }>;
  private readonly minTsFrom: Statement<[number], { min_ts: number }>;
  private readonly chunkFrom: Statement<[number], ChunkRow>;
  private readonly chunkRange: Statement<[number, number], ChunkRow>;

  constructor(db: WalDatabase) {
    this.sumFrom = db.prepare('SELECT sum(samples) AS n, min(min_ts) AS lo, max(max_ts) AS hi FROM chunks WHERE id >= ? AND id <= ?');
    this.minTsFrom = db.prepare('SELECT min_ts FROM chunks WHERE id >= ? ORDER BY id LIMIT 1');
    this.chunkFrom = db.prepare('SELECT id, segment, samples, length(data) AS bytes, data FROM chunks WHERE id >= ? ORDER BY id LIMIT 1');
    this.chunkRange = db.prepare('SELECT id, segment, samples, length(data) AS bytes, data FROM chunks WHERE id >= ? AND id < ? ORDER BY id');
  }

  /**
   * The chunk holding the first sample past `position`, or undefined when nothing is committed
   * there. Its id is larger than `position.chunk` when that chunk was truncated (ids have gaps).
   */
  firstChunk(position: WalPosition): ChunkRow | undefined {
    return this.chunkFrom.get(position.chunk);
  }

  /**
   * The chunks with ids from `fromChunk` up to, not including, `chunk`, oldest first: what a reader
   * starting in chunk `chunk` replays of its segment to rebuild the series state.
   */
  chunksBefore(chunk: number, fromChunk: number): IterableIterator<ChunkRow> {
    return this.chunkRange.iterate(fromChunk, chunk);
  }

  /** Samples of `seg` past `position` (all of them with no position), with their timestamp range. */
  inSegment(position: WalPosition | null, seg: SegmentSpan): { samples: number; fromMs: number; toMs: number } {
    if (position === null || position.chunk < seg.firstChunk) return { samples: seg.samples, fromMs: seg.minTs, toMs: seg.maxTs };
    if (isPastSegment(position, seg)) return { samples: 0, fromMs: seg.minTs, toMs: seg.maxTs };
    const rest = this.sumFrom.get(position.chunk, seg.lastChunk)!;
    return { samples: (rest.n ?? 0) - position.offset, fromMs: rest.lo ?? seg.minTs, toMs: rest.hi ?? seg.maxTs };
  }

  /** Samples past `position` in `segments`, and the smallest timestamp of the chunk it points into. */
  backlog(position: WalPosition, segments: Iterable<SegmentSpan>): { samples: number; oldestTimestampMs: number | null } {
    let samples = 0;
    for (const seg of segments) samples += this.inSegment(position, seg).samples;
    if (samples <= 0) return { samples: 0, oldestTimestampMs: null };
    return { samples, oldestTimestampMs: this.minTsFrom.get(position.chunk)?.min_ts ?? null };
  }
}
