/**
 * The sender of one remote-write endpoint: drains the WAL from its own cursor, oldest first.
 *
 * Rounds. Each round reads a window of committed samples (queue capacity × max shards), regroups it
 * by series, splits the series into one run per shard (a series whole in one shard, neighbours in
 * batch order kept together: see `splitIntoShards`) and sends each shard's requests strictly one
 * after another; the shards run in parallel. The cursor is acked at the window's end only when every
 * shard has finished, so it never passes a sample that is not delivered, and per-series order
 * holds across rounds because rounds do not overlap. An idle sender is woken by the next commit.
 * While bytes are cheap (not OUTPOST_UPLINK_METERED, link and byte cap with room to spare: see
 * `bytesAreCheap`) a round goes out at every other commit (EAGER_COMMITS), so a sample waits one
 * or two commit intervals and a request carries two samples a series. Otherwise samples gather up
 * to OUTPOST_QUEUE_BATCH_SEND_DEADLINE (or a span's worth), so a steady stream sends several
 * samples of a series per request (labels once per request: the main saving on the wire). A
 * backlog goes at once either way, and so does what came in during a round that took longer than
 * the deadline: it has waited since the round started.
 *
 * Catch-up. While bytes are not cheap and more than a window waits, a round sends a span of up to
 * SPAN_WINDOWS windows instead of one (catch-up.ts): one pass per range of series, each pass a
 * window at most, grouped and split over the shards like a window and counted like one by the
 * shard count (concurrency.ts), the span acked after its last pass. A request then carries every
 * sample of its series in the span, tens after an outage, instead of the few a window holds. A
 * span that fails goes again as ordinary rounds.
 *
 * A round that throws (an encoding error, a broken invariant) is rewound: every shard of it is
 * stopped and awaited before the cursor moves back, so no shard of a failed round overlaps the
 * next. The round is counted, backed off and tried again; a batch that fails
 * MAX_ROUND_ATTEMPTS times in a row is dropped and counted as `unsendable`, so one poisoned
 * sample cannot stop an endpoint forever.
 *
 * Requests. A request holds at most OUTPOST_QUEUE_MAX_SAMPLES_PER_SEND samples and about the
 * bytes the measured link carries in a couple of seconds, so a slow uplink gets small requests
 * that finish and a fast one large requests. Every request passes the shared token bucket
 * (OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND). Answers are values:
 * - ok acks, as the endpoint's output reads it (outputs/output.ts): RW 2.0 checks the
 *   written-count headers, and falls back to 1.0 for a receiver that does not speak 2.0, which
 *   resends the samples;
 * - retry (network error, timeout, 5xx, 429) waits with exponential backoff and full jitter,
 *   Retry-After winning, and sends the same request again, forever: nothing is lost to an outage.
 *   Once one shard gets through, or a small probe does during a long backoff, every waiting shard
 *   retries at once, so the backlog starts to drain when the link returns. A 429 or the return
 *   from an outage puts the endpoint on a pace (pace.ts): requests then wait their turn at a rate
 *   that a 429 halves, carry about two seconds of the stream each (a larger one cut before is
 *   sent in pieces), and a 429's wait is not cut short by another shard getting through;
 * - reject (other 4xx) of the samples themselves (out of order, out of bounds, too old) splits the
 *   request in two by time and sends the older half, then the newer, until the refused part spans
 *   a second, holds one series or was split three times: one series with a bad clock costs its
 *   own refused samples, not the request, and a backlog refused all through costs a bounded
 *   number of requests. Age
 *   refusals teach a limit (age-limit.ts) under which older backlog is dropped before sending,
 *   counted. Any other reject drops that request, counted.
 *
 * Shutdown. `stop(deadline)` lets the running round finish until the deadline, then aborts the
 * requests in flight; a round cut off is not acked, so its samples are sent again after the
 * restart (at-least-once).
 *
 * Parts. This file is the round loop. A shard's requests, their retries and splits are
 * shard-sender.ts; the probe of an endpoint that is down, probe.ts; the measured stream,
 * stream-rate.ts. Every wait (idle, backoff, pace, probe) and the shutdown deadline go through
 * waits.ts on the injected clock and timers, and the jitter through the injected random source,
 * so tests run a sender on a fake clock.
 */
