import type { ChunkRow } from './past-cursor.js';

/** A chunk's row without its stored bytes, and its body inflated. */
export interface InflatedChunk {
  row: Omit<ChunkRow, 'data'>;
  body: Buffer;
}

// A span at the defaults (16 windows of 40,000 samples) inflates to about 3 MiB; a configuration
// with larger windows caches this much of its span and fetches the rest.
const MAX_SPAN_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The inflated chunks of the span a consumer is sending (`WalConsumer.countRefs`), kept so that
 * the span's passes (`readRefs`, one range of series each) fetch and inflate every chunk once, not
 * once a pass: a pass costs a decode of its series, and the span no garbage of re-inflated bodies.
 *
 * Chunks are added in the order a walk reads them, from `from` on, so for any position between
 * `from` and the last chunk added the first cached chunk at or after it is the first chunk there
 * is in the WAL: ids only grow, and truncation only removes chunks (`find` drops the cache when
 * one it would return was truncated).
 */
export class SpanBodies {
  private readonly chunks: InflatedChunk[] = [];
  private from = 0;
  private bytes = 0;
  // Past the byte cap nothing more is added until the next clear, so the cached chunks stay contiguous.
  private full = false;
  // The chunk id a walk that goes on from the last chunk added reads next.
  private next = -1;

  /** Adds the chunk a walk read at chunk id `position` (a walk that does not go on from the last one starts the cache again). */
  add(position: number, row: Omit<ChunkRow, 'data'>, body: Buffer): void {
    if (position !== this.next) {
      this.clear();
      this.from = position;
    }
    this.next = row.id + 1;
    if (this.full || this.bytes + body.length > MAX_SPAN_BODY_BYTES) {
      this.full = true;
      return;
    }
    this.chunks.push({ row, body });
    this.bytes += body.length;
  }

  /**
   * The first chunk at or after chunk id `position`, or undefined when the cache cannot tell.
   * `isLive(segment)` says whether a segment is still in the WAL.
   */
  find(position: number, isLive: (segment: number) => boolean): InflatedChunk | undefined {
    const last = this.chunks.at(-1);
    if (last === undefined || position < this.from || position > last.row.id) return undefined;
    const found = this.chunks.find((c) => c.row.id >= position)!;
    if (isLive(found.row.segment)) return found;
    this.clear();
    return undefined;
  }

  /** Forgets the chunks before chunk id `position` (delivered). */
  dropBefore(position: number): void {
    const keep = this.chunks.findIndex((c) => c.row.id >= position);
    if (keep === 0) return;
    if (keep < 0) return this.clear();
    for (const c of this.chunks.splice(0, keep)) this.bytes -= c.body.length;
    this.from = position;
  }

  clear(): void {
    this.chunks.length = 0;
    this.bytes = 0;
    this.full = false;
    this.next = -1;
  }
}
