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

/**
 * An input fed by its source as data arrives (MQTT). `start` begins taking data in the background
 * and resolves at once: a source that is down is retried, never awaited; it throws only on unusable
 * settings. Samples go through the appender; a source that redelivers what it was not acknowledged
 * for is acknowledged only after the commit holding its samples (`WalAppender.afterCommit`).
 */
export interface StreamingInput {
  /** The `input` label of outpost_input_up, e.g. 'mqtt'. */
  readonly name: string;
  start(appender: WalAppender): Promise<void>;
  /**
   * Stops taking data (what is not acknowledged stays with the source), waits briefly for the
   * commit that releases pending acknowledgements, and appends nothing once it resolves. Idempotent.
   */
  stop(): Promise<void>;
  /** `up` while the input can take data (e.g. connected and subscribed). */
  status(): InputStatus;
  /** As `PollingInput.shedCaches`. */
  shedCaches?(): void;
}

/** What the status page and outpost_input_up show about one input. */
export interface InputStatus {
  name: string;
  up: boolean;
  lastSuccessMs: number | null;
  lastError: string | null;
}
