import type { Statement } from 'better-sqlite3';
import { SqliteWalConsumer, type ConsumerHost } from './consumer.js';
import type { WalDatabase } from './database.js';
import { comparePositions, isPastSegment, type PastCursor, type SegmentSpan } from './past-cursor.js';
import type { SegmentTable } from './segments.js';
import type { WalConsumer, WalPosition } from './wal.js';

/** What the consumers need of the rest of the WAL (truncation provides both). */
export interface ConsumerSetHooks {
  /** Runs a write; on a full disk frees space once and retries. */
  write<T>(fn: () => T): T;
  /** Removes a segment whose chunk failed to decode, counted as corruption. */
  dropCorruptSegment(segment: number, problem: string): void;
  /** Notes a stored cursor, which the next commit's sync makes durable. */
  written(): void;
}

/**
 * The endpoints' consumers and their durable cursors (the `cursors` table): a cursor is loaded
 * when its consumer is first asked for and stored, in its own transaction, by every ack; the
 * next commit's sync makes it durable.
 * Truncation asks here whether a segment is delivered and how much of it is not.
 */
export class ConsumerSet {
  private readonly byName = new Map<string, SqliteWalConsumer>();
  private readonly host: ConsumerHost;
  private readonly loadCursor: Statement<[string], WalPosition>;
  private readonly storeCursor: Statement<[string, number, number]>;

  constructor(private readonly db: WalDatabase, private readonly past: PastCursor, private readonly segments: SegmentTable, hooks: ConsumerSetHooks) {
    this.loadCursor = db.prepare('SELECT chunk, offset FROM cursors WHERE name = ?');
    this.storeCursor = db.prepare('INSERT INTO cursors (name, chunk, offset) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET chunk = excluded.chunk, offset = excluded.offset');
    this.host = {
      past,
      segmentBounds: (id) => segments.find(id),
      segmentList: () => segments.all,
      dropCorruptSegment: (id, problem) => hooks.dropCorruptSegment(id, problem),
      saveCursor: (name, position) => {
        hooks.write(() => this.storeCursor.run(name, position.chunk, position.offset));
        hooks.written();
      },
    };
  }

  /** The consumer of `name`, created at its stored cursor (the start when it has none) if new. */
  get(name: string): WalConsumer {
    let c = this.byName.get(name);
    if (c === undefined) {
      c = new SqliteWalConsumer(this.host, name, this.loadCursor.get(name) ?? { chunk: 0, offset: 0 });
      this.byName.set(name, c);
    }
    return c;
  }

  /** The largest chunk a stored cursor points at, or null with none (chunk ids must not fall below it). */
  highestCursorChunk(): number | null {
    return (this.db.prepare('SELECT max(chunk) AS c FROM cursors').get() as { c: number | null }).c;
  }

  /** True when every consumer has acked all of `seg`; never with no consumer. */
  isDelivered(seg: SegmentSpan): boolean {
    if (this.byName.size === 0) return false;
    for (const c of this.byName.values()) if (!isPastSegment(c.acked(), seg)) return false;
    return true;
  }

  /** Samples of `seg` the slowest consumer has not acked (all of them with no consumer). */
  undeliveredIn(seg: SegmentSpan): { samples: number; fromMs: number; toMs: number } {
    return this.past.inSegment(this.slowestCursor(), seg);
  }

  /** Smallest sample timestamp some consumer has not acked (any retained one with no consumer), or null. */
  oldestUndeliveredMs(): number | null {
    let oldest: number | null = null;
    if (this.byName.size === 0) oldest = this.segments.all[0]?.minTs ?? null;
    for (const c of this.byName.values()) {
      const t = c.backlog().oldestTimestampMs;
      if (t !== null && (oldest === null || t < oldest)) oldest = t;
    }
    return oldest;
  }

  private slowestCursor(): WalPosition | null {
    let slowest: WalPosition | null = null;
    for (const c of this.byName.values()) {
      const a = c.acked();
      if (slowest === null || comparePositions(a, slowest) < 0) slowest = a;
    }
    return slowest;
  }
}
