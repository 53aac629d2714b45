import { decodeChunk, decodeChunkBody, inflateChunk, MAX_CHUNK_SAMPLES, SeriesState, type SampleColumns } from './encoding.js';
import { comparePositions, type ChunkRow, type PastCursor, type SegmentSpan } from './past-cursor.js';
import { SpanBodies, type InflatedChunk } from './span-bodies.js';
import type { RefCounts, WalBatch, WalConsumer, WalPosition } from './wal.js';

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
 * that starts mid-segment (after a restart) replays the segment's earlier chunks. `rewind` does not:
 * the first read from the acked position keeps a copy of the series state there, so a sender may
 * read the same span several times, one range of series each time (`readRefs`), each time
 * decoding the values of that range only; the span's chunks are inflated once, when `countRefs`
 * reads them (span-bodies.ts).
 */
export class SqliteWalConsumer implements WalConsumer {
  private readonly state = new SeriesState();
  private stateSegment = -1;
  private stateChunk = -1;
  private readonly decoded = allocColumns(MAX_CHUNK_SAMPLES);
  private decodedCount = 0;
  private decodedRow: Omit<ChunkRow, 'data'> | null = null;
  private out: SampleColumns = allocColumns(0);
  // While set, chunks decode only these series (see `walkRange`).
  private decodeRange: { fromRef: number; toRef: number } | null = null;
  private counts: Uint32Array = new Uint32Array(1024);
  private readPos: WalPosition;
  private ackedPos: WalPosition;
  // The series state just before the chunk holding `ackedPos` (chunk `chunk` of `segment`).
  private readonly ackedState = new SeriesState();
  private readonly spanBodies = new SpanBodies();
  // While set, the chunks a walk reads are kept in `spanBodies` (`countRefs`).
  private keepingSpan = false;
  private ackedStateAt: { position: WalPosition; chunk: number; segment: number } | null = null;

  constructor(private readonly host: ConsumerHost, readonly name: string, start: WalPosition) {
    this.readPos = start;
    this.ackedPos = start;
  }

  read(maxSamples: number, maxBytes = Number.POSITIVE_INFINITY): WalBatch | null {
    const limit = this.reserve(maxSamples);
    const start = this.readPos;
    let n = 0;
    let bytes = 0;
    this.walk(null, (from, to, row) => {
      const take = bytes < maxBytes ? Math.min(to - from, limit - n) : 0;
      this.copyOut(from, from + take, n);
      n += take;
      bytes += (row.bytes * take) / row.samples;
      return take;
    });
    return this.batch(start, n);
  }

  countRefs(maxSamples: number, maxPerSeries: number): RefCounts | null {
    if (maxSamples < 1 || maxPerSeries < 1) throw new Error('maxSamples and maxPerSeries must be at least 1');
    this.counts.fill(0);
    this.spanBodies.clear();
    this.keepingSpan = true;
    let n = 0;
    try {
      // No series' values are decoded: counting needs the refs alone.
      this.walkRange(0, 0, null, (from, to) => {
        const refs = this.decoded.refs;
        const before = n;
        for (let i = from; i < to; i++) {
          const ref = refs[i]!;
          if (ref >= this.counts.length) this.counts = grown(this.counts, ref);
          const count = ++this.counts[ref]!;
          if (++n <= maxSamples && count <= maxPerSeries) continue;
          // Over a limit: stop before this chunk, so that the next span starts at a chunk, where
          // `rewind` finds the series state it kept; only a first chunk too large is cut inside.
          this.counts[ref]!--;
          n--;
          if (before === 0) return i - from;
          for (let j = from; j < i; j++) this.counts[refs[j]!]!--;
          n = before;
          return 0;
        }
        return to - from;
      });
    } finally {
      this.keepingSpan = false;
    }
    return n === 0 ? null : { samples: n, end: this.readPos, counts: this.counts };
  }

