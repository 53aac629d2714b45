import { hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { Config } from './config/env.js';
import { createInputs, type Inputs } from './inputs/inputs.js';
import type { PollingInput, StreamingInput } from './inputs/input.js';
import { createHostInput } from './inputs/host/index.js';
import { createScrapeInput } from './inputs/scrape/scraper.js';
import { createSelfMetricsInput } from './inputs/self-input.js';
import { createRelabelingAppender } from './relabel/relabeling-appender.js';
import { systemClock } from './lib/clock.js';
import { repeat } from './lib/repeat.js';
import type { Logger } from './lib/log.js';
import { readVersion } from './lib/version.js';
import { startMemoryGuard, type MemoryGuardCounters } from './lib/memory-guard.js';
import { createOwnMetrics } from './status/own-metrics.js';
import { renderStatusPage, STATUS_PAGE_CSP } from './status/page/page.js';
import { createStatusCollector } from './status/status-collector.js';
import { createStatusServer, type HttpAddress } from './status/server.js';
import { openSqliteWal } from './wal/sqlite-wal.js';
import { startEndpoints } from './sender/endpoints.js';
import { createTransport } from './sender/transport.js';
import { registerSenderMetrics, type EndpointView } from './status/sender-metrics.js';
import type { Wal } from './wal/wal.js';

/** A running Outpost; `stop()` runs the ordered shutdown once (later calls wait for the first). */
export interface RunningOutpost {
  readonly httpAddress: HttpAddress;
  stop(): Promise<void>;
}

// Own metrics are written to the WAL every 15 s, the interval Prometheus scrapes at by default.
const SELF_METRICS_INTERVAL_MS = 15_000;

/**
 * The group commit ticks this far into the commit interval (at most COMMIT_AFTER_POLL_MS) after
 * the polling inputs', which start with it. Inputs mostly poll on a multiple of the commit interval
 * (1 s scrapes, 15 s host metrics, against a 1 s commit): a commit on their own ticks came just
 * before each round had appended, so every polled sample waited almost a whole interval to be
 * durable and sent (measured with 1 s scrapes: 0.98 s, p99 1.01 s, from scrape to receiver). A
 * round that ends within the offset is now committed at once; one that takes longer waits up to an
 * interval, as before. The number of commits does not change.
 */
const COMMIT_AFTER_POLL = 0.25;
const COMMIT_AFTER_POLL_MS = 250;

/**
 * Builds and starts the pipeline: WAL, group-commit timer, inputs, status server with its API and
 * page (fed by the status collector). Shutdown order (docs/reference.md): stop inputs, final commit,
 * senders get a deadline, close the database.
 */
export async function startOutpost(config: Config, log: Logger): Promise<RunningOutpost> {
  const clock = systemClock;
  let wal: Wal | null = null;
  let inputs: Inputs | null = null;
  let ready = false;
  let endpoints: EndpointView[] = [];
  const walStats = () => wal?.stats() ?? null;
  const inputStatus = () => inputs?.status() ?? [];
  const own = createOwnMetrics(readVersion(), config.wal.maxBytes, config.process.memoryLimitBytes, { walStats, inputs: inputStatus });
  const rw = config.remoteWrite;
  const transports = rw.endpoints.map((e) => createTransport({
    url: e.url, auth: e.auth, headers: e.headers, tls: e.tls, timeoutMs: e.timeoutMs,
    retryOnHttp429: e.queue.retryOnHttp429, maxSockets: e.queue.maxShards, clock, log: log.child({ component: 'sender', endpoint: e.name }),
  }));
  const statusLog = log.child({ component: 'status' });
  const status = createStatusCollector({
    version: readVersion(), hostname: hostname(), clock,
    settings: {
      walMaxBytes: config.wal.maxBytes, retentionMs: config.wal.retentionMs, commitIntervalMs: config.wal.commitIntervalMs,
      batchSendDeadlineMs: rw.queue.batchSendDeadlineMs, maxBytesPerSecond: rw.maxBytesPerSecond,
    },
    urls: transports.map((t) => t.url), walStats, inputs: inputStatus, endpoints: () => endpoints, log: statusLog,
  });
  const server = createStatusServer({
    address: { host: config.http.host, port: config.http.port },
    registry: own.registry,
    isReady: () => ready,
    log: statusLog,
    status: (query) => status.document(query.get('history') === '1'),
    page: () => ({ html: renderStatusPage(status.document(true)), headers: { 'Content-Security-Policy': STATUS_PAGE_CSP } }),
  });
  const httpAddress = await server.start();
  try {
    wal = openSqliteWal({
      // Each endpoint's cursor is named by its URL without credentials.
      consumers: transports.map((t) => t.url),
      dir: config.wal.dataDir,
      segmentDurationMs: config.wal.segmentDurationMs,
      retentionMs: config.wal.retentionMs,
      maxBytes: config.wal.maxBytes,
      maxSeries: config.maxSeries,
      clock,
      log,
      counters: own.walCounters,
      onDrop: (...drop) => status.recordDrop(...drop),
    });
  } catch (error) {
    await server.close();
    throw error;
  }
  const openWal = wal;
  const metricsFor = registerSenderMetrics(own.registry, () => endpoints, () => openWal.newestTimestampMs());
  const senders = startEndpoints(config, openWal, transports, (url, name) => status.observeSender(url, metricsFor(url, name)), clock, log);
  endpoints = senders.views;
  status.start();
  // Every input writes through the relabel rules; the cache may hold twice the series cap.
  const appender = createRelabelingAppender(openWal, config.relabelRules, 2 * config.maxSeries);
  // The poller logs as 'inputs'; scrape and MQTT inputs bind their own component (and target/broker).
  const inputLog = log.child({ component: 'inputs' });
  const polling: Array<{ input: PollingInput; intervalMs: number }> = [];
  const streaming: StreamingInput[] = [];
  if (config.hostMetrics.enabled) polling.push({ input: createHostInput(), intervalMs: config.hostMetrics.intervalMs });
  if (config.selfMetrics) polling.push({ input: createSelfMetricsInput(own.registry, hostname()), intervalMs: SELF_METRICS_INTERVAL_MS });
  for (const target of config.scrape.targets) {
    polling.push({ input: createScrapeInput(target, { timeoutMs: config.scrape.timeoutMs, log }), intervalMs: config.scrape.intervalMs });
  }
  if (config.mqtt.url !== null) {
    // Loaded only when used: the MQTT client alone adds ~20 MiB of RSS.
    const { createMqttInput } = await import('./inputs/mqtt/mqtt-input.js');
    streaming.push(createMqttInput({ config: config.mqtt, log, counters: own.mqttCounters, clock }));
  }
  const activeInputs = createInputs({ polling, streaming }, appender, clock, inputLog);
  inputs = activeInputs;
  const commitInterval = config.wal.commitIntervalMs;
  const stopCommits = repeat(commitInterval, () => openWal.commit(), Math.min(COMMIT_AFTER_POLL_MS, commitInterval * COMMIT_AFTER_POLL));
  await activeInputs.start();
  ready = true;
  const endpointNames = rw.endpoints.map((e) => e.name);
  log.info({ http: `${httpAddress.host}:${httpAddress.port}`, dataDir: config.wal.dataDir, endpoints: endpointNames.length, endpointNames }, endpointNames.length === 0 ? 'Outpost running in offline mode: buffering to the WAL' : 'Outpost running');

  let stopping: Promise<void> | null = null;
  const stopMemoryGuard = guardMemory(config.process.memoryLimitBytes, own.memoryCounters, log.child({ component: 'memory' }), () => {
    activeInputs.shedCaches();
    senders.shedCaches();
  });
  return {
    httpAddress,
    stop() {
      stopping ??= (async () => {
        // OUTPOST_SHUTDOWN_TIMEOUT counts from the signal, not from when the inputs have stopped.
        const deadline = clock.now() + config.process.shutdownTimeoutMs;
        ready = false;
        status.stop();
        stopMemoryGuard();
        // Inputs stop while the commit timer still runs: streaming inputs' acks wait for their commit.
        await activeInputs.stop();
        stopCommits();
        const { committed } = openWal.commit();
        log.info({ committed }, 'inputs stopped; final commit done');
        await senders.stop(deadline);
        openWal.close();
        await server.close();
      })();
      return stopping;
    },
  };
}

/**
 * Starts the memory guard when OUTPOST_MEMORY_LIMIT is set (`limitBytes` > 0); returns its stop
 * function. Warns when V8's heap is not capped below the limit, i.e. Outpost was not started by its
 * launcher, which is what sets the cap.
 */
function guardMemory(limitBytes: number, counters: MemoryGuardCounters, log: Logger, shedCaches: () => void): () => void {
  if (limitBytes === 0) return () => {};
  const heapLimitBytes = getHeapStatistics().heap_size_limit;
  if (heapLimitBytes > limitBytes) {
    log.warn({ limitBytes, heapLimitBytes }, 'OUTPOST_MEMORY_LIMIT is set but the JS heap is not capped below it: start Outpost with bin/outpost (it passes --max-old-space-size), or pass that flag to node yourself; until then only the caches are kept within the limit');
  }
  return startMemoryGuard({ limitBytes, counters, log, clock: systemClock, shedCaches });
}
