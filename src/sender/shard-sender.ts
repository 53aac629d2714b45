/**
 * Sends one shard of a round: its series in requests one after another, each until the endpoint
 * accepts or refuses it (the answers and what follows each are in sender.ts's header). A transient
 * failure backs off (backoff.ts, per shard, Retry-After winning) and sends the same request again;
 * a long backoff starts the probe (probe.ts). Samples past the learned age limit are left out
 * before sending, and a refusal of samples splits the request by time. While the endpoint is
 * paced (pace.ts) each request first waits its turn.
 */
import { throttledWarn, type createThrottle } from '../lib/log.js';
import type { AgeLimit } from './age-limit.js';
import { createBackoff, type Backoff } from './backoff.js';
import type { Pace } from './pace.js';
import { PROBE_INTERVAL_MS, type Probe } from './probe.js';
import { newestTimestamp, oldestTimestamp, requestCutter, requestsOf, sampleCount, splitByTime, withoutOlderThan } from './request-parts.js';
import type { RejectReason, SenderOptions, SendingStatus } from './sender.js';
import type { SeriesSamples } from './series-samples.js';
import type { StreamRate } from './stream-rate.js';
import type { SendResult } from './transport.js';
import { untilAborted, type Waits } from './waits.js';

// A refused request is split by time until the refused part spans no more than this (finer
// splits cost requests without telling a receiver's age window apart any better), at most
// MAX_SPLIT_DEPTH times: a request refused all through then costs at most 15 requests carrying
// 4 times its bytes, while one bad-clock series is cut out at the first split.
const SPLIT_RESOLUTION_MS = 1_000;
const MAX_SPLIT_DEPTH = 3;
// While paced (pace.ts), a request carries this many seconds of the endpoint's own stream, but
// at least PACED_MIN_REQUEST samples (fewer would spend more on requests than on samples). Small
// requests make a 429 cost little; a size tied to the stream rather than to the pace means a
// gateway sending faster than its share sends more requests and so meets more of the 429s,
// which is what brings a fleet's gateways to equal shares.
const PACED_REQUEST_SECONDS = 2;
const PACED_MIN_REQUEST = 50;

/** The running round as its shards share it. */
export interface RoundShare {
  /** Aborted when the round is given up (a shard threw, or the shutdown deadline). */
  readonly signal: AbortSignal;
  /** Bytes of the round's requests that the endpoint accepted. */
  bytes: number;
  /** Bytes count more than CPU (sender.ts `bytesAreCheap`): bodies are compressed harder. */
  readonly bytesCount: boolean;
  /** A shard threw: the round fails with the first such error and its other shards stop. */
  fail(error: unknown): void;
}

/** Sends the shards of an endpoint's rounds. */
export interface ShardSender {
  /**
   * Sends one shard's series, request after request; false when the round is given up. A throw
   * (an encoding error, a broken invariant) does not reject: it fails `round`.
   */
  send(series: SeriesSamples[], round: RoundShare): Promise<boolean>;
}

/** What shards send with, and the endpoint state their answers update. */
export interface ShardSenderOptions extends Pick<SenderOptions, 'output' | 'transport' | 'limiter' | 'bandwidth' | 'concurrency' | 'queue' | 'counters' | 'clock' | 'log'> {
  pace: Pace;
  ageLimit: AgeLimit;
  status: SendingStatus;
  throttle: ReturnType<typeof createThrottle>;
  waits: Waits;
  stream: StreamRate;
  probe: Probe;
  /** Uniform in [0, 1): the backoffs' jitter. */
  random: () => number;
}

// What `sendPart` ends with when the round is being given up (deadline or a failed shard).
const STOPPED = Symbol('stopped');
// What `sendPart` ends with when the endpoint was paced after the part was cut and the part is
// larger than a paced request: it goes again in pieces.
const SPLIT = Symbol('split');
type PartOutcome = typeof STOPPED | typeof SPLIT | { kind: 'ok' } | { kind: 'reject'; reason: RejectReason; result: Extract<SendResult, { kind: 'reject' }> };

