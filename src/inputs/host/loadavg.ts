import { metadataTable, series, type HostCollector } from './collector.js';

/** The loadavg collector's families (also written by the portable collectors). */
export const LOADAVG_METADATA = metadataTable({
  node_load1: ['gauge', '1m load average.'],
  node_load5: ['gauge', '5m load average.'],
  node_load15: ['gauge', '15m load average.'],
});

/** node_exporter's `loadavg` collector: `node_load1`, `node_load5`, `node_load15` from /proc/loadavg. */
export function createLoadavgCollector(): HostCollector {
  return {
    name: 'loadavg',
    metadata: LOADAVG_METADATA,
    async collect(round) {
      const text = round.readProc('loadavg');
      const parts = text.split(' ', 3);
      const values = parts.map(Number);
      if (values.length !== 3 || values.some(Number.isNaN)) throw new Error(`unexpected ${round.procPath}/loadavg: ${JSON.stringify(text)}`);
      round.add(series('node_load1'), values[0]!);
      round.add(series('node_load5'), values[1]!);
      round.add(series('node_load15'), values[2]!);
    },
  };
}
