import type { WalAppender } from '../wal/wal.js';

/**
 * An input polled on an interval (host exporter, scrape targets, own metrics). `collect` appends
 * one round of samples through the appender; it may be async (I/O) but must not hold refs across
 * rounds (see `WalAppender.seriesRef`). A thrown error marks the round failed; the next runs anyway.
 */
export interface PollingInput {
  /** The `input` label of outpost_input_up, e.g. 'host', 'scrape:node', 'self'. */
  readonly name: string;
  collect(appender: WalAppender, nowMs: number): void | Promise<void>;
  /** Drops caches the next rounds rebuild (OUTPOST_MEMORY_LIMIT); inputs without any leave it out. */
  shedCaches?(): void;
}

/** What the status page and outpost_input_up show about one input. */
export interface InputStatus {
  name: string;
  up: boolean;
  lastSuccessMs: number | null;
  lastError: string | null;
}
