import { series, type HostCollector } from './collector.js';

/**
 * node_exporter's `meminfo` collector: one gauge per /proc/meminfo line, named as node_exporter
 * does: `Active(anon)` becomes `Active_anon`, a value in kB becomes bytes with a `_bytes`
 * suffix (`node_memory_MemTotal_bytes`), a plain count keeps its name
 * (`node_memory_HugePages_Total`).
 */
export function createMeminfoCollector(): HostCollector {
  return {
    name: 'meminfo',
    async collect(round) {
      const text = round.readProc('meminfo');
      for (const line of text.split('\n')) {
        const colon = line.indexOf(':');
        // node_exporter skips empty lines (some CentOS kernels print them) and fails on others.
        if (colon < 0) {
          if (line.trim() === '') continue;
          throw new Error(`invalid line in meminfo: ${line}`);
        }
        const rest = line.slice(colon + 1).trim();
        const space = rest.indexOf(' ');
        const value = Number(space < 0 ? rest : rest.slice(0, space));
        if (Number.isNaN(value)) throw new Error(`invalid value in meminfo: ${line}`);
        const name = line.slice(0, colon);
        const key = name.includes('(') ? name.replace(/\((.*)\)/, '_$1') : name;
        // The only unit the kernel prints is kB (KiB, in fact), as node_exporter presumes.
        if (space < 0) round.add(series(`node_memory_${key}`), value);
        else round.add(series(`node_memory_${key}_bytes`), value * 1024);
      }
    },
  };
}
