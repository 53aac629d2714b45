import { decodeChunk, MAX_CHUNK_SAMPLES, SeriesState, type SampleColumns } from './encoding.js';
import { comparePositions, type ChunkRow, type PastCursor, type SegmentSpan } from './past-cursor.js';
import type { WalBatch, WalConsumer, WalPosition } from './wal.js';

/** What a consumer needs of its WAL: chunk reads, segment bounds, cursor storage and the hook for trouble. */
export interface ConsumerHost {
  /** Reads the chunks past a cursor and counts what lies there. */
  readonly past: PastCursor;
  /** First and last chunk of a live segment, or undefined if it was truncated. */
  segmentBounds(segment: number): { firstChunk: number; lastChunk: number } | undefined;
  /** Live segments oldest first, for backlog sums. */
  segmentList(): ReadonlyArray<SegmentSpan>;
  /** Removes a segment whose chunk failed to decode (counted as corruption by the host). */
  dropCorruptSegment(segment: number, problem: string): void;
  /** Durably stores the cursor of consumer `name` (fsync'd before returning). */
  saveCursor(name: string, position: WalPosition): void;
}

function allocColumns(n: number): SampleColumns {
  return { refs: new Uint32Array(n), timestamps: new Float64Array(n), values: new Float64Array(n) };
}

/**
 * Reads the WAL oldest first for one endpoint. It decodes one chunk at a time into a fixed buffer
 * and copies the requested slice out, so memory is two chunk-sized buffers whatever the backlog.
 * Chunks of a segment decode in order (each depends on the previous one's series state); a reader
 * that starts mid-segment (after a restart or `rewind`) replays the segment's earlier chunks.
 */
export class SqliteWalConsumer implements WalConsumer {
  private readonly state = new SeriesState();
  private stateSegment = -1;
  private stateChunk = -1;
  private readonly decoded = allocColumns(MAX_CHUNK_SAMPLES);
  private decodedCount = 0;
  private decodedRow: Omit<ChunkRow, 'data'> | null = null;
  private out: SampleColumns = allocColumns(0);
  private readPos: WalPosition;
  private ackedPos: WalPosition;

  constructor(private readonly host: ConsumerHost, readonly name: string, start: WalPosition) {
    this.readPos = start;
    this.ackedPos = start;
  }

  read(maxSamples: number, maxBytes = Number.POSITIVE_INFINITY): WalBatch | null {
    if (maxSamples < 1) throw new Error('maxSamples must be at least 1');
    // One batch holds at most 2^20 samples (~20 MiB of columns); the buffer is reused.
    const limit = Math.min(maxSamples, 1 << 20);
    if (this.out.refs.length < limit) this.out = allocColumns(limit);
    const start = this.readPos;
    let n = 0;
    let bytes = 0;
    while (n < limit && bytes < maxBytes) {
      const row = this.ensureDecoded();
      if (row === null) break;
      const take = Math.min(this.decodedCount - this.readPos.offset, limit - n);
      const from = this.readPos.offset;
      this.out.refs.set(this.decoded.refs.subarray(from, from + take), n);
      this.out.timestamps.set(this.decoded.timestamps.subarray(from, from + take), n);
      this.out.values.set(this.decoded.values.subarray(from, from + take), n);
      n += take;
      bytes += (row.bytes * take) / row.samples;
      const offset = from + take;
      // A finished chunk is written as the start of the next id, so positions compare by chunk.
      this.readPos = offset >= this.decodedCount ? { chunk: row.id + 1, offset: 0 } : { chunk: row.id, offset };
    }
    if (n === 0) return null;
    return {
      count: n,
      refs: this.out.refs.subarray(0, n),
      timestamps: this.out.timestamps.subarray(0, n),
      values: this.out.values.subarray(0, n),
      start,
      end: this.readPos,
    };
  }

  ack(position: WalPosition): void {
    if (comparePositions(position, this.ackedPos) <= 0) return;
    if (comparePositions(position, this.readPos) > 0) throw new Error(`ack of ${position.chunk}:${position.offset} beyond what ${this.name} has read`);
    this.host.saveCursor(this.name, position);
    this.ackedPos = position;
  }

  acked(): WalPosition {
    return this.ackedPos;
  }

  rewind(): void {
    this.readPos = this.ackedPos;
    this.stateSegment = -1;
    this.decodedRow = null;
  }

  backlog(): { samples: number; oldestTimestampMs: number | null } {
    return this.host.past.backlog(this.ackedPos, this.host.segmentList());
  }

  /** Makes sure the chunk at the read position is decoded; null when nothing more is committed. */
  private ensureDecoded(): Omit<ChunkRow, 'data'> | null {
    for (;;) {
      if (this.decodedRow !== null && this.decodedRow.id === this.readPos.chunk) return this.decodedRow;
      const row = this.host.past.firstChunk(this.readPos);
      if (row === undefined) return null;
      if (row.id !== this.readPos.chunk) this.readPos = { chunk: row.id, offset: 0 };
      try {
        this.prepareState(row);
        this.decodedCount = decodeChunk(row.data, this.state, this.decoded);
        this.stateChunk = row.id;
      } catch (error) {
        this.skipCorruptSegment(row, error);
        continue;
      }
      if (this.decodedCount !== row.samples) {
        this.skipCorruptSegment(row, new Error(`chunk ${row.id} holds ${this.decodedCount} samples, its row says ${row.samples}`));
        continue;
      }
      this.decodedRow = { id: row.id, segment: row.segment, samples: row.samples, bytes: row.bytes };
      if (this.readPos.offset >= this.decodedCount) {
        this.readPos = { chunk: row.id + 1, offset: 0 };
        continue;
      }
      return this.decodedRow;
    }
  }

  /** Brings the series state to just before chunk `row`, replaying its segment when needed. */
  private prepareState(row: ChunkRow): void {
    if (row.segment === this.stateSegment && this.stateChunk < row.id) {
      // Sequential read: every chunk between stateChunk and row.id belongs to another segment
      // or does not exist, because a segment's chunks are contiguous in id order.
      return;
    }
    this.state.reset();
    this.stateSegment = row.segment;
    this.stateChunk = -1;
    const bounds = this.host.segmentBounds(row.segment);
    if (bounds === undefined || bounds.firstChunk >= row.id) return;
    const scratch = allocColumns(MAX_CHUNK_SAMPLES);
    for (const earlier of this.host.past.chunksBefore(row.id, bounds.firstChunk)) decodeChunk(earlier.data, this.state, scratch);
  }

  private skipCorruptSegment(row: ChunkRow, error: unknown): void {
    const bounds = this.host.segmentBounds(row.segment);
    this.host.dropCorruptSegment(row.segment, error instanceof Error ? error.message : String(error));
    this.stateSegment = -1;
    this.decodedRow = null;
    this.readPos = { chunk: Math.max(bounds?.lastChunk ?? 0, row.id) + 1, offset: 0 };
  }
}
