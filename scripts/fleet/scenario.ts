/**
 * The central-outage scenario, reusable by `npm run fleet` and the integration test:
 *
 *  1. start the store (a real VictoriaMetrics), the proxy in front of it, the synthetic exporter
 *     and N gateways; let them warm up, then measure the fleet's steady rate and each gateway's
 *     steady RSS;
 *  2. take the store away for the outage (connection refused or 503);
 *  3. bring it back with a capacity of `capacityFactor` × the steady rate and watch every gateway
 *     catch up: a gateway has caught up once the store holds every synthetic sample it was served
 *     before the return;
 *  4. stop the input, let the last samples arrive and count, per gateway, what the store holds
 *     against what was served.
 *
 * Figures: the backlog is every sample (all series, own metrics too) dated before the return and
 * accepted after the outage began; the theoretical drain is backlog ÷ (capacity − steady rate).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startVictoriaMetrics, type VictoriaMetricsServer } from '../../test/helpers/victoria-metrics.js';
import { startCentralProxy, type CentralProxy, type ProxyState } from './central-proxy.js';
import { startGateway, type Collector, type Gateway } from './gateways.js';
import { storeBase, storedSamples, type StoredCount } from './store-counts.js';
import { startSyntheticExporter, SYNTHETIC_METRIC, type SyntheticExporter } from './synthetic-exporter.js';

/** What to run. */
export interface FleetOptions {
  collector: Collector;
  gateways: number;
  /** Synthetic series per gateway. */
  series: number;
  intervalSeconds: number;
  /** Before the steady rate is measured: startup, first scrapes. */
  warmupSeconds: number;
  /** Over which the steady rate and RSS are measured. */
  steadySeconds: number;
  outageSeconds: number;
  /** How the store is down: nothing listening, or a 503 from the proxy. */
  down: Exclude<ProxyState, 'up'>;
  /** The capacity after the return, as a multiple of the fleet's steady rate. */
  capacityFactor: number;
  /** Seconds of capacity the proxy's bucket holds. */
  burstSeconds: number;
  /** How long the catch-up may take before the run gives up on it. */
  drainTimeoutSeconds: number;
  /** Kept running after the last gateway caught up, for the herd figures after the return. */
  settleSeconds: number;
  /** Working directory: the store's and every gateway's data, logs. */
  dir: string;
  /** Extra environment of every Outpost. */
  env?: Record<string, string>;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Called with the fleet still running after the last samples arrived (the dashboard check). */
  whileRunning?: (fleet: RunningFleet) => Promise<void>;
}

/** The fleet as `whileRunning` sees it. */
export interface RunningFleet {
  store: VictoriaMetricsServer;
  storeUrl: string;
  gateways: readonly Gateway[];
}

/** One gateway's row of the table. */
export interface GatewayRow {
  gateway: string;
  served: number;
  /** Synthetic samples the store acknowledged, as the proxy saw them. */
  delivered: number;
  stored: number;
  lost: number;
  storedDuplicates: number;
  duplicates: number;
  outOfOrder: number;
  backlog: number;
  /** Seconds from the return until it had caught up; null when it never did. */
  catchUpSeconds: number | null;
  steadyRssMiB: number;
  peakRssMiB: number;
}

/** The figures of a run (the JSON line). */
export interface FleetReport {
  collector: Collector;
  gateways: number;
  series: number;
  interval_s: number;
  outage_s: number;
  down: string;
  steady_samples_per_s: number;
  capacity_samples_per_s: number;
  backlog_samples: number;
  drain_min_s: number;
  drain_s: number | null;
  drain_ratio: number | null;
  catch_up_median_s: number | null;
  catch_up_max_s: number | null;
  fairness_ratio: number | null;
  lost_samples: number;
  gateways_losing: number;
  duplicates: number;
  out_of_order: number;
  requests_first_60s: number;
  throttled_share_first_60s: number;
  requests_after_60s: number;
  throttled_share_after_60s: number;
  rss_sum_steady_mib: number;
  rss_sum_peak_mib: number;
  rss_growth_max_mib: number;
}

const MiB = 1024 * 1024;
const RSS_EVERY_MS = 2_000;