  readRefs(maxSamples: number, fromRef: number, toRef: number, end: WalPosition): WalBatch | null {
    const limit = this.reserve(maxSamples);
    const start = this.readPos;
    const { refs, timestamps } = this.decoded;
    const out = this.out;
    // Values move as two 32-bit words, so that no NaN payload (staleness markers) passes through a JS number.
    const inWords = new Uint32Array(this.decoded.values.buffer);
    const outWords = new Uint32Array(out.values.buffer);
    let n = 0;
    // A range open at the top decodes every series (why: `WalConsumer.readRefs`).
    this.walkRange(toRef === Number.POSITIVE_INFINITY ? 0 : fromRef, toRef, end, (from, to) => {
      for (let i = from; i < to; i++) {
        const ref = refs[i]!;
        if (ref < fromRef || ref >= toRef) continue;
        if (n === limit) throw new Error(`series ${fromRef}-${toRef} hold more than ${limit} samples before ${end.chunk}:${end.offset}`);
        out.refs[n] = ref;
        out.timestamps[n] = timestamps[i]!;
        outWords[2 * n] = inWords[2 * i]!;
        outWords[2 * n++ + 1] = inWords[2 * i + 1]!;
      }
      return to - from;
    });
    return this.batch(start, n);
  }

  ack(position: WalPosition): void {
    if (comparePositions(position, this.ackedPos) <= 0) return;
    if (comparePositions(position, this.readPos) > 0) throw new Error(`ack of ${position.chunk}:${position.offset} beyond what ${this.name} has read`);
    this.host.saveCursor(this.name, position);
    this.ackedPos = position;
    this.spanBodies.dropBefore(position.chunk);
  }

  acked(): WalPosition {
    return this.ackedPos;
  }

  rewind(): void {
    this.readPos = this.ackedPos;
    this.decodedRow = null;
    const kept = this.ackedStateAt;
    if (kept === null || comparePositions(kept.position, this.ackedPos) !== 0) {
      this.stateSegment = -1;
      return;
    }
    // The state stands just before the chunk of the acked position: the next read goes on from it.
    this.state.copyFrom(this.ackedState);
    this.stateSegment = kept.segment;
    this.stateChunk = kept.chunk - 1;
  }

  backlog(): { samples: number; oldestTimestampMs: number | null } {
    return this.host.past.backlog(this.ackedPos, this.host.segmentList());
  }

  /** Makes the output buffer hold `maxSamples` (at most 2^20, ~20 MiB of columns; reused) and returns that limit. */
  private reserve(maxSamples: number): number {
    if (maxSamples < 1) throw new Error('maxSamples must be at least 1');
    const limit = Math.min(maxSamples, 1 << 20);
    if (this.out.refs.length < limit) this.out = allocColumns(limit);
    return limit;
  }

  private copyOut(from: number, to: number, at: number): void {
    this.out.refs.set(this.decoded.refs.subarray(from, to), at);
    this.out.timestamps.set(this.decoded.timestamps.subarray(from, to), at);
    this.out.values.set(this.decoded.values.subarray(from, to), at);
  }

  private batch(start: WalPosition, n: number): WalBatch | null {
    if (n === 0) return null;
    const { refs, timestamps, values } = this.out;
    return { count: n, refs: refs.subarray(0, n), timestamps: timestamps.subarray(0, n), values: values.subarray(0, n), start, end: this.readPos };
  }

  /**
   * Goes over the samples from the read position to `end` (null: all committed), a decoded
   * chunk's slice [from, to) at a time, moving the read position past what `take` says it took;
   * taking less than the slice stops the walk.
   */
  private walk(end: WalPosition | null, take: (from: number, to: number, row: Omit<ChunkRow, 'data'>) => number): void {
    while (end === null || comparePositions(this.readPos, end) < 0) {
      const row = this.ensureDecoded();
      if (row === null || (end !== null && row.id > end.chunk)) return;
      const from = this.readPos.offset;
      const to = end !== null && end.chunk === row.id ? Math.min(end.offset, this.decodedCount) : this.decodedCount;
      const took = take(from, to, row);
      const offset = from + took;
      // A finished chunk is written as the start of the next id, so positions compare by chunk.
      this.readPos = offset >= this.decodedCount ? { chunk: row.id + 1, offset: 0 } : { chunk: row.id, offset };
      if (took < to - from) return;
    }
  }

