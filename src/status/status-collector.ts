/**
 * Gathers what the status API and page show: reads the WAL, the inputs and the senders when a
 * document is asked for, and samples a history ring every 15 s for the charts and for the rates
 * (incoming samples, delivery, WAL growth) that the ETA and the time until the budget is full
 * need. It also keeps what nobody else keeps: the recent WAL drops with their time ranges (fed by
 * the WAL's `onDrop` hook) and the delivered/refused samples of each endpoint (it wraps the
 * senders' counters).
 */
import type { InputStatus } from '../inputs/input.js';
import type { Clock } from '../lib/clock.js';
import { createThrottle, throttledWarn, type Logger } from '../lib/log.js';
import type { SenderCounters } from '../sender/sender.js';
import type { DropReason, WalStats } from '../wal/wal.js';
import { createDropLog } from './drop-log.js';
import { createHistoryRing } from './history.js';
import type { EndpointView } from './sender-metrics.js';
import {
  catchUpAfterMs, catchUpEtaSeconds, classifyEndpoint, LOSS_HORIZON_MS, LOSS_WINDOW_MS, ratePerSecond, secondsUntilFull, worstState,
  type EndpointHistory, type EndpointReport, type Loss, type StateRules, type StatusDocument, type WalReport,
} from './status-model.js';

/** The configured values the rules depend on (OUTPOST_WAL_*, OUTPOST_QUEUE_*, the uplink cap). */
export interface StatusSettings {
  walMaxBytes: number;
  retentionMs: number;
  batchSendDeadlineMs: number;
  commitIntervalMs: number;
  /** 0: no cap. */
  maxBytesPerSecond: number;
}

/** Where the collector reads; it owns none of it. Endpoint views come in the order of `urls`. */
export interface StatusCollectorOptions {
  version: string;
  hostname: string;
  clock: Clock;
  settings: StatusSettings;
  /** The endpoints configured (without credentials), known before their senders start. */
  urls: readonly string[];
  /** Null until the WAL is open. */
  walStats(): WalStats | null;
  inputs(): InputStatus[];
  /** Empty until the senders started. */
  endpoints(): EndpointView[];
  /** For a sample that fails on the timer (a child logger carrying the component). */
  log: Logger;
  /** Default 15 s: the scrape interval a Prometheus user expects of a chart. */
  sampleIntervalMs?: number;
  /** Default 1440: six hours at 15 s, "the last hours" of a shift, ~50 KB per endpoint. */
  historyPoints?: number;
}

/** The status source of the server and the page. */
export interface StatusCollector {
  /** The WAL's `onDrop` hook: remembers the drop and which endpoints had not delivered it. */
  recordDrop(reason: DropReason, samples: number, fromMs: number | null, toMs: number | null): void;
  /** Returns counters that forward to `counters` and let the collector see deliveries and refusals of `url`. */
  observeSender(url: string, counters: SenderCounters): SenderCounters;
  /** Adds one row to the history now; `start()` does it on a timer. */
  sample(): void;
  /**
   * Samples at once, then every interval (the timer does not keep the process alive). A sample
   * that throws (the WAL failing to read) is skipped and logged: a gap in a chart, not a crash.
   */
  start(): void;
  stop(): void;
  /** The status document at this moment; chart data only when `withHistory`. */
  document(withHistory: boolean): StatusDocument;
}

// Rates for the ETA follow the last minute (a link that comes back shows within it); the WAL's
// growth is taken over five, because SQLite grows its files in steps and checkpoints shrink them.
const RATE_WINDOW_MS = 60_000;
const GROWTH_WINDOW_MS = 5 * 60_000;
// Ring columns: time, WAL bytes, samples appended, then per endpoint these four.
const T = 0, WAL_BYTES = 1, APPENDED = 2, GLOBAL_COLUMNS = 3;
const BACKLOG = 0, LAG = 1, SENT_SAMPLES = 2, SENT_BYTES = 3, ENDPOINT_COLUMNS = 4;

