import type { MetricType } from '../../model/metadata.js';
import { metadataTable, series, type HostCollector } from './collector.js';

// /proc/stat keys, what node_exporter's `stat` collector names them, their type and help.
// Counters end in _total; btime and the procs_* lines are gauges.
const KEYS: ReadonlyArray<readonly [string, string, MetricType, string]> = [
  ['ctxt', 'node_context_switches_total', 'counter', 'Total number of context switches.'],
  ['btime', 'node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.'],
  ['processes', 'node_forks_total', 'counter', 'Total number of forks.'],
  ['procs_running', 'node_procs_running', 'gauge', 'Number of processes in runnable state.'],
  ['procs_blocked', 'node_procs_blocked', 'gauge', 'Number of processes blocked waiting for I/O to complete.'],
  // The intr line holds the total first, then one count per interrupt number (not exported by
  // default: node_exporter's per-IRQ detail is the separate `interrupts` collector).
  ['intr', 'node_intr_total', 'counter', 'Total number of interrupts serviced.'],
];
const NAMES = new Map(KEYS.map(([key, name]) => [key, name]));

/** The stat collector's families (also written by the portable collectors). */
export const STAT_METADATA = metadataTable(Object.fromEntries(KEYS.map(([, name, type, help]) => [name, [type, help] as const])));

/**
 * node_exporter's `stat` collector: `node_boot_time_seconds`, `node_context_switches_total`,
 * `node_forks_total`, `node_intr_total`, `node_procs_running`, `node_procs_blocked`, from the
 * same /proc/stat read as the cpu collector.
 */
export function createStatCollector(): HostCollector {
  return {
    name: 'stat',
    metadata: STAT_METADATA,
    async collect(round) {
      const text = round.readProc('stat');
      let found = 0;
      for (let start = 0; start < text.length; ) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        const space = text.indexOf(' ', start);
        if (space > start && space < end) {
          const name = NAMES.get(text.slice(start, space));
          if (name !== undefined) {
            const next = text.indexOf(' ', space + 1);
            round.add(series(name), Number(text.slice(space + 1, next > 0 && next < end ? next : end)));
            found++;
          }
        }
        start = end + 1;
      }
      if (found === 0) throw new Error(`${round.procPath}/stat has none of the expected lines`);
    },
  };
}