  /**
   * `walk` decoding only the series of refs in [fromRef, toRef) (all of them when `toRef` is
   * Infinity). The series state then holds for those series alone, so it is dropped afterwards:
   * `rewind` restores its copy, any other read replays the segment.
   */
  private walkRange(fromRef: number, toRef: number, end: WalPosition | null, take: Parameters<SqliteWalConsumer['walk']>[1]): void {
    if (fromRef <= 0 && toRef === Number.POSITIVE_INFINITY) return this.walk(end, take);
    this.decodedRow = null;
    this.decodeRange = { fromRef, toRef };
    try {
      this.walk(end, take);
    } finally {
      this.decodeRange = null;
      this.decodedRow = null;
      this.stateSegment = -1;
    }
  }

  /** Makes sure the chunk at the read position is decoded; null when nothing more is committed. */
  private ensureDecoded(): Omit<ChunkRow, 'data'> | null {
    for (;;) {
      if (this.decodedRow !== null && this.decodedRow.id === this.readPos.chunk) return this.decodedRow;
      const position = this.readPos.chunk;
      const chunk = this.chunkAt(position);
      if (chunk === undefined) return null;
      const { row } = chunk;
      const fromAcked = comparePositions(this.readPos, this.ackedPos) === 0;
      if (row.id !== position) this.readPos = { chunk: row.id, offset: 0 };
      try {
        const body = 'data' in chunk ? this.inflated(position, row, chunk.data) : chunk.body;
        this.prepareState(row);
        if (fromAcked) this.keepAckedState(row);
        this.decodedCount = decodeChunkBody(body, this.state, this.decoded, this.decodeRange?.fromRef, this.decodeRange?.toRef);
        this.stateChunk = row.id;
      } catch (error) {
        this.skipCorruptSegment(row, error);
        continue;
      }
      if (this.decodedCount !== row.samples) {
        this.skipCorruptSegment(row, new Error(`chunk ${row.id} holds ${this.decodedCount} samples, its row says ${row.samples}`));
        continue;
      }
      this.decodedRow = row;
      if (this.readPos.offset >= this.decodedCount) {
        this.readPos = { chunk: row.id + 1, offset: 0 };
        continue;
      }
      return this.decodedRow;
    }
  }

  /**
   * The first chunk at or after chunk id `position`: inflated (`body`) from the span's cache, or
   * deflated (`data`) as the WAL stores it; undefined when none is committed.
   */
  private chunkAt(position: number): InflatedChunk | { row: Omit<ChunkRow, 'data'>; data: Buffer } | undefined {
    const cached = this.spanBodies.find(position, (segment) => this.host.segmentBounds(segment) !== undefined);
    if (cached !== undefined) return cached;
    const stored = this.host.past.firstChunk({ chunk: position, offset: 0 });
    if (stored === undefined) return undefined;
    const { data, ...row } = stored;
    return { row, data };
  }

  /**
   * Inflates the stored `data` of chunk `row`, read at chunk id `position`, keeping the body for
   * the span being read; throws on corrupt data.
   */
  private inflated(position: number, row: Omit<ChunkRow, 'data'>, data: Buffer): Buffer {
    const body = inflateChunk(data);
    if (this.keepingSpan) this.spanBodies.add(position, row, body);
    return body;
  }

  /** Brings the series state to just before chunk `row`, replaying its segment when needed. */
  private prepareState(row: Omit<ChunkRow, 'data'>): void {
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

  /** Keeps the series state before `row`, the chunk of the acked position, for `rewind` (once per acked position). */
  private keepAckedState(row: Omit<ChunkRow, 'data'>): void {
    const kept = this.ackedStateAt;
    if (kept !== null && comparePositions(kept.position, this.ackedPos) === 0) return;
    this.ackedState.copyFrom(this.state);
    this.ackedStateAt = { position: this.ackedPos, chunk: row.id, segment: row.segment };
  }

  private skipCorruptSegment(row: Omit<ChunkRow, 'data'>, error: unknown): void {
    const bounds = this.host.segmentBounds(row.segment);
    this.host.dropCorruptSegment(row.segment, error instanceof Error ? error.message : String(error));
    this.stateSegment = -1;
    this.decodedRow = null;
    this.spanBodies.clear();
    this.readPos = { chunk: Math.max(bounds?.lastChunk ?? 0, row.id) + 1, offset: 0 };
  }
}

function grown(a: Uint32Array, ref: number): Uint32Array {
  let size = a.length;
  while (size <= ref) size *= 2;
  const b = new Uint32Array(size);
  b.set(a);
  return b;
}
