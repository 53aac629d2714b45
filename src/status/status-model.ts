/**
 * The document of `GET /api/v1/status` and the pure rules behind it: the state of an endpoint,
 * the catch-up ETA and the time until the disk budget is full. No I/O and no clock of their own:
 * the collector (status-collector.ts) gathers the facts and passes the time in.
 *
 * States, checked in this order (the first that holds wins):
 * - `losing-data`: samples this endpoint had not delivered were dropped within the last
 *   `lossWindowMs` (WAL truncation by retention, disk budget or corruption, or refused by the
 *   endpoint for another reason than out-of-order), or a loss is due within `lossHorizonMs`: the
 *   disk budget fills while the endpoint stays behind, or its oldest undelivered sample reaches
 *   OUTPOST_WAL_RETENTION.
 * - `offline-buffering`: the last request failed (`up` false) and nothing is being lost.
 * - `catching-up`: requests succeed but the oldest undelivered sample is older than
 *   `catchUpAfterMs`, a few batch deadlines: more than a steady stream ever waits.
 * - `online`: delivering as data arrives.
 */

/** The state of an endpoint, from best to worst. */
export type EndpointState = 'online' | 'catching-up' | 'offline-buffering' | 'losing-data';

/** States ordered from best to worst; the gateway shows the worst of its endpoints. */
const STATE_ORDER: readonly EndpointState[] = ['online', 'catching-up', 'offline-buffering', 'losing-data'];

/** One input in the status document. Instants are ISO-8601 strings, durations seconds. */
export interface InputReport {
  name: string;
  up: boolean;
  lastSuccess: string | null;
  lastError: string | null;
}

/** One recent loss of undelivered samples from the WAL. */
export interface DropReport {
  reason: string;
  samples: number;
  /** Range of sample timestamps lost; null when unknown. */
  from: string | null;
  to: string | null;
  /** When it happened (the last time, for merged repeats). */
  at: string;
  /** Endpoints that had not delivered those samples; null: every endpoint. */
  endpoints: string[] | null;
}

/** The WAL in the status document. */
export interface WalReport {
  segments: number;
  bytes: number;
  /** OUTPOST_WAL_MAX_BYTES. */
  budgetBytes: number;
  /** bytes / budgetBytes (truncation starts slightly below 1: journal and reserve headroom). */
  budgetUsedRatio: number;
  retentionSeconds: number;
  series: number;
  pendingSamples: number;
  samplesAppended: number;
  incomingSamplesPerSecond: number | null;
  growthBytesPerSecond: number | null;
  oldestUndelivered: string | null;
  oldestUndeliveredAgeSeconds: number | null;
  /** Offline mode: at the current growth; with endpoints: the soonest of theirs. Null: not filling. */
  timeUntilFullSeconds: number | null;
  dropped: Record<string, number>;
  recentDrops: DropReport[];
}

/** Chart data of one endpoint, oldest first; `t` in epoch milliseconds, null where unknown. */
export interface EndpointHistory {
  t: number[];
  backlogSamples: Array<number | null>;
  lagSeconds: Array<number | null>;
  sentBytesPerSecond: Array<number | null>;
}

/** One remote-write endpoint in the status document. */
export interface EndpointReport {
  url: string;
  /** The endpoint's name: `cloud` for OUTPOST_ENDPOINT_CLOUD_URL, `remote-write-1`, … for the URLs of OUTPOST_REMOTE_WRITE_URL. */
  name: string;
  state: EndpointState;
  /** One sentence on why the state is what it is. */
  stateReason: string;
  up: boolean;
  shards: number;
  /** The protocol requests are sent in now ('1.0' after a fall back from 2.0). */
  protocol: string;
  /** The age beyond which samples are dropped before sending, learned from refusals; null when none. */
  learnedAgeLimitSeconds: number | null;
  backlogSamples: number;
  backlogAgeSeconds: number | null;
  sendRateSamplesPerSecond: number | null;
  bandwidthBytesPerSecond: number | null;
  catchUpEtaSeconds: number | null;
  timeUntilBudgetFullSeconds: number | null;
  lastSuccess: string | null;
  lastError: string | null;
  history?: EndpointHistory;
}

/** The whole document of `GET /api/v1/status` (`history` parts only with `?history=1`). */
export interface StatusDocument {
  version: string;
  hostname: string;
  generatedAt: string;
  startedAt: string;
  /** The worst endpoint state; in offline mode `offline-buffering` unless data is being lost. */
  state: EndpointState;
  stateReason: string;
  inputs: InputReport[];
  /** Null until the WAL is open (the server answers before). */
  wal: WalReport | null;
  endpoints: EndpointReport[];
  history?: { intervalSeconds: number; t: number[]; walBytes: Array<number | null> };
}

/** The most recent loss that concerns an endpoint. */
export interface Loss {
  atMs: number;
  samples: number;
  /** `retention`, `disk_budget`, `corruption`, or `refused: <reason>`. */
  why: string;
}

/** What `classifyEndpoint` looks at. */
export interface EndpointFacts {
  up: boolean;
  lastError: string | null;
  backlogAgeMs: number | null;
  lastLoss: Loss | null;
  /** Time until the disk budget is full while this endpoint stays behind; null if not filling. */
  budgetFullInSeconds: number | null;
}

/** The thresholds of the state rules. */
export interface StateRules {
  nowMs: number;
  catchUpAfterMs: number;
  retentionMs: number;
  lossWindowMs: number;
  lossHorizonMs: number;
}

