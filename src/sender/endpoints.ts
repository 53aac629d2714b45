import type { Config } from '../config/env.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { normalizeLabels, type Labels } from '../model/labels.js';
import { metadataOfMetric } from '../model/metadata.js';
import { readVersion } from '../lib/version.js';
import type { EndpointView } from '../status/sender-metrics.js';
import type { Wal, WalConsumer } from '../wal/wal.js';
import { createBandwidthEstimator } from './bandwidth.js';
import { createConcurrency } from './concurrency.js';
import type { Output } from './outputs/output.js';
import { createOutput } from './outputs/outputs.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { startSender, type Sender, type SenderCounters } from './sender.js';
import { createSharedBudget } from './shared-budget.js';
import type { Transport } from './transport.js';
import { createWireSeriesCache, type WireSeriesCache } from './wire-series.js';
import { withWriteRelabel } from './write-relabel.js';

type EndpointConfig = Config['remoteWrite']['endpoints'][number];

/** The running senders, one per endpoint, and what the status page and metrics read of them. */
export interface Endpoints {
  views: EndpointView[];
  /** Drops the wire series cache (OUTPOST_MEMORY_LIMIT); series are built again as they are sent. */
  shedCaches(): void;
  /** Stops every sender by `deadlineMs`, then closes the transports. */
  stop(deadlineMs: number): Promise<void>;
}

/**
 * Starts one sender per endpoint of `config.remoteWrite.endpoints`, `transports` in the same
 * order, each reading its own WAL cursor (named by the transport's URL, which has no credentials),
 * so a dead endpoint never holds back a live one. Each is sent with its own settings: protocol,
 * queue, external labels and write relabel rules, and its own byte cap, beside the cap of all
 * endpoints together, which those behind share fairly (shared-budget.ts).
 */
export function startEndpoints(config: Config, wal: Wal, transports: Transport[], countersFor: (url: string, name: string) => SenderCounters, clock: Clock, log: Logger): Endpoints {
  const rw = config.remoteWrite;
  if (transports.length !== rw.endpoints.length) throw new Error(`${transports.length} transports for ${rw.endpoints.length} endpoints`);
  const budget = createSharedBudget(rw.maxBytesPerSecond);
  const metadataOf = (name: string) => metadataOfMetric(name, (family) => wal.metadata(family));
  // Endpoints with the same external labels share their wire series (2.0 series carry their
  // family's metadata; 1.0 endpoints send it apart, see the sender).
  const wireCaches = new Map<string, WireSeriesCache>();
  const wireSeriesOf = (endpoint: EndpointConfig): WireSeriesCache => {
    const key = JSON.stringify(endpoint.externalLabels);
    let cache = wireCaches.get(key);
    if (cache === undefined) wireCaches.set(key, (cache = createWireSeriesCache((ref) => wal.labels(ref), externalLabels(endpoint), clock, undefined, metadataOf)));
    return cache;
  };
  const senders: Array<{ sender: Sender; transport: Transport; consumer: WalConsumer; name: string; output: Output }> = rw.endpoints.map((endpoint, i) => {
    const transport = transports[i]!;
    const consumer = wal.consumer(transport.url);
    // The endpoint's own cap matters only below the cap of all: above it, that one holds first.
    const ownCap = endpoint.maxBytesPerSecond > 0 && (rw.maxBytesPerSecond === 0 || endpoint.maxBytesPerSecond < rw.maxBytesPerSecond) ? endpoint.maxBytesPerSecond : 0;
    const senderLog = log.child({ component: 'sender', endpoint: endpoint.name, url: transport.url });
    const output = createOutput(endpoint.protocol, readVersion(), senderLog);
    const sender = startSender({
      url: transport.url,
      output,
      consumer,
      series: withWriteRelabel(wireSeriesOf(endpoint), endpoint.relabelRules, clock, metadataOf),
      transport,
      limiter: ownCap > 0 ? bothOf(createRateLimiter(ownCap), budget.share()) : budget.share(),
      bandwidth: createBandwidthEstimator(),
      concurrency: createConcurrency({ minShards: endpoint.queue.minShards, maxShards: endpoint.queue.maxShards }),
      queue: endpoint.queue,
      counters: countersFor(transport.url, endpoint.name),
      clock,
      log: senderLog,
      pollIntervalMs: config.wal.commitIntervalMs,
      metadata: () => wal.metadataFamilies(),
      afterCommit: (fn) => wal.afterCommit(fn),
      metered: rw.uplinkMetered,
      maxBytesPerSecond: ownCap > 0 ? ownCap : rw.maxBytesPerSecond,
    });
    return { sender, transport, consumer, name: endpoint.name, output };
  });
  return {
    views: senders.map(({ sender, transport, consumer, name, output }) => ({
      url: transport.url,
      name,
      protocols: output.protocols,
      status: () => sender.status(),
      backlog: () => consumer.backlog(),
    })),
    shedCaches() {
      for (const cache of wireCaches.values()) cache.clear();
    },
    async stop(deadlineMs) {
      await Promise.all(senders.map(({ sender }) => sender.stop(deadlineMs)));
      for (const { transport } of senders) transport.close();
    },
  };
}

function externalLabels(endpoint: EndpointConfig): Labels {
  const labels = normalizeLabels(Object.entries(endpoint.externalLabels).map(([name, value]) => ({ name, value })));
  if (typeof labels === 'string') throw new Error(`external labels of endpoint ${endpoint.name}: ${labels}`);
  return labels;
}

/** Takes from `first`, then from `second`: both caps hold. */
function bothOf(first: RateLimiter, second: RateLimiter): RateLimiter {
  return { take: async (bytes) => { await first.take(bytes); await second.take(bytes); } };
}
