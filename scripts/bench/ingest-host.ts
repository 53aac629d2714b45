/**
 * CPU per host collection: Outpost's host input against node_exporter 1.5 running the same
 * collectors. Run with `node dist-test/scripts/bench/ingest-host.js` (after
 * `npx tsc -p tsconfig.test.json`); prints the figures as JSON.
 *
 * Ours: process.cpuUsage() (user + system, every thread, so libuv's pool doing the file reads
 * counts) around each of ROUNDS collections into an in-memory appender that does what the WAL's
 * appender does per sample (labelsKey, a map lookup, three typed-array writes); the median is
 * reported (the appender also keeps the families' metadata, as the WAL does). node_exporter: utime + stime from /proc/<pid>/stat across SCRAPES scrapes of /metrics,
 * divided by SCRAPES. Scrapes ask for an uncompressed answer, so node_exporter's figure is its
 * collection and text rendering without gzip (a Prometheus server would make it pay for gzip too).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createHostInput } from '../../src/inputs/host/index.js';
import { labelsKey, type Labels } from '../../src/model/labels.js';
import { sameMetadata, type MetricMetadata } from '../../src/model/metadata.js';
import type { WalAppender } from '../../src/wal/wal.js';
import { nodeExporterAvailable, startNodeExporter } from '../../test/helpers/node-exporter.js';
import { median } from './stats.js';

const WARMUP = 5;
const ROUNDS = 50;
// node_exporter's CPU comes in 10 ms clock ticks: enough scrapes that a tick is a small error.
const SCRAPES = 200;
// USER_HZ, the unit of /proc/<pid>/stat times.
const TICK_MS = 10;

/** An appender shaped like the WAL's: label sets to refs through a map, samples into typed arrays. */
function memoryAppender(): WalAppender {
  const refs = new Map<string, number>();
  const families = new Map<string, MetricMetadata>();
  const capacity = 1 << 16;
  const refColumn = new Uint32Array(capacity);
  const timestamps = new Float64Array(capacity);
  const values = new Float64Array(capacity);
  let next = 0;
  const seriesRefByKey = (key: string) => {
    let ref = refs.get(key);
    if (ref === undefined) refs.set(key, (ref = refs.size + 1));
    return ref;
  };
  return {
    seriesRef: (labels: Labels) => seriesRefByKey(labelsKey(labels)),
    seriesRefByKey,
    append(ref, timestampMs, value) {
      refColumn[next] = ref;
      timestamps[next] = timestampMs;
      values[next] = value;
      next = (next + 1) % capacity;
    },
    afterCommit: (fn) => fn(),
    seriesGeneration: () => 0,
    // As the WAL's: a Map lookup and a comparison per call.
    setMetadata(family, metadata) {
      const known = families.get(family);
      if (known === undefined || !sameMetadata(known, metadata)) families.set(family, metadata);
    },
  };
}

/** utime + stime of a process, in clock ticks (fields 14 and 15, counted after the `(comm)`). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU milliseconds per collection of Outpost's host input and of node_exporter's same collectors. */
export async function benchHost(): Promise<{ host_collect_cpu_ms: number; node_exporter_cpu_ms: number }> {
  const input = createHostInput();
  const appender = memoryAppender();
  for (let i = 0; i < WARMUP; i++) await input.collect(appender, Date.now());
  const costs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const before = process.cpuUsage();
    await input.collect(appender, Date.now());
    const used = process.cpuUsage(before);
    costs.push((used.user + used.system) / 1000);
  }

  if (!nodeExporterAvailable()) return { host_collect_cpu_ms: median(costs), node_exporter_cpu_ms: NaN };
  const exporter = await startNodeExporter();
  try {
    const scrape = async () => (await fetch(exporter.url, { headers: { 'accept-encoding': 'identity' } })).text();
    for (let i = 0; i < WARMUP; i++) await scrape();
    const before = cpuTicks(exporter.pid);
    for (let i = 0; i < SCRAPES; i++) await scrape();
    const ticks = cpuTicks(exporter.pid) - before;
    return { host_collect_cpu_ms: median(costs), node_exporter_cpu_ms: (ticks * TICK_MS) / SCRAPES };
  } finally {
    await exporter.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchHost()));
}
