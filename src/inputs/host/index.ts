import type { MetricMetadata } from '../../model/metadata.js';
import type { PollingInput } from '../input.js';
import { createHostRound, KernelFiles, type FamilyMetadata, type HostCollector, type HostPaths } from './collector.js';
import { createCpuCollector } from './cpu.js';
import { createDiskstatsCollector } from './diskstats.js';
import { createFilesystemCollector } from './filesystem.js';
import { createHwmonCollector } from './hwmon.js';
import { createLoadavgCollector } from './loadavg.js';
import { createMeminfoCollector } from './meminfo.js';
import { createNetdevCollector } from './netdev.js';
import { createOsReleaseCollector } from './os-release.js';
import { createPortableCollectors } from './portable.js';
import { createStatCollector } from './stat.js';
import { createThermalZoneCollector } from './thermal-zone.js';
import { createTimeCollector } from './time.js';
import { createUnameCollector } from './uname.js';

/** Where the host input reads; each defaults to the real path (node_exporter's `--path.*`). */
export interface HostInputOptions {
  procPath?: string;
  sysPath?: string;
  rootfsPath?: string;
}

/**
 * The built-in host exporter (OUTPOST_HOST_METRICS): node_exporter 1.x's cpu, loadavg, meminfo,
 * filesystem, diskstats, netdev, stat, time, uname, os, thermal_zone and hwmon collectors with
 * their metric names, labels, units and default filters, so dashboards built for node_exporter
 * work unchanged. On Linux it reads /proc and /sys directly and never starts a process; elsewhere
 * it falls back to a small portable set (see `createPortableCollectors`).
 *
 * Each round runs the collectors concurrently, every sample stamped with the round's `nowMs`. A
 * collector that fails does not stop the others: what they produce is appended, and the round
 * then throws one error naming each failed collector and why, so the input shows down with the
 * reason. The input keeps a little state between rounds (open /proc and /sys descriptors, the cpu
 * counters' high-water marks, outstanding statfs calls, each family's metadata once looked up),
 * never series refs. Each family written in a round gets node_exporter's type and help.
 */
export function createHostInput(options: HostInputOptions = {}): PollingInput {
  const paths: HostPaths = {
    procPath: options.procPath ?? '/proc',
    sysPath: options.sysPath ?? '/sys',
    rootfsPath: options.rootfsPath ?? '/',
  };
  const collectors: HostCollector[] = process.platform === 'linux' ? createLinuxCollectors() : createPortableCollectors();
  const files = new KernelFiles();
  const metadataOf = combinedMetadata(collectors);
  return {
    name: 'host',
    async collect(appender, nowMs) {
      const round = createHostRound(paths, files, appender, nowMs, metadataOf);
      const results = await Promise.allSettled(collectors.map((c) => c.collect(round)));
      const failures: string[] = [];
      const errors: unknown[] = [];
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') return;
        errors.push(result.reason);
        failures.push(`${collectors[i]!.name} (${result.reason instanceof Error ? result.reason.message : String(result.reason)})`);
      });
      if (failures.length > 0) throw new AggregateError(errors, `host collectors failed: ${failures.join('; ')}`);
    },
  };
}

/**
 * The metadata of whichever collector knows a family, remembered per family: families are fixed
 * by the hardware, so after the first round a lookup is one Map hit.
 */
function combinedMetadata(collectors: readonly HostCollector[]): FamilyMetadata {
  const known = new Map<string, MetricMetadata>();
  return (family) => {
    let metadata = known.get(family);
    if (metadata !== undefined) return metadata;
    for (const c of collectors) if ((metadata = c.metadata(family)) !== undefined) break;
    if (metadata !== undefined) known.set(family, metadata);
    return metadata;
  };
}

/** The Linux collectors, in node_exporter's names; each holds its own state across rounds. */
function createLinuxCollectors(): HostCollector[] {
  return [
    createCpuCollector(),
    createLoadavgCollector(),
    createMeminfoCollector(),
    createFilesystemCollector(),
    createDiskstatsCollector(),
    createNetdevCollector(),
    createStatCollector(),
    createTimeCollector(),
    createUnameCollector(),
    createOsReleaseCollector(),
    createThermalZoneCollector(),
    createHwmonCollector(),
  ];
}
