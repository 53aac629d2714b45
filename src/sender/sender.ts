/**
 * The sender of one remote-write endpoint: drains the WAL from its own cursor, oldest first.
 *
 * Rounds. Each round reads a window of committed samples (queue capacity × max shards), regroups it
 * by series, splits the series into one run per shard (a series whole in one shard, neighbours in
 * batch order kept together: see `splitIntoShards`) and sends each shard's requests strictly one
 * after another; the shards run in parallel. The cursor is acked at the window's end only when every
 * shard has finished, so it never passes a sample that is not delivered, and per-series order
 * holds across rounds because rounds do not overlap. A window waits to fill up to
 * OUTPOST_QUEUE_BATCH_SEND_DEADLINE, so a steady stream sends several samples of a series per
 * request (labels once per request: the main saving on the wire) while a backlog goes at once.
 *
 * Requests. A request holds at most OUTPOST_QUEUE_MAX_SAMPLES_PER_SEND samples and about the
 * bytes the measured link carries in a couple of seconds, so a slow uplink gets small requests
 * that finish and a fast one large requests. Every request passes the shared token bucket
 * (OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND). Answers are values: ok acks; retry (network
 * error, timeout, 5xx, 429) waits with exponential backoff and full jitter, Retry-After winning,
 * and sends the same request again, forever: nothing is lost to an outage. Once one shard gets
 * through, or a small probe does during a long backoff, every waiting shard retries at once, so
 * the backlog starts to drain when the link returns; reject (other 4xx)
 * drops that request, counts it and moves on. Rejections saying the data is too old or out of
 * bounds teach the sender the endpoint's age limit: older backlog is dropped before sending,
 * counted, instead of being refused request by request.
 *
 * Shutdown. `stop(deadline)` lets the running round finish until the deadline; a round cut off
 * is not acked, so its samples are sent again after the restart (at-least-once).
 */
import type { Clock } from '../lib/clock.js';
import { createThrottle, throttledWarn, type Logger } from '../lib/log.js';
import type { WalConsumer } from '../wal/wal.js';
import type { BandwidthEstimator } from './bandwidth.js';
import { createBackoff, type Backoff } from './backoff.js';
import type { Concurrency } from './concurrency.js';
import type { RateLimiter } from './rate-limiter.js';
import { encodeRequest, type RemoteWriteProtocol, type SeriesSamples } from './remote-write.js';
import { SeriesGrouper } from './series-group.js';
import type { SendResult, Transport } from './transport.js';
import type { WireSeriesCache } from './wire-series.js';

// While a shard waits out a backoff longer than this, an empty write request asks the endpoint
// every few seconds whether it is back (see `probeUntilBack`).
const PROBE_INTERVAL_MS = 5_000;

/** Why an endpoint refused samples (the `reason` of outpost_samples_rejected_total). */
export type RejectReason = 'out_of_order' | 'out_of_bounds' | 'too_old' | 'other';

/** Hooks for the prometheus_remote_storage_* counters of one endpoint. */
export interface SenderCounters {
  sent(samples: number, bytes: number): void;
  failed(samples: number): void;
  retried(samples: number): void;
  rejected(reason: RejectReason, samples: number): void;
}

