import { loadConfig, type Config } from '../../src/config/env.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { startEndpoints, type Endpoints } from '../../src/sender/endpoints.js';
import type { RejectReason, SenderCounters } from '../../src/sender/sender.js';
import { createTransport } from '../../src/sender/transport.js';
import type { Wal } from '../../src/wal/wal.js';
import type { FaultReceiver } from './fault-receiver.js';
import { decodeRemoteWrite } from './remote-write-schema.js';
import { openTestWal, readAll, type ReadSample } from './wal-fixture.js';

/** Counters of one endpoint as plain numbers. */
export interface CountedSends {
  sent: number;
  failed: number;
  retried: number;
  rejected: Partial<Record<RejectReason, number>>;
  roundFailures: number;
  /** Metadata entries delivered. */
  metadataEntries: number;
  /** Samples the endpoint's write relabel rules dropped. */
  filtered: number;
}

/**
 * A WAL in `dir` with senders to `urls` (OUTPOST_REMOTE_WRITE_URL) and to the named endpoints of
 * `env`, committed every 50 ms, as the runtime wires them; `counts` is keyed by URL without credentials.
 */
export interface SenderHarness {
  wal: Wal;
  endpoints: Endpoints;
  counts: Map<string, CountedSends>;
  config: Config;
  /** Appends one sample to each of `series` series `m{i}` at `timestampMs`. */
  appendRound(series: number, timestampMs: number, value: (i: number) => number): void;
  stop(): Promise<void>;
}

export function startSenderHarness(dir: string, urls: string[], env: Record<string, string> = {}): SenderHarness {
  const loaded = loadConfig({
    OUTPOST_REMOTE_WRITE_URL: urls.join(','),
    OUTPOST_DATA_DIR: dir,
    OUTPOST_WAL_COMMIT_INTERVAL: '50ms',
    OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '200ms',
    OUTPOST_QUEUE_MIN_BACKOFF: '100ms',
    OUTPOST_QUEUE_MAX_BACKOFF: '400ms',
    OUTPOST_REMOTE_WRITE_TIMEOUT: '2s',
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.problem).join('; '));
  const config = loaded.config;
  const rw = config.remoteWrite;
  const transports = rw.endpoints.map((e) => createTransport({
    url: e.url, auth: e.auth, headers: e.headers, tls: e.tls, timeoutMs: e.timeoutMs, retryOnHttp429: e.queue.retryOnHttp429, log: silentLogger,
  }));
  const wal = openTestWal(dir, { clock: systemClock, consumers: transports.map((t) => t.url) });
  const counts = new Map<string, CountedSends>();
  const countersFor = (url: string): SenderCounters => {
    const c: CountedSends = { sent: 0, failed: 0, retried: 0, rejected: {}, roundFailures: 0, metadataEntries: 0, filtered: 0 };
    counts.set(url, c);
    return {
      sent: (n) => (c.sent += n),
      failed: (n) => (c.failed += n),
      retried: (n) => (c.retried += n),
      rejected: (reason, n) => (c.rejected[reason] = (c.rejected[reason] ?? 0) + n),
      roundFailed: () => c.roundFailures++,
      metadataSent: (n) => (c.metadataEntries += n),
      filtered: (n) => (c.filtered += n),
    };
  };
  const endpoints = startEndpoints(config, wal, transports, countersFor, systemClock, silentLogger);
  const timer = setInterval(() => wal.commit(), config.wal.commitIntervalMs);
  return {
    wal, endpoints, counts, config,
    appendRound(series, timestampMs, value) {
      for (let i = 0; i < series; i++) {
        wal.append(wal.seriesRef([{ name: '__name__', value: 'm' }, { name: 'i', value: String(i) }]), timestampMs, value(i));
      }
    },
    async stop() {
      clearInterval(timer);
      wal.commit();
      await endpoints.stop(Date.now() + 2000);
      wal.close();
    },
  };
}

/** Every sample the receiver stored (answered 2xx in a protocol it speaks), per series key, in arrival order. */
export function delivered(receiver: FaultReceiver): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const request of receiver.requests) {
    if (!request.stored) continue;
    for (const s of decodeRemoteWrite(request.protocol, request.body).series) {
      const key = s.labels.map((l) => `${l.name}=${l.value}`).join(',');
      const list = out.get(key) ?? [];
      s.timestamps.forEach((t, i) => list.push([t, s.values[i]!]));
      out.set(key, list);
    }
  }
  return out;
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes (then throws `what`). */
export async function eventually(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every sample committed to the WAL in `dir` (opened read-side while no process holds it). */
export function committedSamples(dir: string): ReadSample[] {
  const audit = openTestWal(dir);
  try {
    return readAll(audit, audit.consumer('audit'));
  } finally {
    audit.close();
  }
}

/** True once the receiver has stored each of `samples` at least once. */
export function deliveredAll(receiver: FaultReceiver, samples: ReadonlyArray<ReadSample>): boolean {
  const got = delivered(receiver);
  return samples.every((s) => got.get(s.labels)?.some(([ts]) => ts === s.t) ?? false);
}
