import { series, type HostCollector } from './collector.js';

// /proc/stat keys and what node_exporter's `stat` collector names them. Counters end in _total;
// btime and the procs_* lines are gauges.
const KEYS = new Map<string, string>([
  ['ctxt', 'node_context_switches_total'],
  ['btime', 'node_boot_time_seconds'],
  ['processes', 'node_forks_total'],
  ['procs_running', 'node_procs_running'],
  ['procs_blocked', 'node_procs_blocked'],
  // The intr line holds the total first, then one count per interrupt number (not exported by
  // default: node_exporter's per-IRQ detail is the separate `interrupts` collector).
  ['intr', 'node_intr_total'],
]);

/**
 * node_exporter's `stat` collector: `node_boot_time_seconds`, `node_context_switches_total`,
 * `node_forks_total`, `node_intr_total`, `node_procs_running`, `node_procs_blocked`, from the
 * same /proc/stat read as the cpu collector.
 */
export function createStatCollector(): HostCollector {
  return {
    name: 'stat',
    async collect(round) {
      const text = round.readProc('stat');
      let found = 0;
      for (let start = 0; start < text.length; ) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        const space = text.indexOf(' ', start);
        if (space > start && space < end) {
          const name = KEYS.get(text.slice(start, space));
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
