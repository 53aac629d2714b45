import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { WalAppender } from '../wal/wal.js';
import type { InputStatus, PollingInput, StreamingInput } from './input.js';
import { createPoller } from './poller.js';

/** The inputs the runtime runs: polling ones with their interval, and streaming ones. */
export interface InputList {
  polling: ReadonlyArray<{ input: PollingInput; intervalMs: number }>;
  streaming: readonly StreamingInput[];
}

/** Every input, run alike whatever its kind; all write through one appender. */
export interface Inputs {
  /** Starts polling and each streaming input; throws as `StreamingInput.start` does. */
  start(): Promise<void>;
  /** Stops every input at once; resolves when none appends any more. */
  stop(): Promise<void>;
  /** One status per input, polling ones first, each kind in the order given. */
  status(): InputStatus[];
  /** Asks every input to drop its caches (OUTPOST_MEMORY_LIMIT). */
  shedCaches(): void;
}

/** Runs polling inputs through the poller and starts and stops streaming ones. */
export function createInputs(list: InputList, appender: WalAppender, clock: Clock, log: Logger): Inputs {
  const poller = createPoller(list.polling, appender, clock, log);
  return {
    async start() {
      poller.start();
      for (const input of list.streaming) await input.start(appender);
    },
    async stop() {
      await Promise.all([poller.stop(), ...list.streaming.map((input) => input.stop())]);
    },
    status: () => [...poller.status(), ...list.streaming.map((input) => input.status())],
    shedCaches() {
      poller.shedCaches();
      for (const input of list.streaming) input.shedCaches?.();
    },
  };
}
