import type { Config } from '../config/env.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { normalizeLabels } from '../model/labels.js';
import { metadataOfMetric } from '../model/metadata.js';
import { readVersion } from '../lib/version.js';
import type { EndpointView } from '../status/sender-metrics.js';
import type { Wal, WalConsumer } from '../wal/wal.js';
import { createBandwidthEstimator } from './bandwidth.js';
import { createConcurrency } from './concurrency.js';
import { createRateLimiter } from './rate-limiter.js';
import { startSender, type Sender, type SenderCounters } from './sender.js';
import type { Transport } from './transport.js';
import { createWireSeriesCache } from './wire-series.js';

/** The running senders, one per endpoint, and what the status page and metrics read of them. */
export interface Endpoints {
  views: EndpointView[];
  /** Drops the wire series cache (OUTPOST_MEMORY_LIMIT); series are built again as they are sent. */
  shedCaches(): void;
  /** Stops every sender by `deadlineMs`, then closes the transports. */
  stop(deadlineMs: number): Promise<void>;
}

/**
 * Starts one sender per transport (OUTPOST_REMOTE_WRITE_URL), each reading its own WAL cursor,
 * so a dead endpoint never holds back a live one. One token bucket is shared by all of them.
 */
export function startEndpoints(config: Config, wal: Wal, transports: Transport[], countersFor: (url: string) => SenderCounters, clock: Clock, log: Logger): Endpoints {
  const rw = config.remoteWrite;
  const limiter = createRateLimiter(rw.maxBytesPerSecond);
  const external = normalizeLabels(Object.entries(rw.externalLabels).map(([name, value]) => ({ name, value })));
  if (typeof external === 'string') throw new Error('external labels: ' + external);
  // 2.0 series carry their family's metadata; 1.0 endpoints send it apart (see the sender).
  const series = createWireSeriesCache((ref) => wal.labels(ref), external, clock, undefined, (name) => metadataOfMetric(name, (family) => wal.metadata(family)));
  const senders: Array<{ sender: Sender; transport: Transport; consumer: WalConsumer }> = transports.map((transport) => {
    const consumer = wal.consumer(transport.url);
    const sender = startSender({
      url: transport.url,
      protocol: rw.protocol,
      version: readVersion(),
      consumer,
      series,
      transport,
      limiter,
      bandwidth: createBandwidthEstimator(),
      concurrency: createConcurrency({ minShards: rw.queue.minShards, maxShards: rw.queue.maxShards }),
      queue: rw.queue,
      counters: countersFor(transport.url),
      clock,
      log: log.child({ component: 'sender', url: transport.url }),
      pollIntervalMs: config.wal.commitIntervalMs,
      metadata: () => wal.metadataFamilies(),
      afterCommit: (fn) => wal.afterCommit(fn),
      metered: rw.uplinkMetered,
      maxBytesPerSecond: rw.maxBytesPerSecond,
    });
    return { sender, transport, consumer };
  });
  return {
    views: senders.map(({ sender, transport, consumer }) => ({
      url: transport.url,
      status: () => sender.status(),
      backlog: () => consumer.backlog(),
    })),
    shedCaches: () => series.clear(),
    async stop(deadlineMs) {
      await Promise.all(senders.map(({ sender }) => sender.stop(deadlineMs)));
      for (const { transport } of senders) transport.close();
    },
  };
}
