import { REJECT_REASONS, type SenderCounters, type SenderStatus } from '../sender/sender.js';
import type { MetricsRegistry } from './self-metrics.js';

/** One endpoint as the metrics see it: its sender's status and its WAL backlog. */
export interface EndpointView {
  url: string;
  /** The endpoint's name (`endpoint` label): `cloud`, or `remote-write-1` for an unnamed one. */
  name: string;
  /** Every protocol the endpoint may be sent in (`Output.protocols`), each a series of outpost_remote_write_protocol. */
  protocols: readonly string[];
  status(): SenderStatus;
  backlog(): { samples: number; oldestTimestampMs: number | null };
}

/**
 * Registers the contract's prometheus_remote_storage_* and outpost_uplink_* families (labels
 * `remote_name`, `url`; Prometheus-compatible, so its remote-write alerts and dashboards work;
 * every endpoint family also has `endpoint`, the endpoint's name) and returns the counters the
 * sender of endpoint `name` at `url` reports through. `newestWalTimestampMs` feeds
 * prometheus_remote_storage_highest_timestamp_in_seconds.
 */
export function registerSenderMetrics(registry: MetricsRegistry, endpoints: () => EndpointView[], newestWalTimestampMs: () => number | null): (url: string, name: string) => SenderCounters {
  const labels = ['remote_name', 'url', 'endpoint'];
  const endpointLabels = ['url', 'endpoint'];
  const names = new Map<string, string>();
  const nameOf = (url: string): string => {
    let name = names.get(url);
    if (name === undefined) names.set(url, (name = new URL(url).host));
    return name;
  };
  const samplesTotal = registry.counter('prometheus_remote_storage_samples_total', 'Samples sent successfully.', labels);
  const failed = registry.counter('prometheus_remote_storage_samples_failed_total', 'Samples dropped after a non-recoverable answer.', labels);
  const retried = registry.counter('prometheus_remote_storage_samples_retried_total', 'Samples sent again after a recoverable error.', labels);
  const bytes = registry.counter('prometheus_remote_storage_bytes_total', 'Compressed request bytes sent successfully.', labels);
  const rejected = registry.counter('outpost_samples_rejected_total', 'Samples an endpoint refused, by the reason it gave.', ['url', 'endpoint', 'reason']);
  const filtered = registry.counter('outpost_samples_filtered_total', 'Samples the endpoint\'s write relabel rules dropped; they count as delivered.', endpointLabels);
  const metadataTotal = registry.counter('prometheus_remote_storage_metadata_total', 'Metric metadata entries sent successfully.', labels);
  const metadataBytes = registry.counter('prometheus_remote_storage_metadata_bytes_total', 'Compressed bytes of metadata requests sent successfully.', labels);
  const roundFailures = registry.counter('outpost_sender_round_failures_total', 'Sender rounds that threw and were rewound.', endpointLabels);
  const pending = registry.gauge('prometheus_remote_storage_samples_pending', 'Committed samples not yet delivered.', labels);
  const shards = registry.gauge('prometheus_remote_storage_shards', 'Shards (parallel request streams) in use.', labels);
  // One collect sets every endpoint gauge, so a scrape reads each sender's status and WAL backlog
  // (SQLite queries) once.
  const highest = registry.gauge('prometheus_remote_storage_highest_timestamp_in_seconds', 'Newest sample timestamp committed to the WAL.', [], () => {
    highest.set((newestWalTimestampMs() ?? 0) / 1000);
    for (const e of endpoints()) {
      const status = e.status();
      const backlog = e.backlog();
      const l = [nameOf(e.url), e.url, e.name] as const;
      pending.labels(...l).set(backlog.samples);
      oldest.labels(e.url, e.name).set((backlog.oldestTimestampMs ?? 0) / 1000);
      shards.labels(...l).set(status.shards);
      highestSent.labels(...l).set((status.newestSentTimestampMs ?? 0) / 1000);
      up.labels(e.url, e.name).set(status.up ? 1 : 0);
      bandwidth.labels(e.url, e.name).set(status.bandwidthBytesPerSecond ?? 0);
      for (const p of e.protocols) protocol.labels(e.url, e.name, p).set(status.protocol === p ? 1 : 0);
      ageLimit.labels(e.url, e.name).set((status.learnedAgeLimitMs ?? 0) / 1000);
    }
  });
  const highestSent = registry.gauge('prometheus_remote_storage_queue_highest_sent_timestamp_seconds', 'Newest sample timestamp delivered.', labels);
  const oldest = registry.gauge('outpost_wal_oldest_undelivered_timestamp_seconds', 'Timestamp of the oldest sample not yet delivered, 0 when none.', endpointLabels);
  const up = registry.gauge('outpost_uplink_up', 'Whether the last request to the endpoint succeeded.', endpointLabels);
  const bandwidth = registry.gauge('outpost_uplink_bandwidth_bytes_per_second', 'Measured throughput to the endpoint (EWMA).', endpointLabels);
  const protocol = registry.gauge('outpost_remote_write_protocol', 'Remote-write protocol the endpoint is sent in now: 1 for the one in use.', ['url', 'endpoint', 'protocol']);
  const ageLimit = registry.gauge('outpost_remote_write_learned_age_limit_seconds', 'Age beyond which samples are dropped before sending, learned from the endpoint\'s refusals; 0 when none.', endpointLabels);
  return (url, name) => {
    const l = [nameOf(url), url, name] as const;
    for (const reason of REJECT_REASONS) rejected.labels(url, name, reason);
    roundFailures.labels(url, name);
    filtered.labels(url, name);
    return {
      sent: (n, b) => {
        samplesTotal.labels(...l).inc(n);
        bytes.labels(...l).inc(b);
      },
      failed: (n) => failed.labels(...l).inc(n),
      retried: (n) => retried.labels(...l).inc(n),
      rejected: (reason, n) => rejected.labels(url, name, reason).inc(n),
      roundFailed: () => roundFailures.labels(url, name).inc(),
      filtered: (n) => filtered.labels(url, name).inc(n),
      metadataSent: (n, b) => {
        metadataTotal.labels(...l).inc(n);
        metadataBytes.labels(...l).inc(b);
      },
    };
  };
}
