import { metricMetadata } from '../../model/metadata.js';
import { series, type FamilyMetadata, type HostCollector } from './collector.js';

// /proc/net/dev's 16 columns with node_exporter's names (its legacy names, which it keeps by
// default also when reading netlink): node_network_<name>_total{device}.
const STATISTICS = [
  'receive_bytes', 'receive_packets', 'receive_errs', 'receive_drop',
  'receive_fifo', 'receive_frame', 'receive_compressed', 'receive_multicast',
  'transmit_bytes', 'transmit_packets', 'transmit_errs', 'transmit_drop',
  'transmit_fifo', 'transmit_colls', 'transmit_carrier', 'transmit_compressed',
];
const COLUMNS = STATISTICS.map((c) => `node_network_${c}_total`);
// Counters whose help names the statistic, as node_exporter's does.
const BY_NAME = new Map(STATISTICS.map((c, i) => [COLUMNS[i]!, metricMetadata('counter', `Network device statistic ${c}.`)]));

/** The netdev collector's families (also written by the portable collectors). */
export const NETDEV_METADATA: FamilyMetadata = (family) => BY_NAME.get(family);

/**
 * node_exporter's `netdev` collector: `node_network_{receive,transmit}_*_total{device}` for every
 * interface in /proc/net/dev, loopback included: upstream node_exporter 1.5 has no default
 * device exclude (Debian's package patches in `^lo$`). node_exporter 1.5 reads the same counters
 * over netlink by default; the kernel fills /proc/net/dev from the same per-device stats, with
 * the same folding of missed errors into drop and of length/over/crc errors into frame.
 */
export function createNetdevCollector(): HostCollector {
  return {
    name: 'netdev',
    metadata: NETDEV_METADATA,
    async collect(round) {
      const text = round.readProc('net/dev');
      const lines = text.split('\n');
      // Two header lines, then "  eth0: 123 456 ..." (no space after the colon on old kernels
      // when the first number is wide).
      for (let i = 2; i < lines.length; i++) {
        const line = lines[i]!;
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const device = line.slice(0, colon).trim();
        const values = line.slice(colon + 1).trim().split(/\s+/);
        if (values.length < COLUMNS.length) throw new Error(`short line in ${round.procPath}/net/dev: ${line}`);
        for (let c = 0; c < COLUMNS.length; c++) round.add(series(COLUMNS[c]!, 'device', device), Number(values[c]));
      }
    },
  };
}