/** Creates the collector; nothing is sampled until `start()` or `sample()`. */
export function createStatusCollector(options: StatusCollectorOptions): StatusCollector {
  const { clock, settings, urls } = options;
  const intervalMs = options.sampleIntervalMs ?? 15_000;
  const ring = createHistoryRing(options.historyPoints ?? 1440, GLOBAL_COLUMNS + ENDPOINT_COLUMNS * urls.length);
  const drops = createDropLog();
  const sent = urls.map(() => ({ samples: 0, bytes: 0 }));
  const refusals: Array<Loss | null> = urls.map(() => null);
  const startedMs = clock.now();
  let timer: NodeJS.Timeout | undefined;
  const rules = (nowMs: number): StateRules => ({
    nowMs, catchUpAfterMs: catchUpAfterMs(settings.batchSendDeadlineMs, settings.commitIntervalMs),
    retentionMs: settings.retentionMs, lossWindowMs: LOSS_WINDOW_MS, lossHorizonMs: LOSS_HORIZON_MS,
  });

  /** The current values in ring layout (NaN where unknown). */
  function frame(nowMs: number, wal: WalStats | null, views: EndpointView[]): number[] {
    const row = [nowMs, wal?.bytes ?? NaN, wal?.samplesAppended ?? NaN];
    urls.forEach((url, i) => {
      const backlog = views.find((v) => v.url === url)?.backlog() ?? null;
      const oldest = backlog?.oldestTimestampMs ?? null;
      const lag = backlog === null ? NaN : backlog.samples > 0 && oldest !== null ? Math.max(0, nowMs - oldest) / 1000 : 0;
      row.push(backlog?.samples ?? NaN, lag, sent[i]!.samples, sent[i]!.bytes);
    });
    return row;
  }

  function sample(): void {
    ring.push(frame(clock.now(), options.walStats(), options.endpoints()));
  }

  /** Rate of column `column` from the newest row at least `windowMs` old (else the oldest) to `current`. */
  function rate(current: number[], column: number, windowMs: number): number | null {
    if (ring.size === 0) return null;
    let index = ring.size - 1;
    while (index > 0 && ring.value(index, T) > current[T]! - windowMs) index--;
    return ratePerSecond(current[column]!, current[T]!, ring.value(index, column), ring.value(index, T));
  }

  /** The latest loss of endpoint `i`: a WAL drop it had not delivered or a refusal, within the loss window or not. */
  function lastLoss(i: number): Loss | null {
    const drop = drops.recent().find((d) => d.endpoints === null || d.endpoints.includes(urls[i]!));
    const fromWal: Loss | null = drop === undefined ? null : { atMs: drop.atMs, samples: drop.samples, why: drop.reason };
    const refused = refusals[i] ?? null;
    if (fromWal === null || refused === null) return fromWal ?? refused;
    return refused.atMs > fromWal.atMs ? refused : fromWal;
  }

  function walReport(wal: WalStats, current: number[], nowMs: number, endpointFullIn: Array<number | null>): WalReport {
    const growth = rate(current, WAL_BYTES, GROWTH_WINDOW_MS);
    const soonest = endpointFullIn.reduce<number | null>((min, s) => (s !== null && (min === null || s < min) ? s : min), null);
    const oldest = wal.oldestUndeliveredTimestampMs;
    return {
      segments: wal.segments,
      bytes: wal.bytes,
      budgetBytes: settings.walMaxBytes,
      budgetUsedRatio: wal.bytes / settings.walMaxBytes,
      retentionSeconds: settings.retentionMs / 1000,
      series: wal.series,
      pendingSamples: wal.pendingSamples,
      samplesAppended: wal.samplesAppended,
      incomingSamplesPerSecond: rate(current, APPENDED, RATE_WINDOW_MS),
      growthBytesPerSecond: growth,
      oldestUndelivered: iso(oldest),
      oldestUndeliveredAgeSeconds: oldest === null ? null : Math.max(0, nowMs - oldest) / 1000,
      timeUntilFullSeconds: urls.length === 0 ? secondsUntilFull(settings.walMaxBytes, wal.bytes, growth) : soonest,
      dropped: { ...wal.dropped },
      recentDrops: drops.recent().map((d) => ({ reason: d.reason, samples: d.samples, from: iso(d.fromMs), to: iso(d.toMs), at: iso(d.atMs)!, endpoints: d.endpoints })),
    };
  }

  function endpointReport(i: number, view: EndpointView, wal: WalStats, current: number[], nowMs: number): EndpointReport {
    const status = view.status();
    const base = GLOBAL_COLUMNS + ENDPOINT_COLUMNS * i;
    const backlogSamples = current[base + BACKLOG]!;
    const backlogAgeMs = backlogSamples > 0 ? current[base + LAG]! * 1000 : null;
    const r = rules(nowMs);
    const lagging = backlogAgeMs !== null && backlogAgeMs > r.catchUpAfterMs;
    const eta = status.up && lagging
      ? catchUpEtaSeconds({
        backlogSamples,
        wireBytesPerSample: sent[i]!.samples > 0 ? sent[i]!.bytes / sent[i]!.samples : null,
        bandwidthBytesPerSecond: status.bandwidthBytesPerSecond,
        sentBytesPerSecond: rate(current, base + SENT_BYTES, RATE_WINDOW_MS),
        maxBytesPerSecond: settings.maxBytesPerSecond,
        incomingSamplesPerSecond: rate(current, APPENDED, RATE_WINDOW_MS) ?? 0,
      })
      : null;
    // The budget fills on this endpoint's account only while it falls behind: failing, or
    // lagging on a link slower than the input. What an online endpoint leaves is truncated as delivered.
    const fullIn = (!status.up || lagging) && eta === null ? secondsUntilFull(settings.walMaxBytes, wal.bytes, rate(current, WAL_BYTES, GROWTH_WINDOW_MS)) : null;
    const { state, reason } = classifyEndpoint({ up: status.up, lastError: status.lastError, backlogAgeMs, lastLoss: lastLoss(i), budgetFullInSeconds: fullIn }, r);
    return {
      url: view.url, name: view.name, state, stateReason: reason, up: status.up, shards: status.shards,
      protocol: status.protocol, learnedAgeLimitSeconds: status.learnedAgeLimitMs === null ? null : status.learnedAgeLimitMs / 1000,
      backlogSamples, backlogAgeSeconds: backlogAgeMs === null ? null : backlogAgeMs / 1000,
      sendRateSamplesPerSecond: rate(current, base + SENT_SAMPLES, RATE_WINDOW_MS),
      bandwidthBytesPerSecond: status.bandwidthBytesPerSecond,
      catchUpEtaSeconds: eta, timeUntilBudgetFullSeconds: fullIn,
      lastSuccess: iso(status.lastSuccessMs), lastError: status.lastError,
    };
  }

  /** Chart columns: the ring plus the current values as the newest point (when a second has passed). */
  function historyRows(current: number[]): number[][] {
    const rows: number[][] = [];
    for (let i = 0; i < ring.size; i++) rows.push(Array.from({ length: ring.width }, (_, c) => ring.value(i, c)));
    if (rows.length === 0 || current[T]! - rows.at(-1)![T]! >= 1000) rows.push(current);
    return rows;
  }

  function endpointHistory(rows: number[][], i: number): EndpointHistory {
    const base = GLOBAL_COLUMNS + ENDPOINT_COLUMNS * i;
    return {
      t: rows.map((row) => row[T]!),
      backlogSamples: rows.map((row) => known(row[base + BACKLOG]!)),
      lagSeconds: rows.map((row) => known(Math.round(row[base + LAG]! * 10) / 10)),
      sentBytesPerSecond: rows.map((row, k) => {
        const before = rows[k - 1];
        const r = before === undefined ? null : ratePerSecond(row[base + SENT_BYTES]!, row[T]!, before[base + SENT_BYTES]!, before[T]!);
        return r === null ? null : Math.round(r);
      }),
    };
  }

  return {
    recordDrop(reason, samples, fromMs, toMs) {
      const views = options.endpoints();
      // An endpoint that delivered samples newer than the range had delivered the range (oldest first).
      const endpoints = toMs === null || views.length === 0 ? null
        : views.filter((v) => (v.status().newestSentTimestampMs ?? -Infinity) < toMs).map((v) => v.url);
      drops.record({ reason, samples, fromMs, toMs, endpoints }, clock.now());
    },

    observeSender(url, counters) {
      const i = urls.indexOf(url);
      if (i === -1) throw new Error(`status collector: unknown endpoint ${url}`);
      return {
        ...counters,
        sent(samples, bytes) {
          sent[i]!.samples += samples;
          sent[i]!.bytes += bytes;
          counters.sent(samples, bytes);
        },
        rejected(reason, samples) {
          // Out-of-order answers are what a receiver says to samples it already has (resent after
          // a restart: delivery is at-least-once), so they are not a loss.
          if (reason !== 'out_of_order') {
            const now = clock.now();
            const previous = refusals[i];
            const ongoing = previous !== null && previous !== undefined && now - previous.atMs <= LOSS_WINDOW_MS;
            refusals[i] = { atMs: now, samples: (ongoing ? previous.samples : 0) + samples, why: `refused: ${reason}` };
          }
          counters.rejected(reason, samples);
        },
      };
    },

    sample,

    start() {
      const throttle = createThrottle(60_000, clock.now);
      const tick = (): void => {
        try {
          sample();
        } catch (error) {
          throttledWarn(options.log, throttle, 'sample', { err: error }, 'status history sample failed; the charts get a gap');
        }
      };
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },

    stop() {
      clearInterval(timer);
    },

    document(withHistory) {
      const nowMs = clock.now();
      const wal = options.walStats();
      const views = options.endpoints();
      const current = frame(nowMs, wal, views);
      const endpoints = wal === null ? [] : views.map((v) => endpointReport(urls.indexOf(v.url), v, wal, current, nowMs));
      const walDoc = wal === null ? null : walReport(wal, current, nowMs, endpoints.map((e) => e.timeUntilBudgetFullSeconds));
      const doc: StatusDocument = {
        version: options.version,
        hostname: options.hostname,
        generatedAt: iso(nowMs)!,
        startedAt: iso(startedMs)!,
        ...overall(walDoc, endpoints, nowMs),
        inputs: options.inputs().map((s) => ({ name: s.name, up: s.up, lastSuccess: iso(s.lastSuccessMs), lastError: s.lastError })),
        wal: walDoc,
        endpoints,
      };
      if (withHistory) {
        const rows = historyRows(current);
        endpoints.forEach((e, k) => (e.history = endpointHistory(rows, urls.indexOf(views[k]!.url))));
        doc.history = { intervalSeconds: intervalMs / 1000, t: rows.map((row) => row[T]!), walBytes: rows.map((row) => known(row[WAL_BYTES]!)) };
      }
      return doc;
    },
  };

  /** The gateway's state: the worst endpoint's; in offline mode the WAL judged as an endpoint that is never up. */
  function overall(wal: WalReport | null, endpoints: EndpointReport[], nowMs: number): Pick<StatusDocument, 'state' | 'stateReason'> {
    if (wal === null) return { state: 'offline-buffering', stateReason: 'starting: the WAL is not open yet' };
    if (urls.length > 0) {
      const state = worstState(endpoints.map((e) => e.state));
      const worst = endpoints.find((e) => e.state === state);
      if (worst === undefined) return { state, stateReason: 'starting the senders' };
      return { state, stateReason: endpoints.length > 1 ? `${worst.url}: ${worst.stateReason}` : worst.stateReason };
    }
    const drop = drops.recent()[0];
    const ageMs = wal.oldestUndeliveredAgeSeconds === null ? null : wal.oldestUndeliveredAgeSeconds * 1000;
    const { state, reason } = classifyEndpoint({
      up: false, lastError: null, backlogAgeMs: ageMs, budgetFullInSeconds: wal.timeUntilFullSeconds,
      lastLoss: drop === undefined ? null : { atMs: drop.atMs, samples: drop.samples, why: drop.reason },
    }, rules(nowMs));
    return { state, stateReason: state === 'losing-data' ? reason : 'offline mode (no OUTPOST_REMOTE_WRITE_URL): data is kept in the WAL' };
  }
}

function iso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/** NaN (unknown) as null, for JSON. */
function known(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
