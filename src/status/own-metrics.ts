import type { InputStatus } from '../inputs/input.js';
import type { MqttCounters } from '../inputs/mqtt/mqtt-input.js';
import type { MemoryGuardCounters } from '../lib/memory-guard.js';
import { REJECT_REASONS } from '../inputs/mqtt/payload.js';
import type { WalCounters } from '../wal/sqlite-wal.js';
import type { DropReason, WalStats } from '../wal/wal.js';
import { createMetricsRegistry, type MetricsRegistry } from './self-metrics.js';

/** Where the own-metrics gauges read their values at render time. */
export interface OwnMetricsSources {
  walStats(): WalStats | null;
  inputs(): InputStatus[];
}

/** The registry with Outpost's own metric families, and the WAL's counters bound to it. */
export interface OwnMetrics {
  registry: MetricsRegistry;
  walCounters: WalCounters;
  mqttCounters: MqttCounters;
  memoryCounters: MemoryGuardCounters;
}

const DROP_REASONS: DropReason[] = ['retention', 'disk_budget', 'corruption'];

/**
 * Registers the contract's `outpost_*` families for the build, the WAL and the inputs.
 * `walMaxBytes` is OUTPOST_WAL_MAX_BYTES, exported so alerts can divide outpost_wal_bytes by it;
 * `memoryLimitBytes` OUTPOST_MEMORY_LIMIT (0: none), so alerts can divide process_resident_memory_bytes by it.
 */
export function createOwnMetrics(version: string, walMaxBytes: number, memoryLimitBytes: number, sources: OwnMetricsSources): OwnMetrics {
  const registry = createMetricsRegistry();
  registry.gauge('outpost_build_info', 'Outpost build, value 1.', ['version']).labels(version).set(1);
  const appended = registry.counter('outpost_wal_samples_appended_total', 'Samples committed to the WAL.');
  const dropped = registry.counter('outpost_wal_samples_dropped_total', 'Undelivered samples removed from the WAL, by reason.', ['reason']);
  for (const reason of DROP_REASONS) dropped.labels(reason);
  const seriesDropped = registry.counter('outpost_series_dropped_total', 'New series refused, by reason.', ['reason']);
  seriesDropped.labels('limit');
  const walBytes = registry.gauge('outpost_wal_bytes', 'Bytes the WAL occupies on disk.', [], () => walBytes.set(sources.walStats()?.bytes ?? 0));
  registry.gauge('outpost_wal_max_bytes', 'The WAL disk budget configured (OUTPOST_WAL_MAX_BYTES).').set(walMaxBytes);
  const walSegments = registry.gauge('outpost_wal_segments', 'Segments in the WAL.', [], () => walSegments.set(sources.walStats()?.segments ?? 0));
  const resident = registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', [], () => resident.set(process.memoryUsage.rss()));
  registry.gauge('outpost_memory_limit_bytes', 'The memory limit configured (OUTPOST_MEMORY_LIMIT); 0: none.').set(memoryLimitBytes);
  const sheds = registry.counter('outpost_memory_cache_sheds_total', 'Times the caches were dropped because resident memory came near OUTPOST_MEMORY_LIMIT.');
  const mqttReceived = registry.counter('outpost_mqtt_messages_received_total', 'MQTT messages received.');
  const mqttRejected = registry.counter('outpost_mqtt_messages_rejected_total', 'MQTT messages rejected, by reason.', ['reason']);
  for (const reason of REJECT_REASONS) mqttRejected.labels(reason);
  const inputUp = registry.gauge('outpost_input_up', 'Whether the last collection of an input succeeded.', ['input'], () => {
    for (const input of sources.inputs()) inputUp.labels(input.name).set(input.up ? 1 : 0);
  });
  return {
    registry,
    walCounters: {
      samplesAppended: (n) => appended.inc(n),
      samplesDropped: (reason, n) => dropped.labels(reason).inc(n),
      seriesDropped: (reason) => seriesDropped.labels(reason).inc(),
    },
    memoryCounters: { shed: () => sheds.inc() },
    mqttCounters: {
      received: () => mqttReceived.inc(),
      rejected: (reason) => mqttRejected.labels(reason).inc(),
    },
  };
}
