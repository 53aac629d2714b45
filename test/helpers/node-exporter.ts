import { existsSync } from 'node:fs';
import { DEFAULT_MOUNT_POINTS_EXCLUDE } from '../../src/inputs/host/filesystem.js';
import { answers200, startDaemon } from './daemon.js';
import { toolSkip } from './deploy.js';
import { freePort } from './outpost-process.js';

/** Debian's prometheus-node-exporter (1.5); NODE_EXPORTER overrides. */
export const NODE_EXPORTER_BIN = process.env.NODE_EXPORTER ?? '/usr/bin/prometheus-node-exporter';

/**
 * node_exporter limited to the collectors the host input implements, with upstream 1.5's default
 * filters: Debian's package patches two defaults (mount points under /run, /mnt and /media are
 * excluded, and the netdev collector drops `lo`), so those are set back to upstream's here.
 */
export const NODE_EXPORTER_ARGS = [
  '--collector.disable-defaults',
  ...['cpu', 'loadavg', 'meminfo', 'filesystem', 'diskstats', 'netdev', 'stat', 'time', 'uname', 'os', 'thermal_zone', 'hwmon'].map((c) => `--collector.${c}`),
  `--collector.filesystem.mount-points-exclude=${DEFAULT_MOUNT_POINTS_EXCLUDE.source}`,
  '--collector.netdev.device-exclude=',
];

/** A running node_exporter on 127.0.0.1; `stop` ends it (by PID) and waits for the exit. */
export interface NodeExporterProcess {
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** A skip reason when node_exporter is missing, except under CI=true, where the test must fail. */
export function nodeExporterSkip(): string | false {
  return toolSkip(NODE_EXPORTER_BIN, 'apt-get install prometheus-node-exporter');
}

/** True when the binary is there (for the benchmarks). Under CI a missing binary is a failure, not a skip. */
export function nodeExporterAvailable(): boolean {
  if (existsSync(NODE_EXPORTER_BIN)) return true;
  if (process.env.CI === 'true') throw new Error(`${NODE_EXPORTER_BIN} is missing (apt-get install prometheus-node-exporter)`);
  return false;
}

/**
 * Starts node_exporter on a free port and waits until it answers: with {@link NODE_EXPORTER_ARGS}
 * unless `args` gives others (an empty list: its own defaults).
 */
export async function startNodeExporter(args: readonly string[] = NODE_EXPORTER_ARGS): Promise<NodeExporterProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  const daemon = await startDaemon({ name: 'node_exporter', bin: NODE_EXPORTER_BIN, args: [...args, `--web.listen-address=127.0.0.1:${port}`], ready: answers200(url) });
  return { pid: daemon.pid, url, stop: daemon.stop };
}

/** One sample of the text exposition format. */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SPECIAL_VALUES = new Map([['+Inf', Infinity], ['-Inf', -Infinity], ['NaN', NaN]]);

/** Families' `# TYPE` and the samples of a Prometheus text exposition (0.0.4); enough for tests. */
export function parseExposition(text: string): { types: Map<string, string>; samples: ExpositionSample[] } {
  const types = new Map<string, string>();
  const samples: ExpositionSample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (m === null) throw new Error(`cannot parse exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
    for (let p = pair.exec(body); p !== null; p = pair.exec(body)) {
      labels[p[1]!] = p[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1]!, labels, value: SPECIAL_VALUES.get(m[3]!) ?? Number(m[3]) });
  }
  return { types, samples };
}

/**
 * A sample's identity in the form test/helpers/wal-fixture.ts `readAll` gives it
 * (`__name__=x,a=b`, sorted, empty values left out as the WAL drops them).
 */
export function sampleKey(sample: ExpositionSample): string {
  const pairs = Object.entries({ __name__: sample.name, ...sample.labels }).filter(([, v]) => v !== '');
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join(',');
}
