/**
 * Catching up starts when the link returns, not when the longest backoff ends: while shards back
 * off for longer than PROBE_INTERVAL_MS (after a few failures the full-jitter window reaches
 * OUTPOST_QUEUE_MAX_BACKOFF, a minute by default), one empty request every 2.5–5 s asks whether
 * the endpoint answers 2xx again, and wakes them when it does. Full requests still wait out
 * their backoff, so a struggling receiver is never sent more than these few bytes; an endpoint
 * that refuses empty requests (4xx) is not probed again.
 */
import type { Logger } from '../lib/log.js';
import type { Output } from './outputs/output.js';
import type { Pace } from './pace.js';
import type { Transport } from './transport.js';
import type { Waits } from './waits.js';

// While a shard waits out a backoff longer than this, an empty write request asks the endpoint
// every few seconds whether it is back.
export const PROBE_INTERVAL_MS = 5_000;

/** The probe of one endpoint. */
export interface Probe {
  /**
   * Probes in the background until no shard backs off any more, the endpoint answers or the
   * sender stops; does nothing while a probe runs or once the endpoint refused one.
   */
  start(): void;
}

/** What a probe sends with and whom it tells. */
export interface ProbeOptions {
  url: string;
  transport: Transport;
  /** Encodes the empty request a probe sends. */
  output: Output;
  /** Put on a slow start when the endpoint answers (pace.ts). */
  pace: Pace;
  waits: Waits;
  /** Uniform in [0, 1): spreads the probes. */
  random: () => number;
  log: Logger;
}

/** Creates the probe of one endpoint, idle. */
export function createProbe(options: ProbeOptions): Probe {
  const { output, pace, waits, random } = options;
  let probing = false;
  let probesRefused = false;

  async function probeUntilBack(): Promise<void> {
    probing = true;
    try {
      while (waits.backingOff > 0 && !waits.stopping) {
        await waits.sleep(PROBE_INTERVAL_MS * (0.5 + 0.5 * random()));
        if (waits.backingOff === 0 || waits.stopping) return;
        const probe = output.encode([]);
        const result = await options.transport.send(probe.body, probe.headers, waits.signal);
        if (result.kind === 'reject') {
          probesRefused = true;
          return;
        }
        if (result.kind === 'ok') {
          options.log.info({ url: options.url }, 'endpoint answers again; resuming delivery');
          pace.resumed();
          waits.linkReturned();
          return;
        }
      }
    } finally {
      probing = false;
    }
  }

  return {
    start() {
      if (!probing && !probesRefused) void probeUntilBack();
    },
  };
}
