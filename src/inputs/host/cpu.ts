import { metadataTable, series, type HostCollector } from './collector.js';

// The kernel reports /proc/stat times in USER_HZ ticks, which is 100 on every Linux ABI
// (sysconf(_SC_CLK_TCK)); node_exporter's procfs divides by the same constant.
const USER_HZ = 100;
// /proc/stat columns after "cpuN", in order; guest and guest_nice follow as columns 8 and 9.
const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
const COLUMNS = 10;
// node_exporter's jumpBackSeconds: an idle counter falling back this far means the CPU was
// unplugged and replugged, so its counters restart from what the kernel says.
const JUMP_BACK_SECONDS = 3;

/** The cpu collector's families (also written by the portable collectors). */
export const CPU_METADATA = metadataTable({
  node_cpu_seconds_total: ['counter', 'Seconds the CPUs spent in each mode.'],
  node_cpu_guest_seconds_total: ['counter', 'Seconds the CPUs spent in guests (VMs) for each mode.'],
});

/**
 * node_exporter's `cpu` collector on Linux: `node_cpu_seconds_total{cpu,mode}` for the eight
 * modes and `node_cpu_guest_seconds_total{cpu,mode="user"|"nice"}` (on by default in 1.5; guest
 * time is also inside user and nice, which is why node_exporter exposes it apart).
 *
 * Like node_exporter, values never go down: with tickless (NO_HZ) accounting the kernel's idle
 * and iowait times can step back slightly between reads, and a counter that falls makes rate()
 * see a reset. Each column keeps its highest value; the cache is dropped when the
 * number of CPUs changes or after a jump back of idle time (hotplug).
 */
export function createCpuCollector(): HostCollector {
  let last = new Map<number, Float64Array>();
  return {
    name: 'cpu',
    metadata: CPU_METADATA,
    async collect(round) {
      const text = round.readProc('stat');
      const lines = text.split('\n');
      let cpus = 0;
      for (const line of lines) if (isCpuLine(line)) cpus++;
      if (cpus !== last.size) last = new Map();
      for (const line of lines) {
        if (!isCpuLine(line)) continue;
        const parts = line.split(/\s+/);
        const id = Number(parts[0]!.slice(3));
        let kept = last.get(id);
        if (kept === undefined) last.set(id, (kept = new Float64Array(COLUMNS)));
        const idle = Number(parts[4]) / USER_HZ;
        if (kept[3]! - idle >= JUMP_BACK_SECONDS) kept.fill(0);
        for (let c = 0; c < COLUMNS; c++) {
          // Old kernels have fewer columns (guest_nice came with 2.6.33): missing ones stay 0.
          const value = Number(parts[c + 1] ?? 0) / USER_HZ;
          if (value >= kept[c]!) kept[c] = value;
        }
        const cpu = String(id);
        for (let m = 0; m < MODES.length; m++) round.add(series('node_cpu_seconds_total', 'cpu', cpu, 'mode', MODES[m]!), kept[m]!);
        round.add(series('node_cpu_guest_seconds_total', 'cpu', cpu, 'mode', 'user'), kept[8]!);
        round.add(series('node_cpu_guest_seconds_total', 'cpu', cpu, 'mode', 'nice'), kept[9]!);
      }
    },
  };
}

/** A per-CPU line ("cpu0 ..."), not the all-CPU total ("cpu  ..."). */
function isCpuLine(line: string): boolean {
  if (!line.startsWith('cpu')) return false;
  const c = line.charCodeAt(3);
  return c >= 48 && c <= 57;
}