/** Runs the scenario; everything it started is stopped when it returns or throws. */
export async function runFleet(options: FleetOptions): Promise<{ report: FleetReport; rows: GatewayRow[] }> {
  const log = options.log ?? (() => undefined);
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const store = await startVictoriaMetrics(options.dir);
    cleanup.push(() => store.stop());
    const proxy = await startCentralProxy({ target: store.writeUrl, burstSeconds: options.burstSeconds, syntheticPrefix: SYNTHETIC_METRIC });
    cleanup.push(() => proxy.close());
    const exporter = await startSyntheticExporter(options.series);
    cleanup.push(() => exporter.close());
    const names = Array.from({ length: options.gateways }, (_, i) => `gw${String(i + 1).padStart(2, '0')}`);
    log(`starting ${names.length} ${options.collector} gateways`);
    const gateways = await Promise.all(names.map((name) => startGateway({
      collector: options.collector, name, dir: join(options.dir, name), writeUrl: proxy.url,
      scrapeUrl: exporter.urlOf(name), scrapeIntervalSeconds: options.intervalSeconds, env: options.env,
    }).then((g) => {
      cleanup.push(() => g.stop());
      return g;
    })));
    return await scenario(options, log, store, proxy, exporter, gateways);
  } finally {
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
  }
}

async function scenario(options: FleetOptions, log: (line: string) => void, store: VictoriaMetricsServer, proxy: CentralProxy, exporter: SyntheticExporter, gateways: Gateway[]): Promise<{ report: FleetReport; rows: GatewayRow[] }> {
  const rss = new Map(gateways.map((g) => [g.name, [] as Array<{ at: number; bytes: number }>]));
  const fleetRss: Array<{ at: number; bytes: number }> = [];
  const rssTimer = setInterval(() => {
    const at = Date.now();
    let sum = 0;
    for (const g of gateways) {
      const bytes = g.rss();
      sum += bytes;
      rss.get(g.name)!.push({ at, bytes });
    }
    fleetRss.push({ at, bytes: sum });
  }, RSS_EVERY_MS);
  try {
    log(`warming up for ${options.warmupSeconds} s`);
    await sleep(options.warmupSeconds * 1000);
    const steadyFrom = Date.now();
    const acceptedBefore = proxy.acceptedSamples();
    await sleep(options.steadySeconds * 1000);
    const steadyTo = Date.now();
    const steadyRate = ((proxy.acceptedSamples() - acceptedBefore) * 1000) / (steadyTo - steadyFrom);
    const capacity = Math.round(steadyRate * options.capacityFactor);
    log(`steady rate ${steadyRate.toFixed(0)} samples/s; central outage (${options.down}) for ${options.outageSeconds} s`);

    const deliveredBeforeOutage = new Map(gateways.map((g) => [g.name, proxy.delivery(g.name).samplesBeforeMark]));
    await proxy.setState(options.down);
    await sleep(options.outageSeconds * 1000);

    const returnAt = Date.now();
    proxy.setMark(returnAt);
    proxy.setCapacity(capacity);
    await proxy.setState('up');
    log(`store back with a capacity of ${capacity} samples/s`);
    const catchUp = new Map<string, number>();
    const drainDeadline = returnAt + options.drainTimeoutSeconds * 1000;
    while (catchUp.size < gateways.length && Date.now() < drainDeadline) {
      await sleep(250);
      for (const g of gateways) {
        if (!catchUp.has(g.name) && proxy.delivery(g.name).syntheticBeforeMark >= exporter.served(g.name, returnAt)) {
          catchUp.set(g.name, (Date.now() - returnAt) / 1000);
        }
      }
    }
    const drainedAt = Date.now();
    log(`${catchUp.size} of ${gateways.length} gateways caught up in ${((drainedAt - returnAt) / 1000).toFixed(1)} s`);
    await sleep(options.settleSeconds * 1000);
    const herdEnd = Date.now();

    // The last pages, then nothing: the store must end up with every sample served.
    exporter.stopServing();
    const flushDeadline = Date.now() + 60_000;
    while (Date.now() < flushDeadline && gateways.some((g) => proxy.delivery(g.name).synthetic < exporter.served(g.name))) await sleep(500);
    const undelivered = gateways.filter((g) => proxy.delivery(g.name).synthetic < exporter.served(g.name)).map((g) => g.name);
    if (undelivered.length > 0) log(`not everything served arrived within a minute of the last page: ${undelivered.join(', ')}`);
    clearInterval(rssTimer);
    await options.whileRunning?.({ store, storeUrl: storeBase(store.writeUrl), gateways });

    const rows: GatewayRow[] = [];
    for (const g of gateways) {
      const seen = proxy.delivery(g.name);
      const stored = await storedEventually(storeBase(store.writeUrl), g.name, seen.synthetic);
      const samples = rss.get(g.name)!;
      const steadyRss = maxOf(samples.filter((s) => s.at >= steadyFrom && s.at <= steadyTo).map((s) => s.bytes));
      const peakRss = maxOf(samples.filter((s) => s.at > steadyTo).map((s) => s.bytes));
      const served = exporter.served(g.name);
      rows.push({
        gateway: g.name, served, delivered: seen.synthetic, stored: stored.samples, lost: Math.max(0, served - stored.samples),
        storedDuplicates: stored.duplicates, duplicates: seen.duplicates, outOfOrder: seen.outOfOrder,
        backlog: seen.samplesBeforeMark - deliveredBeforeOutage.get(g.name)!,
        catchUpSeconds: catchUp.get(g.name) ?? null,
        steadyRssMiB: steadyRss / MiB, peakRssMiB: peakRss / MiB,
      });
    }
    return { report: summarise(options, rows, { steadyRate, capacity, returnAt, herdEnd, proxy, fleetRss, steadyFrom, steadyTo }), rows };
  } finally {
    clearInterval(rssTimer);
  }
}

