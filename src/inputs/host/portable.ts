import { cpus, hostname, loadavg, machine, release, type, uptime, version } from 'node:os';
import { series, type HostCollector } from './collector.js';
import { CPU_METADATA } from './cpu.js';
import { FILESYSTEM_METADATA } from './filesystem.js';
import { LOADAVG_METADATA } from './loadavg.js';
import { MEMINFO_METADATA } from './meminfo.js';
import { NETDEV_METADATA } from './netdev.js';
import { STAT_METADATA } from './stat.js';
import { TIME_METADATA } from './time.js';
import { UNAME_METADATA } from './uname.js';

// os.cpus() reports times in milliseconds; node_exporter's modes that it has (no iowait,
// softirq or steal outside Linux).
const CPU_MODES = [['user', 'user'], ['nice', 'nice'], ['sys', 'system'], ['idle', 'idle'], ['irq', 'irq']] as const;

/**
 * The host collectors off Linux (a developer's macOS): cpu, load, memory, file systems, network,
 * boot time, time and uname under the Linux names of the contract, from the os module and
 * systeminformation. systeminformation is loaded on first use, so a Linux gateway never pays
 * for the module; it may run a command per call (df, netstat), which is fine off the gateway.
 * Each uses the metadata of the Linux collector whose names it writes.
 */
export function createPortableCollectors(): HostCollector[] {
  const si = () => import('systeminformation').then((m) => m.default);
  return [
    {
      name: 'cpu',
      metadata: CPU_METADATA,
      async collect(round) {
        cpus().forEach((c, i) => {
          for (const [key, mode] of CPU_MODES) round.add(series('node_cpu_seconds_total', 'cpu', String(i), 'mode', mode), c.times[key] / 1000);
        });
      },
    },
    {
      name: 'loadavg',
      metadata: LOADAVG_METADATA,
      async collect(round) {
        const [l1, l5, l15] = loadavg();
        round.add(series('node_load1'), l1!);
        round.add(series('node_load5'), l5!);
        round.add(series('node_load15'), l15!);
      },
    },
    {
      name: 'meminfo',
      metadata: MEMINFO_METADATA,
      async collect(round) {
        const m = await (await si()).mem();
        const fields = { MemTotal: m.total, MemFree: m.free, MemAvailable: m.available, Buffers: m.buffers, Cached: m.cached, SwapTotal: m.swaptotal, SwapFree: m.swapfree };
        for (const [field, value] of Object.entries(fields)) round.add(series(`node_memory_${field}_bytes`), value);
      },
    },
    {
      name: 'filesystem',
      metadata: FILESYSTEM_METADATA,
      async collect(round) {
        for (const fs of await (await si()).fsSize()) {
          const labels = (name: string) => series(name, 'device', fs.fs, 'fstype', fs.type, 'mountpoint', fs.mount);
          round.add(labels('node_filesystem_size_bytes'), fs.size);
          round.add(labels('node_filesystem_free_bytes'), fs.size - fs.used);
          round.add(labels('node_filesystem_avail_bytes'), fs.available);
        }
      },
    },
    {
      name: 'netdev',
      metadata: NETDEV_METADATA,
      async collect(round) {
        for (const n of await (await si()).networkStats('*')) {
          const counters = { receive_bytes: n.rx_bytes, receive_errs: n.rx_errors, receive_drop: n.rx_dropped, transmit_bytes: n.tx_bytes, transmit_errs: n.tx_errors, transmit_drop: n.tx_dropped };
          for (const [name, value] of Object.entries(counters)) round.add(series(`node_network_${name}_total`, 'device', n.iface), value);
        }
      },
    },
    {
      name: 'stat',
      metadata: STAT_METADATA,
      async collect(round) {
        // Whole seconds, as btime: the subtraction's jitter must not make a gauge of a constant.
        round.add(series('node_boot_time_seconds'), Math.round(round.nowMs / 1000 - uptime()));
      },
    },
    {
      name: 'time',
      metadata: TIME_METADATA,
      async collect(round) {
        round.add(series('node_time_seconds'), round.nowMs / 1000);
      },
    },
    {
      name: 'uname',
      metadata: UNAME_METADATA,
      async collect(round) {
        round.add(series('node_uname_info', 'machine', machine(), 'nodename', hostname(), 'release', release(), 'sysname', type(), 'version', version()), 1);
      },
    },
  ];
}
