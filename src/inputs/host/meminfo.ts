import { metricMetadata } from '../../model/metadata.js';
import { series, type FamilyMetadata, type HostCollector } from './collector.js';

const PREFIX = 'node_memory_';

/**
 * The meminfo collector's families (also written by the portable collectors): one gauge per
 * /proc/meminfo field, whose help names the field as the metric does (`MemTotal_bytes`).
 */
export const MEMINFO_METADATA: FamilyMetadata = (family) =>
  family.startsWith(PREFIX) && family.length > PREFIX.length ? metricMetadata('gauge', `Memory information field ${family.slice(PREFIX.length)}.`) : undefined;

/**
 * node_exporter's `meminfo` collector: one gauge per /proc/meminfo line, named as node_exporter
 * does: `Active(anon)` becomes `Active_anon`, a value in kB becomes bytes with a `_bytes`
 * suffix (`node_memory_MemTotal_bytes`), a plain count keeps its name
 * (`node_memory_HugePages_Total`).
 */
export function createMeminfoCollector(): HostCollector {
  return {
    name: 'meminfo',
    metadata: MEMINFO_METADATA,
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
        if (space < 0) round.add(series(`${PREFIX}${key}`), value);
        else round.add(series(`${PREFIX}${key}_bytes`), value * 1024);
      }
    },
  };
}