import { systemTimers, type Clock, type Timers } from '../lib/clock.js';
import { createThrottle, throttledWarn, type Logger } from '../lib/log.js';
import type { WalBatch, WalConsumer, WalPosition } from '../wal/wal.js';
import { createAgeLimit } from './age-limit.js';
import type { BandwidthEstimator } from './bandwidth.js';
import { refRanges, SPAN_WINDOWS } from './catch-up.js';
import { createBackoff } from './backoff.js';
import { createPace } from './pace.js';
import type { Concurrency } from './concurrency.js';
import { createProbe } from './probe.js';
import type { RateLimiter } from './rate-limiter.js';
import type { MetricMetadata } from '../model/metadata.js';
import type { Output, Refusal } from './outputs/output.js';
import { SeriesGrouper } from './series-group.js';
import type { SeriesSamples } from './series-samples.js';
import { createShardSender, type RoundShare } from './shard-sender.js';
import { createStreamRate } from './stream-rate.js';
import type { Transport } from './transport.js';
import { createWaits, untilAborted, type Waits } from './waits.js';
import type { EndpointSeries } from './write-relabel.js';

// RW 1.0 sends metric metadata in requests of its own, every family once a minute at most 500 to
// a request: Prometheus's metadata_config defaults (send_interval, max_samples_per_send). Receivers
// keep metadata per family, so a minute is as fresh as they use it, and it costs a few hundred
// bytes a minute beside the samples' hundreds of kilobytes.
const METADATA_INTERVAL_MS = 60_000;
const METADATA_PER_REQUEST = 500;
// How much faster than the stream the link (and the byte cap) must be for rounds to go out at
// every other commit instead of waiting for the batch deadline: with four times the room, the
// extra bytes of small requests (about 1.3 times as many a sample) still leave half the link free.
const EAGER_HEADROOM = 4;
// While bytes are cheap a round goes at the second commit that finds samples waiting, so a request
// carries two samples of a series (its labels once for both). At 10,000 samples a second that was
// 2.7 s of CPU per million samples, 12.9 bytes a sample and a lag of 1.26 s (p50) / 2.24 s (p99);
// a round at every commit, 3.6 s, 18.5 bytes and 0.76 s / 1.25 s (shared/bench steady).
const EAGER_COMMITS = 2;
// Failures of one batch in a row before it is dropped: enough to ride out a passing fault (each
// try backs off), few enough that a poisoned sample holds the endpoint for a minute at most.
const MAX_ROUND_ATTEMPTS = 5;

/** Why an endpoint's samples were refused or dropped (the `reason` of outpost_samples_rejected_total). */
export type RejectReason = Refusal | 'not_written' | 'unsendable';

/** Every RejectReason, e.g. to pre-create the counter's series. */
export const REJECT_REASONS: readonly RejectReason[] = ['out_of_order', 'out_of_bounds', 'too_old', 'not_written', 'unsendable', 'other'];

/** Hooks for the prometheus_remote_storage_* counters of one endpoint. */
export interface SenderCounters {
  sent(samples: number, bytes: number): void;
  failed(samples: number): void;
  retried(samples: number): void;
  rejected(reason: RejectReason, samples: number): void;
  /** A round threw and was rewound. */
  roundFailed(): void;
  /** A 1.0 metadata request of `entries` families and `bytes` bytes was delivered. */
  metadataSent(entries: number, bytes: number): void;
  /** Samples the endpoint's write relabel rules dropped (acked with their round, never sent). */
  filtered(samples: number): void;
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
  /** The endpoint's protocol: encodes its requests and reads its answers (built by outputs/outputs.ts). */
  output: Output;
  consumer: WalConsumer;
  /** The series of the WAL's refs as this endpoint gets them: external labels merged in, its write relabel rules applied. */
  series: EndpointSeries;
  transport: Transport;
  limiter: RateLimiter;
  bandwidth: BandwidthEstimator;
  concurrency: Concurrency;
  queue: SenderQueue;
  counters: SenderCounters;
  clock: Clock;
  /** Timers for the sender's waits (backoff, pace, probe, idle poll, shutdown deadline); default the real ones. */
  timers?: Timers;
  /** Uniform in [0, 1), for the jitter of backoffs and probes; default Math.random. */
  random?: () => number;
  log: Logger;
  /** How often an idle sender looks for new samples; the WAL commit interval is a good value. */
  pollIntervalMs: number;
  /** Runs a callback once after the next WAL commit (`WalAppender.afterCommit`): wakes an idle sender. */
  afterCommit?: (fn: () => void) => void;
  /** OUTPOST_UPLINK_METERED: bytes cost more than lag, so batch up to the deadline even on a free link. */
  metered?: boolean;
  /** OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND (0: none): a cap near the incoming rate means batching pays. */
  maxBytesPerSecond?: number;
  /** The metric metadata by family to send (RW 1.0, see METADATA_INTERVAL_MS); none when absent. */
  metadata?: () => ReadonlyMap<string, MetricMetadata>;
}

