/**
 * The waits of one endpoint's sender, and its shutdown deadline.
 *
 * A sender waits idle for the next WAL commit, backs off after a failed request, waits its turn
 * while paced, and probes an endpoint that is down. Each wait ends at its time, or earlier at the
 * event it waits for: an idle sender at the next commit, a shard backing off when another shard
 * (or a probe) gets through. `stop` ends every wait at once, caps every later one at the
 * shutdown deadline, and aborts the requests still in flight at that deadline.
 *
 * Time comes from the injected clock and timers (the real ones in production), so tests run a
 * sender's backoffs, paces and deadlines on a fake clock.
 */
import type { Clock, Timers } from '../lib/clock.js';

/** What else than its time ends a wait. */
export type WakeOn = 'time' | 'commit' | 'link-returns';

/** The waits and the shutdown state of one sender. */
export interface Waits {
  /** True once `stop` was called. */
  readonly stopping: boolean;
  /** The shutdown deadline (epoch ms); Infinity until `stop`. */
  readonly deadlineMs: number;
  /** Aborted at the shutdown deadline: requests still in flight then end. */
  readonly signal: AbortSignal;
  /** True once the deadline has aborted the signal or passed while stopping. */
  outOfTime(): boolean;
  /** Resolves after `ms` (never past the deadline), or earlier at `wakeOn` or at `stop`. Never rejects. */
  sleep(ms: number, wakeOn?: WakeOn): Promise<void>;
  /** A WAL commit happened: ends the waits for one. */
  committed(): void;
  /** A request got through: ends the waits of shards backing off. */
  linkReturned(): void;
  /** Waits that end when the link returns: the shards backing off. */
  readonly backingOff: number;
  /**
   * Starts the shutdown: ends every wait now, caps later ones at `deadlineMs` and aborts `signal`
   * then. Returns a function that cancels that abort, for when the sender has ended before it.
   */
  stop(deadlineMs: number): () => void;
}

/** Creates the waits of a running sender. */
export function createWaits(clock: Clock, timers: Timers): Waits {
  let stopping = false;
  let deadlineMs = Infinity;
  const aborter = new AbortController();
  const sleepers = new Set<() => void>();
  // Shards backing off: when one shard gets through, the link is back and the others retry now
  // instead of sitting out the rest of a backoff that may have grown to the maximum.
  const retrying = new Set<() => void>();
  // An idle sender waiting for the next commit.
  const idle = new Set<() => void>();

  return {
    get stopping() {
      return stopping;
    },
    get deadlineMs() {
      return deadlineMs;
    },
    signal: aborter.signal,
    outOfTime: () => aborter.signal.aborted || (stopping && clock.now() >= deadlineMs),
    sleep: (ms, wakeOn = 'time') =>
      new Promise((resolve) => {
        const cancel = timers.after(Math.max(0, Math.min(ms, deadlineMs - clock.now())), done);
        function done(): void {
          cancel();
          sleepers.delete(done);
          retrying.delete(done);
          idle.delete(done);
          resolve();
        }
        sleepers.add(done);
        if (wakeOn === 'link-returns') retrying.add(done);
        if (wakeOn === 'commit') idle.add(done);
      }),
    committed: () => {
      for (const wake of [...idle]) wake();
    },
    linkReturned: () => {
      for (const wake of [...retrying]) wake();
    },
    get backingOff() {
      return retrying.size;
    },
    stop(deadline) {
      stopping = true;
      deadlineMs = deadline;
      // Every wait ends now (an idle sender looks at its backlog once more, a shard backing off
      // tries again); later waits end by the deadline (their sleep is capped by it), and requests
      // still in flight then are aborted, so a receiver that never answers cannot hold the
      // shutdown beyond it.
      for (const wake of [...sleepers]) wake();
      return timers.after(Math.max(0, deadline - clock.now()), () => aborter.abort());
    },
  };
}

/** Resolves once `promise` does or `signal` aborts, leaving no listener behind. */
export function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void promise.then(done);
  });
}