/** Creates the shard sending of one endpoint. */
export function createShardSender(options: ShardSenderOptions): ShardSender {
  const { output, clock, queue, counters, concurrency, pace, ageLimit, status, throttle, waits, stream, probe } = options;
  // Bytes a sample takes on the wire, measured; sizes requests before the first one is sent.
  let bytesPerSample = 4;
  // When requests started failing (429 aside: a throttling receiver is up); null while they succeed.
  let failingSince: number | null = null;

  const givingUp = (round: RoundShare): boolean => waits.outOfTime() || round.signal.aborted;

  /** Samples in the next request: what the link carries in a few seconds, or while paced a little of the stream. */
  function requestSize(): number {
    const maxBytes = options.bandwidth.targetRequestBytes();
    const size = Math.max(1, Math.min(queue.maxSamplesPerSend, Math.floor(maxBytes / bytesPerSample)));
    if (pace.rate === null) return size;
    return Math.min(size, Math.max(PACED_MIN_REQUEST, Math.floor(stream.samplesPerSecond * PACED_REQUEST_SECONDS)));
  }

  function accepted(round: RoundShare, part: SeriesSamples[], samples: number, bytes: number, durationMs: number): void {
    round.bytes += bytes;
    status.bandwidthBytesPerSecond = options.bandwidth.record(bytes, durationMs);
    bytesPerSample = 0.8 * bytesPerSample + (0.2 * bytes) / samples;
    counters.sent(samples, bytes);
    ageLimit.accepted(oldestTimestamp(part)!);
    pace.accepted(samples);
    // Back after an outage longer than a probe interval: resume at a slow start (see pace.ts).
    if (failingSince !== null && clock.now() - failingSince >= PROBE_INTERVAL_MS) pace.resumed();
    failingSince = null;
    status.up = true;
    status.lastSuccessMs = clock.now();
    status.newestSentTimestampMs = Math.max(status.newestSentTimestampMs ?? 0, newestTimestamp(part)!);
    waits.linkReturned();
  }

  /** Leaves out samples older than the endpoint's learned age limit, counting them. */
  function withinAgeLimit(part: SeriesSamples[]): SeriesSamples[] {
    const cutoff = ageLimit.cutoffMs();
    if (cutoff === null) return part;
    const { kept, dropped } = withoutOlderThan(part, cutoff);
    if (dropped > 0) {
      counters.failed(dropped);
      counters.rejected('too_old', dropped);
    }
    return kept;
  }

  /**
   * Delivers one request: samples past the learned age limit are dropped first, a refusal of
   * samples splits the rest by time (older half first, so each series stays in order), any other
   * refusal drops the part. Returns false when the round is being given up.
   */
  async function deliver(series: SeriesSamples[], backoff: Backoff, round: RoundShare): Promise<boolean> {
    const parts = [{ series, depth: 0 }];
    while (parts.length > 0) {
      const { series: unfiltered, depth } = parts.shift()!;
      const part = withinAgeLimit(unfiltered);
      if (part.length === 0) continue;
      const outcome = await sendPart(part, backoff, round);
      if (outcome === STOPPED) return false;
      if (outcome === SPLIT) {
        parts.unshift(...requestsOf(part, requestSize()).map((r) => ({ series: r.series, depth })));
        continue;
      }
      if (outcome.kind === 'ok') continue;
      const { reason, result } = outcome;
      const sampleLevel = reason === 'out_of_order' || reason === 'out_of_bounds' || reason === 'too_old';
      // One series refused alone is not split: its samples share its clock and its fate.
      const halves = sampleLevel && depth < MAX_SPLIT_DEPTH && part.length > 1 ? splitByTime(part, SPLIT_RESOLUTION_MS) : null;
      if (halves !== null) {
        parts.unshift({ series: halves[0], depth: depth + 1 }, { series: halves[1], depth: depth + 1 });
        continue;
      }
      if (reason === 'out_of_bounds' || reason === 'too_old') ageLimit.refused(newestTimestamp(part)!);
      const samples = sampleCount(part);
      counters.failed(samples);
      counters.rejected(reason, samples);
      throttledWarn(options.log, throttle, 'reject:' + reason, { status: result.status, reason, samples, body: result.body.slice(0, 512) }, 'remote write refused samples; dropped them');
    }
    return true;
  }

  /** Sends `part` until it is accepted or refused, retrying what is transient. */
  async function sendPart(part: SeriesSamples[], backoff: Backoff, round: RoundShare): Promise<PartOutcome> {
    const samples = sampleCount(part);
    for (;;) {
      if (givingUp(round)) return STOPPED;
      if (pace.rate !== null && samples > requestSize()) return SPLIT;
      const paced = pace.reserve(samples);
      if (paced > 0) await waits.sleep(paced);
      if (givingUp(round)) return STOPPED;
      const request = output.encode(part, round.bytesCount);
      await untilAborted(options.limiter.take(request.body.length), round.signal);
      if (givingUp(round)) return STOPPED;
      const result = await options.transport.send(request.body, request.headers, round.signal);
      const verdict = output.judge(request, result, samples);
      if (verdict.kind === 'resend') continue;
      if (result.kind === 'ok') {
        accepted(round, part, samples, request.body.length, result.durationMs);
        if (verdict.notWritten > 0) {
          counters.failed(verdict.notWritten);
          counters.rejected('not_written', verdict.notWritten);
          throttledWarn(options.log, throttle, 'not-written', { samples, notWritten: verdict.notWritten }, 'remote write 2.0 receiver stored fewer samples than sent');
        }
        return { kind: 'ok' };
      }
      status.up = false;
      status.lastError = result.error;
      if (result.kind === 'reject') return { kind: 'reject', reason: verdict.reason, result };
      if (givingUp(round)) return STOPPED;
      counters.retried(samples);
      concurrency.failed();
      const tooMuch = result.status === 429;
      if (tooMuch) pace.throttled();
      else failingSince ??= clock.now();
      const delay = backoff.next(result.retryAfterMs);
      throttledWarn(options.log, throttle, 'retry', { err: result.error, status: result.status, retryInMs: Math.round(delay) }, 'remote write failed; retrying');
      // A throttling receiver is up and asked for a pause: another shard getting through is no
      // reason to cut it short.
      const wait = waits.sleep(delay, tooMuch ? 'time' : 'link-returns');
      if (delay > PROBE_INTERVAL_MS && result.retryAfterMs === undefined) probe.start();
      await wait;
    }
  }

  return {
    async send(series, round) {
      try {
        const backoff = createBackoff({ minMs: queue.minBackoffMs, maxMs: queue.maxBackoffMs, random: options.random });
        const cutter = requestCutter(series);
        for (let request = cutter.next(requestSize()); request !== null; request = cutter.next(requestSize())) {
          if (!(await deliver(request.series, backoff, round))) return false;
        }
        return true;
      } catch (error) {
        round.fail(error);
        return false;
      }
    },
  };
}
