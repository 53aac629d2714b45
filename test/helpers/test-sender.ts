/** One sender on a test WAL's consumer 'c', as unit tests drive it: real WAL, scripted transport, fake clock. */
import { silentLogger } from '../../src/lib/log.js';
import { createBandwidthEstimator } from '../../src/sender/bandwidth.js';
import { createConcurrency } from '../../src/sender/concurrency.js';
import type { Output } from '../../src/sender/outputs/output.js';
import { createOutput } from '../../src/sender/outputs/outputs.js';
import { createRateLimiter } from '../../src/sender/rate-limiter.js';
import type { RemoteWriteProtocol } from '../../src/config/parse.js';
import type { SeriesSamples } from '../../src/sender/series-samples.js';
import { startSender, type RejectReason, type Sender } from '../../src/sender/sender.js';
import type { Transport } from '../../src/sender/transport.js';
import { createWireSeriesCache } from '../../src/sender/wire-series.js';
import type { Wal, WalConsumer } from '../../src/wal/wal.js';
import type { FakeTime } from './fake-time.js';

/** What the sender counted. */
export interface CountedSender {
  sent: number;
  rejected: Partial<Record<RejectReason, number>>;
  roundFailures: number;
  /** Samples the write relabel rules dropped. */
  filtered: number;
}

/** Settings a test may change; the defaults send at once with short backoffs. */
export interface TestSenderOptions {
  /** The shards the sender starts with; default 1. */
  shards?: number;
  /** The most the sender may grow to (OUTPOST_QUEUE_MAX_SHARDS); default `shards`. */
  maxShards?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  protocol?: RemoteWriteProtocol;
  /** Runs before each request is encoded (`dense` as the sender asks): a throw fails the round, as a broken invariant would. */
  beforeEncode?: (series: ReadonlyArray<SeriesSamples>, dense?: boolean) => void;
  /** Default 0: every round goes at once. */
  batchSendDeadlineMs?: number;
  /** Default 20 ms. */
  pollIntervalMs?: number;
  /** Wake the sender at each commit of `wal` (as the runtime does); default false. */
  wakeOnCommit?: boolean;
  metered?: boolean;
  /** OUTPOST_QUEUE_CAPACITY; default 1000. */
  capacity?: number;
  /** OUTPOST_QUEUE_MAX_SAMPLES_PER_SEND; default 1000. */
  maxSamplesPerSend?: number;
  /** The consumer the sender reads; default `wal.consumer('c')`. */
  consumer?: WalConsumer;
}

/**
 * Starts a sender of `wal`'s consumer 'c' through `transport`, waiting on the fake clock `time`.
 * `stop` stops it at the fake now, moving time on as far as the stop needs.
 */
export function startTestSender(wal: Wal, transport: Transport, time: FakeTime, options: TestSenderOptions = {}): { sender: Sender; counted: CountedSender; stop: () => Promise<void> } {
  const counted: CountedSender = { sent: 0, rejected: {}, roundFailures: 0, filtered: 0 };
  const shards = options.shards ?? 1;
  const maxShards = options.maxShards ?? shards;
  const sender = startSender({
    url: transport.url,
    output: checkedBefore(createOutput(options.protocol ?? '1.0', 'test', silentLogger), options.beforeEncode),
    consumer: options.consumer ?? wal.consumer('c'),
    series: createWireSeriesCache((ref) => wal.labels(ref), [], time.clock),
    transport,
    limiter: createRateLimiter(0),
    bandwidth: createBandwidthEstimator(),
    concurrency: createConcurrency({ minShards: shards, maxShards }),
    queue: {
      capacity: options.capacity ?? 1000, maxShards, maxSamplesPerSend: options.maxSamplesPerSend ?? 1000, batchSendDeadlineMs: options.batchSendDeadlineMs ?? 0,
      minBackoffMs: options.minBackoffMs ?? 10, maxBackoffMs: options.maxBackoffMs ?? 40,
    },
    counters: {
      sent: (n) => (counted.sent += n),
      failed() {},
      retried() {},
      rejected: (reason, n) => (counted.rejected[reason] = (counted.rejected[reason] ?? 0) + n),
      roundFailed: () => counted.roundFailures++,
      metadataSent() {},
      filtered: (n) => (counted.filtered += n),
    },
    clock: time.clock,
    timers: time,
    // Backoffs and probes wait the middle of their jitter window, so a run repeats exactly.
    random: () => 0.5,
    log: silentLogger,
    pollIntervalMs: options.pollIntervalMs ?? 20,
    metered: options.metered ?? false,
    ...(options.wakeOnCommit === true ? { afterCommit: (fn: () => void) => wal.afterCommit(fn) } : {}),
  });
  async function stop(): Promise<void> {
    let stopped = false;
    const stopping = sender.stop(time.clock.now()).then(() => { stopped = true; });
    // A wait begun while stopping ends at the deadline, which is now: a timer still to fire.
    if (!(await time.until(() => stopped, 60_000))) throw new Error('the sender did not stop');
    await stopping;
  }
  return { sender, counted, stop };
}

/** `output` with `check` run before each `encode`; the rest, getters too, is `output`'s own. */
function checkedBefore(output: Output, check: TestSenderOptions['beforeEncode']): Output {
  if (check === undefined) return output;
  const checked: Output = Object.create(output) as Output;
  return Object.assign(checked, {
    encode(series: ReadonlyArray<SeriesSamples>, dense?: boolean) {
      check(series, dense);
      return output.encode(series, dense);
    },
  });
}

/** Moves `time` on until consumer 'c' of `wal` has nothing left to send or `timeoutMs` passed; returns what is left. */
export async function drained(wal: Wal, time: FakeTime, timeoutMs: number): Promise<number> {
  await time.until(() => wal.consumer('c').backlog().samples === 0, timeoutMs);
  return wal.consumer('c').backlog().samples;
}
