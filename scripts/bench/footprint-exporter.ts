/**
 * A synthetic Prometheus exporter for `bench:footprint`, served in the benchmark's process: every
 * scrape answers the same series with new values, node_exporter-like names and 2-3 labels
 * (`node_cpu_seconds_total{cpu="3",mode="idle"}`). The label part of each line is built once, so a
 * scrape costs a string concatenation per series and the benchmark's own CPU stays small.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const CPU_MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
const UNIT_STATES = ['activating', 'active', 'deactivating', 'failed', 'inactive'];

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  /** The labels of the family's `j`-th series, distinct for every `j`. */
  labels(j: number): string;
}

const FAMILIES: Family[] = [
  { name: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.', labels: (j) => `cpu="${j >> 3}",mode="${CPU_MODES[j & 7]}"` },
  { name: 'node_interrupts_total', type: 'counter', help: 'Interrupt details.', labels: (j) => `cpu="${j & 3}",devices="virtio${j >> 2}",type="${j >> 2}"` },
  { name: 'node_hwmon_temp_celsius', type: 'gauge', help: 'Hardware monitor for temperature (input).', labels: (j) => `chip="platform_coretemp_${j >> 4}",sensor="temp${(j & 15) + 1}"` },
  { name: 'node_filesystem_avail_bytes', type: 'gauge', help: 'Filesystem space available to non-root users in bytes.', labels: (j) => `device="/dev/vd${j}",fstype="ext4",mountpoint="/srv/vol${j}"` },
  { name: 'node_systemd_unit_state', type: 'gauge', help: 'Systemd unit', labels: (j) => `name="unit-${Math.floor(j / UNIT_STATES.length)}.service",state="${UNIT_STATES[j % UNIT_STATES.length]}",type="simple"` },
];

/** One exporter on 127.0.0.1. */
export interface Exporter {
  /** `http://127.0.0.1:<port>/metrics`. */
  readonly url: string;
  /** Pages served so far. */
  scrapes(): number;
  close(): Promise<void>;
}

/** Renders pages of `series` series split evenly over FAMILIES, grouped by family as the format requires. */
function pageRenderer(series: number): (scrape: number) => string {
  // Each line up to its value; the first line of a family carries the family's HELP and TYPE.
  const prefixes: string[] = [];
  const counter: boolean[] = [];
  FAMILIES.forEach((family, f) => {
    const count = Math.floor(series / FAMILIES.length) + (f < series % FAMILIES.length ? 1 : 0);
    for (let j = 0; j < count; j++) {
      const header = j === 0 ? `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n` : '';
      prefixes.push(`${header}${family.name}{${family.labels(j)}} `);
      counter.push(family.type === 'counter');
    }
  });
  return (scrape) => {
    let page = '';
    for (let i = 0; i < prefixes.length; i++) {
      // Counters grow at a rate of their own; gauges wander within 0-200.
      const value = counter[i] ? i * 1000 + scrape * ((i % 97) + 1) : ((i * 37 + scrape * 11) % 2000) / 10;
      page += prefixes[i] + value + '\n';
    }
    return page;
  };
}

/** Starts an exporter of `series` series on a port chosen by the system. */
export async function startExporter(series: number): Promise<Exporter> {
  const render = pageRenderer(series);
  let scrapes = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(render(++scrapes));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
    scrapes: () => scrapes,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // The scraper's keep-alive connection would hold close() open.
      server.closeAllConnections();
    }),
  };
}