/** The queue settings a sender uses (OUTPOST_QUEUE_*). */
export interface SenderQueue {
  capacity: number;
  maxShards: number;
  maxSamplesPerSend: number;
  batchSendDeadlineMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

/** Everything one endpoint's sender works with. */
export interface SenderOptions {
  url: string;
  protocol: RemoteWriteProtocol;
  consumer: WalConsumer;
  /** The series of the WAL's refs, external labels merged in (shared by the endpoints). */
  series: WireSeriesCache;
  transport: Transport;
  limiter: RateLimiter;
  bandwidth: BandwidthEstimator;
  concurrency: Concurrency;
  queue: SenderQueue;
  headers: Record<string, string>;
  counters: SenderCounters;
  clock: Clock;
  log: Logger;
  /** How often an idle sender looks for new samples; the WAL commit interval is a good value. */
  pollIntervalMs: number;
}

/** What the status page and own metrics show of an endpoint. */
export interface SenderStatus {
  url: string;
  /** False from a failed attempt until the next success. */
  up: boolean;
  shards: number;
  lastError: string | null;
  lastSuccessMs: number | null;
  newestSentTimestampMs: number | null;
  bandwidthBytesPerSecond: number | null;
}

/** A running sender. */
export interface Sender {
  status(): SenderStatus;
  /** Stops after the current round or at `deadlineMs` (epoch ms), whichever is first. */
  stop(deadlineMs: number): Promise<void>;
}

interface Request {
  series: SeriesSamples[];
  samples: number;
}

/** Starts the drain loop of one endpoint. */
export function startSender(options: SenderOptions): Sender {
  const { consumer, clock, queue, counters, concurrency } = options;
  const throttle = createThrottle(60_000, clock.now);
  const status: SenderStatus = {
    url: options.url, up: true, shards: concurrency.current, lastError: null, lastSuccessMs: null,
    newestSentTimestampMs: null, bandwidthBytesPerSecond: null,
  };
  let stopping = false;
  let deadlineMs = Infinity;
  const sleepers = new Set<() => void>();
  let waitingSince: number | null = null;
  let ageLimitMs: number | null = null;
  // Bytes a sample takes on the wire, measured; sizes requests before the first one is sent.
  let bytesPerSample = 4;
  const grouper = new SeriesGrouper();

  // Shards backing off: when one shard gets through, the link is back and the others retry now
  // instead of sitting out the rest of a backoff that may have grown to the maximum.
  const retrying = new Set<() => void>();
  const sleep = (ms: number, untilLinkReturns = false): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, Math.min(ms, deadlineMs - clock.now())));
      function done(): void {
        clearTimeout(timer);
        sleepers.delete(done);
        retrying.delete(done);
        resolve();
      }
      sleepers.add(done);
      if (untilLinkReturns) retrying.add(done);
    });
  const linkReturned = (): void => {
    for (const wake of [...retrying]) wake();
  };

  const outOfTime = (): boolean => stopping && clock.now() >= deadlineMs;

  // An empty WriteRequest (valid in both specs; a few bytes with its headers).
  const probeBody = encodeRequest(options.protocol, []);
  let probing = false;
  let probesRefused = false;

  /**
   * Catching up starts when the link returns, not when the longest backoff ends: while shards back
   * off for longer than PROBE_INTERVAL_MS (after a few failures the full-jitter window reaches
   * OUTPOST_QUEUE_MAX_BACKOFF, a minute by default), one empty request every 2.5–5 s asks whether
   * the endpoint answers 2xx again, and wakes them when it does. Full requests still wait out
   * their backoff, so a struggling receiver is never sent more than these few bytes; an endpoint
   * that refuses empty requests (4xx) is not probed again.
   */
  async function probeUntilBack(): Promise<void> {
    probing = true;
    try {
      while (retrying.size > 0 && !stopping) {
        await sleep(PROBE_INTERVAL_MS * (0.5 + 0.5 * Math.random()));
        if (retrying.size === 0 || stopping) return;
        const result = await options.transport.send(probeBody, options.headers);
        if (result.kind === 'reject') {
          probesRefused = true;
          return;
        }
        if (result.kind === 'ok') {
          options.log.info({ url: options.url }, 'endpoint answers again; resuming delivery');
          linkReturned();
          return;
        }
      }
    } finally {
      probing = false;
    }
  }

  async function sendRequest(request: Request, backoff: Backoff): Promise<boolean> {
    const series = dropTooOld(request);
    if (series.length === 0) return true;
    const body = encodeRequest(options.protocol, series);
    const samples = series.reduce((n, s) => n + s.count, 0);
    for (;;) {
      if (outOfTime()) return false;
      await options.limiter.take(body.length);
      const result = await options.transport.send(body, options.headers);
      if (result.kind === 'ok') {
        backoff.reset();
        status.bandwidthBytesPerSecond = options.bandwidth.record(body.length, result.durationMs);
        bytesPerSample = 0.8 * bytesPerSample + (0.2 * body.length) / samples;
        const newest = newestTimestamp(series);
        counters.sent(samples, body.length);
        status.up = true;
        status.lastSuccessMs = clock.now();
        status.newestSentTimestampMs = Math.max(status.newestSentTimestampMs ?? 0, newest);
        linkReturned();
        return true;
      }
      status.up = false;
      status.lastError = result.error;
      if (result.kind === 'reject') {
        handleReject(result, series, samples);
        return true;
      }
      counters.retried(samples);
      concurrency.failed();
      const delay = backoff.next(result.retryAfterMs);
      throttledWarn(options.log, throttle, 'retry', { err: result.error, status: result.status, retryInMs: Math.round(delay) }, 'remote write failed; retrying');
      const wait = sleep(delay, true);
      if (delay > PROBE_INTERVAL_MS && result.retryAfterMs === undefined && !probing && !probesRefused) void probeUntilBack();
      await wait;
    }
  }

  function handleReject(result: Extract<SendResult, { kind: 'reject' }>, series: SeriesSamples[], samples: number): void {
    const reason = rejectReason(result.body);
    counters.failed(samples);
    counters.rejected(reason, samples);
    throttledWarn(options.log, throttle, 'reject:' + reason, { status: result.status, reason, samples, body: result.body.slice(0, 512) }, 'remote write rejected a batch; dropped it');
    if (reason === 'too_old' || reason === 'out_of_bounds') {
      // Everything at least as old as the newest refused sample would be refused too.
      const limit = clock.now() - newestTimestamp(series);
      ageLimitMs = ageLimitMs === null ? limit : Math.min(ageLimitMs, limit);
    }
  }

  /** Leaves out samples older than the endpoint's learned age limit, counting them. */
  function dropTooOld(request: Request): SeriesSamples[] {
    if (ageLimitMs === null) return request.series;
    const oldest = clock.now() - ageLimitMs;
    const kept: SeriesSamples[] = [];
    let dropped = 0;
    for (const s of request.series) {
      let skip = 0;
      while (skip < s.count && s.timestamps[s.start + skip]! <= oldest) skip++;
      dropped += skip;
      if (skip < s.count) kept.push(skip === 0 ? s : { ...s, start: s.start + skip, count: s.count - skip });
    }
    if (dropped > 0) {
      counters.failed(dropped);
      counters.rejected('too_old', dropped);
    }
    return kept;
  }

  /** Splits one shard's series into requests bounded by samples and by bytes. */
  function requestsOf(series: SeriesSamples[]): Request[] {
    const maxBytes = options.bandwidth.targetRequestBytes();
    const maxSamples = Math.max(1, Math.min(queue.maxSamplesPerSend, Math.floor(maxBytes / bytesPerSample)));
    const requests: Request[] = [];
    let current: Request = { series: [], samples: 0 };
    for (const s of series) {
      for (let offset = 0; offset < s.count; ) {
        const take = Math.min(s.count - offset, maxSamples - current.samples);
        current.series.push(take === s.count ? s : { ...s, start: s.start + offset, count: take });
        current.samples += take;
        offset += take;
        if (current.samples >= maxSamples) {
          requests.push(current);
          current = { series: [], samples: 0 };
        }
      }
    }
    if (current.samples > 0) requests.push(current);
    return requests;
  }

  async function round(): Promise<boolean> {
    const shards = concurrency.current;
    // The window is what all shards may buffer at most: in steady state it fills over several
    // scrapes (until the batch deadline), so a request carries several samples per series.
    const window = queue.capacity * queue.maxShards;
    const backlog = consumer.backlog().samples;
    if (backlog === 0) {
      waitingSince = null;
      return false;
    }
    waitingSince ??= clock.now();
    if (backlog < window && clock.now() - waitingSince < queue.batchSendDeadlineMs && !stopping) return false;
    const batch = consumer.read(window);
    if (batch === null) return false;
    const end = batch.end;
    const grouped = grouper.group(batch, options.series.get);
    if (grouped.unlabelled > 0) counters.failed(grouped.unlabelled);
    const perShard = splitIntoShards(grouped.series, batch.count - grouped.unlabelled, shards);
    const started = clock.now();
    const results = await Promise.all(perShard.map(async (series) => {
      const backoff = createBackoff({ minMs: queue.minBackoffMs, maxMs: queue.maxBackoffMs });
      for (const request of requestsOf(series)) if (!(await sendRequest(request, backoff))) return false;
      return true;
    }));
    if (results.includes(false)) {
      consumer.rewind();
      return false;
    }
    consumer.ack(end);
    waitingSince = null;
    const elapsed = Math.max(1, clock.now() - started);
    const pending = consumer.backlog().samples;
    concurrency.roundSucceeded(batch.count, elapsed, pending, pending > 0 ? 0 : batch.count / Math.max(1, queue.batchSendDeadlineMs / 1000));
    return pending > 0;
  }

  const loop = (async () => {
    while (!stopping || (clock.now() < deadlineMs && consumer.backlog().samples > 0)) {
      let more = false;
      try {
        more = await round();
      } catch (error) {
        status.lastError = error instanceof Error ? error.message : String(error);
        options.log.error({ err: error }, 'sender round failed');
      }
      if (outOfTime()) break;
      if (!more) await sleep(options.pollIntervalMs);
    }
  })();

  return {
    status: () => ({ ...status, shards: concurrency.current }),
    async stop(deadline) {
      stopping = true;
      deadlineMs = deadline;
      // Idle waits end now; backoff waits end at the deadline (their sleep is capped by it).
      for (const wake of [...sleepers]) wake();
      await loop;
    },
  };
}