/** What the status page and own metrics show of an endpoint. */
export interface SenderStatus {
  url: string;
  /** False from a failed attempt until the next success. */
  up: boolean;
  shards: number;
  /** The protocol requests are sent in now (`Output.protocol`: 1.0 after a fall back from 2.0). */
  protocol: string;
  /** The age beyond which samples are dropped before sending, as learned from refusals; null when none. */
  learnedAgeLimitMs: number | null;
  lastError: string | null;
  lastSuccessMs: number | null;
  newestSentTimestampMs: number | null;
  bandwidthBytesPerSecond: number | null;
}

/** The part of an endpoint's status that its requests' answers keep up to date. */
export type SendingStatus = Pick<SenderStatus, 'up' | 'lastError' | 'lastSuccessMs' | 'newestSentTimestampMs' | 'bandwidthBytesPerSecond'>;

/** A running sender. */
export interface Sender {
  status(): SenderStatus;
  /**
   * Stops after the current round or at `deadlineMs` (epoch ms), whichever is first: requests
   * still in flight then are aborted and their samples stay in the WAL for the next start.
   */
  stop(deadlineMs: number): Promise<void>;
}

/** Starts the drain loop of one endpoint. */
export function startSender(options: SenderOptions): Sender {
  const { consumer, clock, queue, counters, concurrency } = options;
  const random = options.random ?? Math.random;
  const throttle = createThrottle(60_000, clock.now);
  const ageLimit = createAgeLimit(clock);
  const stream = createStreamRate(clock);
  const pace = createPace(clock, () => stream.samplesPerSecond);
  const status: SendingStatus = { up: true, lastError: null, lastSuccessMs: null, newestSentTimestampMs: null, bandwidthBytesPerSecond: null };
  const waits = createWaits(clock, options.timers ?? systemTimers);
  const probe = createProbe({ url: options.url, transport: options.transport, output: options.output, pace, waits, random, log: options.log });
  const shards = createShardSender({ ...options, pace, ageLimit, status, throttle, waits, stream, probe, random });
  let waitingSince: number | null = null;
  // Looks at the WAL (each after a commit or an idle poll) that found samples and let them wait.
  let looksWaited = 0;
  const grouper = new SeriesGrouper();

  // Aborted when a shard of the running round throws, or at the shutdown deadline.
  let roundAborter = new AbortController();
  waits.signal.addEventListener('abort', () => roundAborter.abort(), { once: true });

  /**
   * Whether bytes are cheap: the uplink is not metered, and neither the measured link nor the byte
   * cap is within EAGER_HEADROOM of what the stream needs. Then a round goes out at the second
   * commit that brings samples rather than waiting up to the batch deadline for a fuller window
   * (waiting saves bytes, as a series' labels go once per request, but costs seconds of lag), and
   * more than a window goes in windows rather than catch-up spans (spans save about a fifth of the
   * bytes but decode the span once per pass, which costs CPU).
   */
  function bytesAreCheap(): boolean {
    if (options.metered === true) return false;
    const need = EAGER_HEADROOM * (stream.bytesPerSecond ?? 0);
    const cap = options.maxBytesPerSecond ?? 0;
    if (cap > 0 && cap < need) return false;
    const link = status.bandwidthBytesPerSecond;
    return link === null || link >= need;
  }

  // The batch of the running round, so that a failed round can be retried or dropped.
  let batchRead: { start: WalPosition; end: WalPosition; count: number } | null = null;

  async function round(): Promise<boolean> {
    batchRead = null;
    // The window is what all shards may buffer at most: in steady state it fills over several
    // scrapes (until the batch deadline), so a request carries several samples per series.
    const window = queue.capacity * queue.maxShards;
    const backlog = consumer.backlog();
    stream.backlogFound(backlog.samples, backlog.oldestTimestampMs);
    if (backlog.samples === 0) {
      waitingSince = null;
      looksWaited = 0;
      return false;
    }
    waitingSince ??= clock.now();
    const cheap = bytesAreCheap();
    // While bytes count, a stream gathers up to the deadline past a window: a span carries it all.
    const gathering = backlog.samples < (cheap ? window : SPAN_WINDOWS * window);
    const eager = status.up && cheap;
    if (gathering && !waits.stopping && (eager ? looksWaited + 1 < EAGER_COMMITS : clock.now() - waitingSince < queue.batchSendDeadlineMs)) {
      looksWaited++;
      return false;
    }
    const start = consumer.acked();
    const started = clock.now();
    // A batch that failed goes again as a round, so that a poisoned sample costs a window at most.
    const span = failedAt === null && !cheap && backlog.samples > window ? consumer.countRefs(SPAN_WINDOWS * window, window) : null;
    let sent: { delivered: boolean; bytes: number; filtered: number };
    if (span === null) {
      const batch = consumer.read(window);
      if (batch === null) return false;
      batchRead = { start, end: batch.end, count: batch.count };
      sent = await sendBatch(batch, !cheap);
    } else {
      batchRead = { start, end: span.end, count: span.samples };
      sent = { delivered: true, bytes: 0, filtered: 0 };
      let passed = 0;
      for (const [fromRef, toRef] of refRanges(span.counts, window)) {
        consumer.rewind();
        const pass = consumer.readRefs(window, fromRef, toRef, span.end);
        if (pass === null) continue;
        const passStarted = clock.now();
        const passSent = await sendBatch(pass, !cheap);
        sent = { delivered: passSent.delivered, bytes: sent.bytes + passSent.bytes, filtered: sent.filtered + passSent.filtered };
        if (!sent.delivered) break;
        // Each pass tells the shard count what a window round would: a span of many seconds
        // would otherwise run its every pass on the shards it started with.
        passed += pass.count;
        batchSent(pass.count, passStarted, consumer.backlog().samples - passed);
      }
    }
    if (!sent.delivered) {
      consumer.rewind();
      return false;
    }
    const { end, count } = batchRead;
    consumer.ack(end);
    if (sent.filtered > 0) counters.filtered(sent.filtered);
    looksWaited = 0;
    stream.roundSent(sent.bytes);
    const pending = consumer.backlog().samples;
    // What the round left has waited since it started (it came in meanwhile) or, when the round did
    // not take all that waited, since before: a catch-up span of many seconds is followed at once
    // by the next, not by a gathering up to the deadline while the link idles.
    if (pending === 0) waitingSince = null;
    else if (count >= backlog.samples) waitingSince = started;
    stream.roundEnded(count, pending);
    if (pending === 0) pace.caughtUp();
    if (span === null) batchSent(count, started, pending);
    return pending > 0;
  }

  /** A window or a span's pass of `samples`, sent since `since`, left `pending` samples to send. */
  function batchSent(samples: number, since: number, pending: number): void {
    const incoming = pending > 0 ? 0 : samples / Math.max(1, queue.batchSendDeadlineMs / 1000);
    concurrency.roundSucceeded(samples, Math.max(1, clock.now() - since), pending, incoming);
  }

  /**
   * Groups a batch by series, splits it over the shards and sends them; throws what a shard threw.
   * Samples the write relabel rules drop are returned, to be counted once acked: a round that is
   * rewound meets the same samples again.
   */
  async function sendBatch(batch: WalBatch, bytesCount: boolean): Promise<{ delivered: boolean; bytes: number; filtered: number }> {
    const grouped = grouper.group(batch, options.series.get);
    if (grouped.unlabelled > 0) counters.failed(grouped.unlabelled);
    const perShard = splitIntoShards(grouped.series, batch.count - grouped.unlabelled - grouped.filtered, concurrency.current);
    if (!waits.signal.aborted) roundAborter = new AbortController();
    const running = new RunningRound(roundAborter, waits, bytesCount);
    const results = await Promise.all(perShard.map((series) => shards.send(series, running)));
    if (running.error !== null) throw running.error.error;
    return { delivered: !results.includes(false), bytes: running.bytes, filtered: grouped.filtered };
  }

  const roundBackoff = createBackoff({ minMs: queue.minBackoffMs, maxMs: queue.maxBackoffMs, random });
  let failedAt: WalPosition | null = null;

  /** A round threw: rewind, count, and retry after a backoff, or drop a batch that keeps failing. */
  async function roundFailed(error: unknown): Promise<void> {
    counters.roundFailed();
    status.lastError = 'sender round failed: ' + (error instanceof Error ? error.message : String(error));
    const batch = batchRead;
    const same = batch !== null && failedAt !== null && batch.start.chunk === failedAt.chunk && batch.start.offset === failedAt.offset;
    if (!same) roundBackoff.reset();
    failedAt = batch?.start ?? null;
    if (batch !== null && roundBackoff.attempts + 1 >= MAX_ROUND_ATTEMPTS) {
      options.log.error({ err: error, samples: batch.count, attempts: MAX_ROUND_ATTEMPTS }, 'sender round failed the same way repeatedly; dropped its batch');
      counters.failed(batch.count);
      counters.rejected('unsendable', batch.count);
      consumer.ack(batch.end);
      roundBackoff.reset();
      failedAt = null;
      return;
    }
    consumer.rewind();
    const delay = roundBackoff.next();
    throttledWarn(options.log, throttle, 'round', { err: error, retryInMs: Math.round(delay) }, 'sender round failed; rewound it and retrying');
    await waits.sleep(delay);
  }

  let metadataSentAt = -Infinity;

  /**
   * Sends every family's metadata once a minute, in requests of its own, to an endpoint whose
   * output sends it apart from samples (RW 1.0; 2.0 series carry theirs). Only while the endpoint
   * answers: a failed request waits for the next minute rather than backing off, as metadata is
   * restated then anyway.
   */
  async function sendMetadata(): Promise<void> {
    const families = options.metadata?.();
    const encodeMetadata = options.output.encodeMetadata;
    if (families === undefined || families.size === 0 || encodeMetadata === null || !status.up || waits.stopping) return;
    if (clock.now() - metadataSentAt < METADATA_INTERVAL_MS) return;
    metadataSentAt = clock.now();
    const entries = [...families].map(([family, metadata]) => ({ family, metadata }));
    for (let i = 0; i < entries.length; i += METADATA_PER_REQUEST) {
      const part = entries.slice(i, i + METADATA_PER_REQUEST);
      const request = encodeMetadata(part);
      await untilAborted(options.limiter.take(request.body.length), waits.signal);
      const result = await options.transport.send(request.body, request.headers, waits.signal);
      if (result.kind !== 'ok') {
        throttledWarn(options.log, throttle, 'metadata', { err: result.error }, 'remote write of metric metadata failed; sending it again in a minute');
        return;
      }
      counters.metadataSent(part.length, request.body.length);
    }
  }

  const loop = (async () => {
    while (!waits.stopping || (clock.now() < waits.deadlineMs && consumer.backlog().samples > 0)) {
      let more = false;
      try {
        more = await round();
        if (batchRead !== null && !waits.outOfTime()) failedAt = null;
        await sendMetadata();
      } catch (error) {
        await roundFailed(error);
        more = true;
      }
      if (waits.outOfTime()) break;
      if (!more) {
        const wait = waits.sleep(options.pollIntervalMs, 'commit');
        options.afterCommit?.(waits.committed);
        await wait;
      }
    }
  })();

  return {
    status: () => ({
      url: options.url, ...status, shards: concurrency.current, protocol: options.output.protocol, learnedAgeLimitMs: ageLimit.current(),
    }),
    async stop(deadline) {
      const cancelDeadline = waits.stop(deadline);
      await loop;
      cancelDeadline();
    },
  };
}

/** The running round as its shards share it (shard-sender.ts). */
class RunningRound implements RoundShare {
  bytes = 0;
  /** The first error a shard threw, which fails the round. */
  error: { error: unknown } | null = null;

  constructor(private readonly aborter: AbortController, private readonly waits: Waits, readonly bytesCount: boolean) {}

  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  fail(error: unknown): void {
    this.error ??= { error };
    // The other shards stop now: requests in flight are aborted, backoffs cut short.
    this.aborter.abort();
    this.waits.linkReturned();
  }
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