/** The store's count for `gateway`, asked again for a few seconds while it is short of what it acknowledged. */
async function storedEventually(base: string, gateway: string, acknowledged: number): Promise<StoredCount> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const stored = await storedSamples(base, SYNTHETIC_METRIC, gateway);
    if (stored.samples >= acknowledged || Date.now() > deadline) return stored;
    await sleep(1000);
  }
}

interface Measured {
  steadyRate: number;
  capacity: number;
  returnAt: number;
  herdEnd: number;
  proxy: CentralProxy;
  fleetRss: Array<{ at: number; bytes: number }>;
  steadyFrom: number;
  steadyTo: number;
}

function summarise(options: FleetOptions, rows: GatewayRow[], m: Measured): FleetReport {
  const backlog = sum(rows.map((r) => r.backlog));
  const drainMin = backlog / (m.capacity - m.steadyRate);
  const times = rows.map((r) => r.catchUpSeconds);
  const complete = times.every((t) => t !== null);
  const sorted = (times.filter((t) => t !== null) as number[]).sort((a, b) => a - b);
  const drain = complete && sorted.length > 0 ? sorted[sorted.length - 1]! : null;
  const median = sorted.length === 0 ? null : sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const herd = (from: number, to: number): { requests: number; share: number } => {
    const answers = m.proxy.answers.filter((a) => a.at >= from && a.at < to);
    const throttled = answers.filter((a) => a.status === 429).length;
    return { requests: answers.length, share: answers.length === 0 ? 0 : throttled / answers.length };
  };
  const first = herd(m.returnAt, m.returnAt + 60_000);
  const after = herd(m.returnAt + 60_000, m.herdEnd);
  const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
  return {
    collector: options.collector,
    gateways: options.gateways,
    series: options.series,
    interval_s: options.intervalSeconds,
    outage_s: options.outageSeconds,
    down: options.down,
    steady_samples_per_s: round(m.steadyRate, 1),
    capacity_samples_per_s: m.capacity,
    backlog_samples: backlog,
    drain_min_s: round(drainMin, 1),
    drain_s: drain === null ? null : round(drain, 1),
    drain_ratio: drain === null ? null : round(drain / drainMin),
    catch_up_median_s: median === null ? null : round(median, 1),
    catch_up_max_s: sorted.length === 0 ? null : round(sorted[sorted.length - 1]!, 1),
    fairness_ratio: drain === null || median === null || median === 0 ? null : round(drain / median),
    lost_samples: sum(rows.map((r) => r.lost)),
    gateways_losing: rows.filter((r) => r.lost > 0).length,
    duplicates: sum(rows.map((r) => r.duplicates)),
    out_of_order: sum(rows.map((r) => r.outOfOrder)),
    requests_first_60s: first.requests,
    throttled_share_first_60s: round(first.share, 3),
    requests_after_60s: after.requests,
    throttled_share_after_60s: round(after.share, 3),
    rss_sum_steady_mib: round(maxOf(m.fleetRss.filter((s) => s.at >= m.steadyFrom && s.at <= m.steadyTo).map((s) => s.bytes)) / MiB, 1),
    rss_sum_peak_mib: round(maxOf(m.fleetRss.map((s) => s.bytes)) / MiB, 1),
    rss_growth_max_mib: round(Math.max(...rows.map((r) => r.peakRssMiB - r.steadyRssMiB)), 1),
  };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function maxOf(xs: number[]): number {
  return xs.reduce((a, b) => Math.max(a, b), 0);
}
