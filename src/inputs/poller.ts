import type { Clock } from '../lib/clock.js';
import { createThrottle, throttledWarn, type Logger } from '../lib/log.js';
import { repeat } from '../lib/repeat.js';
import type { WalAppender } from '../wal/wal.js';
import type { InputStatus, PollingInput } from './input.js';

/** Runs polling inputs on their intervals; `stop()` resolves once no round is running. */
export interface Poller {
  start(): void;
  stop(): Promise<void>;
  status(): InputStatus[];
  /** Asks every input to drop its caches (see `PollingInput.shedCaches`). */
  shedCaches(): void;
}

/**
 * Polls each input every `intervalMs`, first at once, on fixed times from the start (repeat.ts),
 * so rounds keep their phase to the group commit. A round still running when the next is due is
 * not overlapped: that tick is skipped (a slow exporter must not pile up requests).
 */
export function createPoller(entries: ReadonlyArray<{ input: PollingInput; intervalMs: number }>, appender: WalAppender, clock: Clock, log: Logger): Poller {
  const throttle = createThrottle(60_000, clock.now);
  const states = entries.map(({ input, intervalMs }) => ({
    input,
    intervalMs,
    stopTimer: () => {},
    running: null as Promise<void> | null,
    status: { name: input.name, up: false, lastSuccessMs: null, lastError: null } as InputStatus,
  }));

  function tick(state: (typeof states)[number]): void {
    if (state.running) return;
    state.running = (async () => {
      try {
        await state.input.collect(appender, clock.now());
        state.status.up = true;
        state.status.lastSuccessMs = clock.now();
        state.status.lastError = null;
      } catch (error) {
        state.status.up = false;
        state.status.lastError = error instanceof Error ? error.message : String(error);
        throttledWarn(log, throttle, state.input.name, { input: state.input.name, err: state.status.lastError }, 'input collection failed');
      }
    })().finally(() => {
      state.running = null;
    });
  }

  return {
    start() {
      for (const state of states) {
        tick(state);
        state.stopTimer = repeat(state.intervalMs, () => tick(state));
      }
    },
    async stop() {
      for (const state of states) state.stopTimer();
      await Promise.all(states.map((s) => s.running));
    },
    status: () => states.map((s) => ({ ...s.status })),
    shedCaches() {
      for (const { input } of states) input.shedCaches?.();
    },
  };
}
