import { statfsSync } from 'node:fs';

const KiB = 1024;
const MiB = 1024 * KiB;
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The byte limits the WAL works within at one moment. */
export interface BudgetLimits {
  /** The budget in force: OUTPOST_WAL_MAX_BYTES, or less when the filesystem has less room. */
  budgetBytes: number;
  /** Size the SQLite journal may reach before a checkpoint folds it into the database. */
  journalBytes: number;
  /** Bytes of freed pages the database keeps for the next commits to reuse rather than hand back. */
  freePageBytes: number;
  /** Bytes the database's live pages may use; over it, the oldest segments go. */
  liveBytesLimit: number;
  /** A segment closes once its chunks hold this much. */
  segmentMaxBytes: number;
}

/**
 * Turns the configured budget and the filesystem's free space into limits. The budget in force is
 * the smaller of the configured one and what the WAL holds plus what the filesystem still has, so
 * a card shared with logs or a budget set larger than the disk truncates before the disk is full
 * rather than after (a full disk is still handled, see truncation.ts).
 */
export class DiskBudget {
  /** The reserve file's size, fixed at open (see disk.ts). */
  readonly reserveBytes: number;

  constructor(private readonly dir: string, private readonly maxBytes: number, private readonly freeBytes: (dir: string) => number = filesystemFreeBytes) {
    // 1/32 of the budget, 32 KiB to 1 MiB: enough to journal the deletes of a few segments.
    this.reserveBytes = clamp(Math.floor(maxBytes / 32), 32 * KiB, MiB);
  }

  /** Limits for a WAL that currently occupies `usedBytes` (database, journal, reserve). */
  limits(usedBytes: number): BudgetLimits {
    const budgetBytes = Math.min(this.maxBytes, usedBytes + this.freeBytes(this.dir));
    // The journal may grow to 1/16 of the budget (at most 4 MiB: enough to batch checkpoints,
    // which rewrite every page once more).
    const journalBytes = clamp(Math.floor(budgetBytes / 16), 64 * KiB, 4 * MiB);
    // As many freed pages as the journal holds stay in the file for reuse (truncation.ts says why).
    const freePageBytes = journalBytes;
    // Live pages get what is left after the journal (twice: a big commit can overshoot a
    // checkpoint), the kept free pages, the reserve, and 64 KiB for the shared-memory index and
    // filesystem slack.
    const liveBytesLimit = budgetBytes - 2 * journalBytes - freePageBytes - this.reserveBytes - 64 * KiB;
    // Segments of 1/8 of the budget let truncation free it in steps of at most 12.5%.
    return { budgetBytes, journalBytes, freePageBytes, liveBytesLimit, segmentMaxBytes: Math.max(64 * KiB, Math.floor(budgetBytes / 8)) };
  }
}

function filesystemFreeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}