/**
 * Splits a round's series, in batch order, into `shards` runs of about equal samples, each series
 * whole in one run. Order needs no more: rounds do not overlap, so a series' samples go out in
 * order whichever shard carries it in each round. Runs rather than a hash of the labels keep
 * neighbours together, the series of one target family by family, whose labels Snappy finds in
 * the series before: hash-picked shards cost about a tenth more bytes on the wire.
 */
export function splitIntoShards(series: SeriesSamples[], samples: number, shards: number): SeriesSamples[][] {
  if (shards <= 1) return [series];
  const runs: SeriesSamples[][] = [];
  let from = 0;
  let taken = 0;
  for (let k = 1; k < shards; k++) {
    const share = (samples * k) / shards;
    let to = from;
    while (to < series.length && taken + series[to]!.count / 2 <= share) taken += series[to++]!.count;
    runs.push(series.slice(from, to));
    from = to;
  }
  runs.push(series.slice(from));
  return runs;
}

function newestTimestamp(series: ReadonlyArray<SeriesSamples>): number {
  let newest = 0;
  for (const s of series) if (s.count > 0) newest = Math.max(newest, s.timestamps[s.start + s.count - 1]!);
  return newest;
}

/** Classifies a refusal by the receiver's words (Prometheus, Mimir, Cortex, VictoriaMetrics). */
function rejectReason(body: string): RejectReason {
  const text = body.toLowerCase();
  if (text.includes('out of order')) return 'out_of_order';
  if (text.includes('out of bounds')) return 'out_of_bounds';
  if (text.includes('too old')) return 'too_old';
  return 'other';
}
