import type { Clock } from './clock.js';
import type { Logger } from './log.js';

/** What the guard reports to the own metrics. */
export interface MemoryGuardCounters {
  shed(): void;
}

export interface MemoryGuardOptions {
  /** OUTPOST_MEMORY_LIMIT in bytes (> 0). */
  limitBytes: number;
  /** Drops every cache it can rebuild from the WAL or the next collection; never data. */
  shedCaches(): void;
  counters: MemoryGuardCounters;
  log: Logger;
  clock: Clock;
  /** The process's resident memory; injectable for tests. */
  residentBytes?: () => number;
  intervalMs?: number;
}

// Shed when resident memory is within 10 % of the limit; V8's heap cap (set by the launcher at half
// the limit) is the hard stop, this keeps the caches from pushing the process there.
const SHED_AT = 0.9;
// Caches refill within a scrape or a send round; shedding again sooner only burns CPU on the refill.
const MIN_SHED_INTERVAL_MS = 60_000;

/**
 * Keeps Outpost inside OUTPOST_MEMORY_LIMIT the way vmagent's `-memory.allowedBytes` does: it looks
 * at resident memory every few seconds and, near the limit, drops the caches (the scrape series
 * caches, the sender's wire series), at most once a minute. Returns a stop function.
 */
export function startMemoryGuard(options: MemoryGuardOptions): () => void {
  const residentBytes = options.residentBytes ?? (() => process.memoryUsage.rss());
  let lastShedMs = -Infinity;
  const timer = setInterval(() => {
    const resident = residentBytes();
    const now = options.clock.now();
    if (resident < SHED_AT * options.limitBytes || now - lastShedMs < MIN_SHED_INTERVAL_MS) return;
    lastShedMs = now;
    options.shedCaches();
    options.counters.shed();
    options.log.warn({ residentBytes: resident, limitBytes: options.limitBytes }, 'memory near OUTPOST_MEMORY_LIMIT: caches dropped');
  }, options.intervalMs ?? 5_000);
  timer.unref();
  return () => clearInterval(timer);
}

