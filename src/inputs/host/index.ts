import type { PollingInput } from '../input.js';
import { createHostRound, KernelFiles, type HostCollector, type HostPaths } from './collector.js';
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
 * counters' high-water marks, outstanding statfs calls), never series refs.
 */
export function createHostInput(options: HostInputOptions = {}): PollingInput {
  const paths: HostPaths = {
    procPath: options.procPath ?? '/proc',
    sysPath: options.sysPath ?? '/sys',
    rootfsPath: options.rootfsPath ?? '/',
  };
  const collectors: HostCollector[] = process.platform === 'linux' ? createLinuxCollectors() : createPortableCollectors();
  const files = new KernelFiles();
  return {
    name: 'host',
    async collect(appender, nowMs) {
      const round = createHostRound(paths, files, appender, nowMs);
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