/**
 * A loss counts for 10 minutes: long enough that a phone refreshing every few seconds, or a
 * Grafana panel at 1-minute resolution, cannot miss it; short enough to turn back once it stopped.
 */
export const LOSS_WINDOW_MS = 10 * 60_000;
/** A loss due within 10 minutes is shown now: that is about the time a person needs to react. */
export const LOSS_HORIZON_MS = 10 * 60_000;

/**
 * Backlog age past which an endpoint that answers is `catching-up`: a sample waits at most a
 * batch deadline for its window to fill, plus a commit interval before the sender sees it; three
 * deadlines leave room for the request itself and a slow round.
 */
export function catchUpAfterMs(batchSendDeadlineMs: number, commitIntervalMs: number): number {
  return 3 * batchSendDeadlineMs + commitIntervalMs;
}

/** Applies the state rules of the header; returns the state and a sentence saying why. */
export function classifyEndpoint(facts: EndpointFacts, rules: StateRules): { state: EndpointState; reason: string } {
  const { lastLoss, backlogAgeMs, budgetFullInSeconds } = facts;
  if (lastLoss !== null && rules.nowMs - lastLoss.atMs <= rules.lossWindowMs) {
    return { state: 'losing-data', reason: `${lastLoss.samples} undelivered samples lost (${lastLoss.why}) ${formatSeconds((rules.nowMs - lastLoss.atMs) / 1000)} ago` };
  }
  if (budgetFullInSeconds !== null && budgetFullInSeconds * 1000 <= rules.lossHorizonMs) {
    return { state: 'losing-data', reason: `the disk budget will be full in ${formatSeconds(budgetFullInSeconds)}; the oldest data will then be dropped` };
  }
  if (backlogAgeMs !== null && backlogAgeMs >= rules.retentionMs - rules.lossHorizonMs) {
    const left = Math.max(0, rules.retentionMs - backlogAgeMs) / 1000;
    return { state: 'losing-data', reason: `the oldest undelivered sample reaches the retention limit in ${formatSeconds(left)}` };
  }
  if (!facts.up) {
    return { state: 'offline-buffering', reason: `requests are failing (${facts.lastError ?? 'no answer'}); data is kept in the WAL` };
  }
  if (backlogAgeMs !== null && backlogAgeMs > rules.catchUpAfterMs) {
    return { state: 'catching-up', reason: `delivering a backlog ${formatSeconds(backlogAgeMs / 1000)} old` };
  }
  return { state: 'online', reason: 'delivering data as it arrives' };
}

/** What `catchUpEtaSeconds` needs; rates per second, null where not measured yet. */
export interface CatchUpInputs {
  backlogSamples: number;
  /** Compressed bytes a sample takes on the wire, as sent so far. */
  wireBytesPerSample: number | null;
  /** The link as measured per request (EWMA). */
  bandwidthBytesPerSecond: number | null;
  /** Bytes actually delivered per second recently. */
  sentBytesPerSecond: number | null;
  /** OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND; 0 means no cap. */
  maxBytesPerSecond: number;
  incomingSamplesPerSecond: number;
}

/**
 * Seconds until the backlog is delivered: backlog bytes / (link capacity − bytes arriving).
 * The capacity is the larger of the per-request measurement and what was really delivered lately
 * (both are lower bounds: one measures a single shard with its round trips, the other only what
 * there was to send), capped by the configured uplink budget. Null when nothing was measured yet
 * or the link is not faster than the input (the backlog would never shrink).
 */
export function catchUpEtaSeconds(p: CatchUpInputs): number | null {
  if (p.backlogSamples <= 0) return 0;
  if (p.wireBytesPerSample === null || p.wireBytesPerSample <= 0) return null;
  const measured = Math.max(p.bandwidthBytesPerSecond ?? 0, p.sentBytesPerSecond ?? 0);
  const capacity = p.maxBytesPerSecond > 0 ? Math.min(measured, p.maxBytesPerSecond) : measured;
  const net = capacity - p.incomingSamplesPerSecond * p.wireBytesPerSample;
  if (!(net > 0)) return null;
  return (p.backlogSamples * p.wireBytesPerSample) / net;
}

/** Seconds until `bytes` reaches `budgetBytes` growing at `growthBytesPerSecond`; null when not growing. */
export function secondsUntilFull(budgetBytes: number, bytes: number, growthBytesPerSecond: number | null): number | null {
  if (growthBytesPerSecond === null || !(growthBytesPerSecond > 0)) return null;
  return Math.max(0, budgetBytes - bytes) / growthBytesPerSecond;
}

/** Per-second rate of a counter or gauge between two readings; null when less than a second apart. */
export function ratePerSecond(nowValue: number, nowMs: number, thenValue: number, thenMs: number): number | null {
  const seconds = (nowMs - thenMs) / 1000;
  if (!(seconds >= 1) || !Number.isFinite(nowValue) || !Number.isFinite(thenValue)) return null;
  return (nowValue - thenValue) / seconds;
}

/** The worst of `states` (see STATE_ORDER); `online` for none. */
export function worstState(states: readonly EndpointState[]): EndpointState {
  let worst = 0;
  for (const s of states) worst = Math.max(worst, STATE_ORDER.indexOf(s));
  return STATE_ORDER[worst]!;
}

/** A duration for a sentence: `45 s`, `12 min`, `3.5 h`, `2.1 d`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}
