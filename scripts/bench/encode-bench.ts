/**
 * Remote-write encoding benchmark: how fast RW 1.0 and 2.0 requests are encoded and
 * Snappy-compressed, and how many wire bytes a sample costs.
 *
 * Usage: `npm run bench:encode -- [--runs N] [--max-samples N]`
 * (or `node dist-test/scripts/bench/encode-bench.js …` after `npm run build:test`).
 *
 * The load is the one the peers were measured on (our side-by-side benchmark: Prometheus
 * agent 19.00 and vmagent 18.71 wire bytes per sample in steady state): 10 targets × 1,000 series
 * of node_exporter-like families with 2–3 exporter labels (node_cpu_seconds_total{cpu,mode},
 * node_filesystem_avail_bytes{device,fstype,mountpoint}, …) plus `instance` and `job`, values
 * changing every scrape as that harness's exporter (lib/exporter.js) makes them: counters grow by
 * random amounts rounded to integers or hundredths, gauges wander rounded to integers or
 * thousandths. 60 scrapes 15 s apart, so 600,000 samples per pass, seeded, so runs compare.
 *
 * Series go into requests in scrape order (a target's series family by family, as the WAL holds
 * them and `SeriesGrouper` keeps them), which is what lets Snappy find the previous series' labels.
 *
 * Two shapes of request, both capped at `--max-samples` samples (default 2000, Outpost's
 * OUTPOST_QUEUE_MAX_SAMPLES_PER_SEND):
 *   steady    one sample per series per request (the sender keeping up: each scrape is sent
 *             as it comes), 2000 series a request;
 *   catch-up  60 samples per series per request, 15 s apart (draining a backlog after an
 *             outage), 33 series a request.
 * Timed: `encodeRequest` (protobuf + Snappy) over already-grouped `SeriesSamples`, which is what
 * the sender calls per request (each series' `WireSeries` made once, as the sender's cache keeps
 * them from round to round; the warm-up pass encodes their labels), and `encodeProtobuf` alone (the rest is Snappy); building the
 * request lists is not timed. Then, bytes only: wire bytes per sample for 1, 2, 5, 15 and 60
 * samples per series per request, what batching several scrapes of a series into one request
 * buys, and the Snappy floor of 1, 5, 15 and 60 per series (snappy-floor.ts: no Snappy encoder
 * can make those bodies smaller). Then Snappy alone, snappyjs beside the fast and dense efforts of
 * Outpost's encoder (snappy-encoder.ts) on the same protobuf bodies of 1, 5, 15 and 60 samples per series: bytes
 * per sample and compress speed. Last, `SeriesGrouper` turning WAL batches (10,000 samples in
 * append order) into views.
 *
 * Figures are medians of `--runs` passes (default 5) after one warm-up pass; byte counts are the
 * same in every pass. The last line printed is a JSON object with them.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { compress } from 'snappyjs';
import type { Label } from '../../src/model/labels.js';
import { encodeProtobuf, encodeRequest, type RemoteWriteVersion } from '../../src/sender/outputs/remote-write/encode.js';
import { snappyCompress } from '../../src/sender/outputs/remote-write/snappy-encoder.js';
import type { SeriesSamples } from '../../src/sender/series-samples.js';
import { SeriesGrouper } from '../../src/sender/series-group.js';
import { WireSeries } from '../../src/sender/wire-series.js';
import { prng } from './prng.js';
import { snappyFloor } from './snappy-floor.js';
import { median } from './stats.js';

const TARGETS = 10;
const SERIES_PER_TARGET = 1000;
const SERIES = TARGETS * SERIES_PER_TARGET;
const SCRAPES = 60;
const INTERVAL_MS = 15_000;
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
/** Samples the sender reads from the WAL per round by default (queue capacity × one shard). */
const WAL_READ = 10_000;
/** Wire bytes per sample of Prometheus agent and vmagent on this load (RESULTS-baseline.md). */
const PEERS_BYTES_PER_SAMPLE = 19;

interface Family {
  name: string;
  labels: (i: number) => Record<string, string>;
  /** Counter: grows by up to `inc` per scrape. */
  inc?: number;
  /** Gauge: [min, max, step] it wanders within. */
  gauge?: [number, number, number];
}

const MODES = ['idle', 'user', 'system', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
const NUMA = ['active', 'inactive', 'dirty', 'mapped', 'shmem', 'slab', 'kernel', 'anon'];
/** The families of the peers' benchmark exporter: node_exporter-like names and label shapes. */
const FAMILIES: Family[] = [
  { name: 'node_cpu_seconds_total', labels: (i) => ({ cpu: String(i >> 3), mode: MODES[i & 7]! }), inc: 1 },
  { name: 'node_network_receive_bytes_total', labels: (i) => ({ device: `veth${((i * 2654435761) >>> 0).toString(16).slice(0, 7)}`, namespace: `ns${i % 16}` }), inc: 150_000 },
  { name: 'node_network_transmit_packets_total', labels: (i) => ({ device: `eth${i}`, duplex: i % 3 ? 'full' : 'half' }), inc: 900 },
  { name: 'node_disk_io_time_seconds_total', labels: (i) => ({ device: `nvme${i >> 2}n${(i & 3) + 1}`, controller: `pci0000:${(i % 64).toString(16).padStart(2, '0')}` }), inc: 0.8 },
  {
    name: 'node_filesystem_avail_bytes',
    labels: (i) => ({ device: `/dev/sd${String.fromCharCode(97 + (i % 26))}${((i / 26) | 0) + 1}`, fstype: i % 4 ? 'ext4' : 'xfs', mountpoint: `/srv/vol${i}` }),
    gauge: [1e9, 5e11, 4e6],
  },
  { name: 'node_hwmon_temp_celsius', labels: (i) => ({ chip: `platform_coretemp_${i >> 4}`, sensor: `temp${(i & 15) + 1}` }), gauge: [35, 90, 0.5] },
  { name: 'node_memory_numa_pages_total', labels: (i) => ({ node: String(i >> 3), type: NUMA[i & 7]! }), inc: 4096 },
  { name: 'node_interrupts_total', labels: (i) => ({ cpu: String(i % 32), devices: `nvme0q${i >> 5}`, type: 'PCI-MSI' }), inc: 500 },
  { name: 'node_softnet_backlog_len', labels: (i) => ({ cpu: String(i) }), gauge: [0, 500, 20] },
];

/** Every series, and its 60 samples side by side in two columns (series-major). */
interface Load {
  series: WireSeries[];
  timestamps: Float64Array;
  values: Float64Array;
}

function buildLoad(): Load {
  const random = prng(1);
  const series: WireSeries[] = [];
  const family: Family[] = [];
  const timestamps = new Float64Array(SERIES * SCRAPES);
  const values = new Float64Array(SERIES * SCRAPES);
  // Series k of a target belongs to family k mod 9 (the exporter's round-robin), and a scrape
  // lists them family by family, which is the order they reach the WAL and so a request.
  for (let t = 0; t < TARGETS; t++) {
    for (let fi = 0; fi < FAMILIES.length; fi++) {
      const f = FAMILIES[fi]!;
      for (let k = fi, i = 0; k < SERIES_PER_TARGET; k += FAMILIES.length, i++) {
        const own = f.labels(i);
        const set: Label[] = Object.entries({ __name__: f.name, ...own, instance: `127.0.0.1:${19100 + t}`, job: 'bench' })
          .map(([name, value]) => ({ name, value }));
        set.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        series.push(new WireSeries(set, []));
        family.push(f);
      }
    }
  }
  for (let s = 0; s < SERIES; s++) {
    const f = family[s]!;
    let v = f.gauge ? f.gauge[0] + random() * (f.gauge[1] - f.gauge[0]) : Math.floor(random() * 1e6);
    for (let k = 0; k < SCRAPES; k++) {
      if (f.gauge) {
        const [min, max, step] = f.gauge;
        v = Math.min(max, Math.max(min, v + (random() - 0.5) * 2 * step));
        v = f.name.endsWith('_bytes') || f.name.endsWith('_len') ? Math.round(v) : Math.round(v * 1000) / 1000;
      } else {
        v += random() * f.inc!;
        v = f.inc! >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
      }
      timestamps[s * SCRAPES + k] = T0 + k * INTERVAL_MS;
      values[s * SCRAPES + k] = v;
    }
  }
  return { series, timestamps, values };
}

/**
 * The requests of one pass with `perSeries` consecutive samples of each series per request, a
 * round at a time (a round covers `perSeries` scrapes of every series), so that only one round's
 * SeriesSamples objects are alive at once.
 */
function* rounds(load: Load, perSeries: number, maxSamples: number): Generator<SeriesSamples[][]> {
  const seriesPerRequest = Math.max(1, Math.floor(maxSamples / perSeries));
  for (let k = 0; k < SCRAPES; k += perSeries) {
    const requests: SeriesSamples[][] = [];
    for (let first = 0; first < SERIES; first += seriesPerRequest) {
      const request: SeriesSamples[] = [];
      for (let s = first; s < Math.min(SERIES, first + seriesPerRequest); s++) {
        request.push({ series: load.series[s]!, timestamps: load.timestamps, values: load.values, start: s * SCRAPES + k, count: perSeries });
      }
      requests.push(request);
    }
    yield requests;
  }
}

interface Pass {
  seconds: number;
  encodeSeconds: number;
  wireBytes: number;
  protobufBytes: number;
  requests: number;
}

/** One pass over all 600,000 samples: timed encode+compress, and separately encode alone. */
function pass(load: Load, protocol: RemoteWriteVersion, perSeries: number, maxSamples: number): Pass {
  const result: Pass = { seconds: 0, encodeSeconds: 0, wireBytes: 0, protobufBytes: 0, requests: 0 };
  for (const requests of rounds(load, perSeries, maxSamples)) {
    let start = performance.now();
    for (const request of requests) result.wireBytes += encodeRequest(protocol, request).length;
    result.seconds += (performance.now() - start) / 1000;
    start = performance.now();
    for (const request of requests) result.protobufBytes += encodeProtobuf(protocol, request).length;
    result.encodeSeconds += (performance.now() - start) / 1000;
    result.requests += requests.length;
  }
  return result;
}

/** The Snappy floor is exact and slow (seconds per megabyte), so it is taken over a sample of the requests. */
const FLOOR_EVERY = 10;

/** Snappy floor per sample over every FLOOR_EVERY-th request of a pass. */
function snappyFloorPerSample(load: Load, protocol: RemoteWriteVersion, perSeries: number, maxSamples: number): number {
  let bytes = 0;
  let samples = 0;
  let index = 0;
  for (const requests of rounds(load, perSeries, maxSamples)) {
    for (const request of requests) {
      if (index++ % FLOOR_EVERY !== 0) continue;
      bytes += snappyFloor(encodeProtobuf(protocol, request));
      samples += request.reduce((n, s) => n + s.count, 0);
    }
  }
  return bytes / samples;
}

interface Compressed {
  bytesPerSample: number;
  /** Uncompressed megabytes (10^6 bytes) compressed per second. */
  mbPerSec: number;
}

/** snappyjs, the reference, beside the two efforts of Outpost's encoder. */
interface Compressors {
  snappyjs: Compressed;
  fast: Compressed;
  dense: Compressed;
}

/**
 * Snappy alone on the protobuf bodies of one pass: bytes per sample and speed of snappyjs and of
 * Outpost's encoder on the same bodies, timing the median of `runs` passes after a warm-up.
 */
function compareCompressors(load: Load, protocol: RemoteWriteVersion, perSeries: number, maxSamples: number, runs: number): Compressors {
  const bodies: Uint8Array[] = [];
  for (const requests of rounds(load, perSeries, maxSamples)) for (const request of requests) bodies.push(encodeProtobuf(protocol, request).slice());
  const uncompressed = bodies.reduce((n, b) => n + b.length, 0);
  const measure = (compressor: (body: Uint8Array) => Uint8Array): Compressed => {
    let bytes = 0;
    for (const body of bodies) bytes += compressor(body).length; // warm-up
    const seconds = median(Array.from({ length: runs }, () => {
      const start = performance.now();
      for (const body of bodies) compressor(body);
      return (performance.now() - start) / 1000;
    }));
    return { bytesPerSample: round3(bytes / (SERIES * SCRAPES)), mbPerSec: round3(uncompressed / seconds / 1e6) };
  };
  return { snappyjs: measure(compress), fast: measure((b) => snappyCompress(b, 'fast')), dense: measure((b) => snappyCompress(b, 'dense')) };
}

/** Samples per second of a sender's `SeriesGrouper` over the load in WAL order, WAL_READ samples a batch. */
function groupRate(load: Load): number {
  const total = SERIES * SCRAPES;
  const refs = new Uint32Array(WAL_READ);
  const timestamps = new Float64Array(WAL_READ);
  const values = new Float64Array(WAL_READ);
  const seriesOf = (ref: number): WireSeries => load.series[ref - 1]!;
  const grouper = new SeriesGrouper();
  let seconds = 0;
  for (let from = 0; from < total; from += WAL_READ) {
    // Scrape-major, as inputs append: sample i is scrape floor(i / SERIES) of series i % SERIES.
    for (let j = 0; j < WAL_READ; j++) {
      const i = from + j;
      const s = i % SERIES;
      const k = Math.floor(i / SERIES);
      refs[j] = s + 1;
      timestamps[j] = load.timestamps[s * SCRAPES + k]!;
      values[j] = load.values[s * SCRAPES + k]!;
    }
    const start = performance.now();
    grouper.group({ refs, timestamps, values, count: WAL_READ }, seriesOf);
    seconds += (performance.now() - start) / 1000;
  }
  return total / seconds;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function main(): void {
  const { values: args } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, 'max-samples': { type: 'string', default: '2000' } },
  });
  const runs = Math.max(1, Number(args.runs));
  const maxSamples = Math.max(1, Number(args['max-samples']));
  const load = buildLoad();
  const samples = SERIES * SCRAPES;
  const labelBytes = load.series.reduce((n, s) => n + s.labels.reduce((m, l) => m + (l.name === '__name__' ? 0 : l.name.length + l.value.length), 0), 0) / SERIES;
  console.log(`${SERIES} series (${labelBytes.toFixed(1)} B of label text besides __name__), ${SCRAPES} scrapes ${INTERVAL_MS / 1000} s apart, ` +
    `≤ ${maxSamples} samples a request, median of ${runs} runs`);

  const results: Record<string, unknown> = {};
  for (const [scenario, perSeries] of [['steady', 1], ['catchup', SCRAPES]] as const) {
    for (const protocol of ['1.0', '2.0'] as const) {
      pass(load, protocol, perSeries, maxSamples); // warm-up: JIT, buffer growth
      const passes = Array.from({ length: runs }, () => pass(load, protocol, perSeries, maxSamples));
      const first = passes[0]!;
      const figures = {
        samplesPerSec: Math.round(median(passes.map((p) => samples / p.seconds))),
        encodeOnlySamplesPerSec: Math.round(median(passes.map((p) => samples / p.encodeSeconds))),
        wireBytesPerSample: round3(first.wireBytes / samples),
        protobufBytesPerSample: round3(first.protobufBytes / samples),
        vsPeers: round3(first.wireBytes / samples / PEERS_BYTES_PER_SAMPLE),
        samplesPerRequest: Math.round(samples / first.requests),
        wireBytesPerRequest: Math.round(first.wireBytes / first.requests),
      };
      results[`rw${protocol.replace('.', '')}_${scenario}`] = figures;
      console.log(`RW ${protocol} ${scenario.padEnd(7)}  ${(figures.samplesPerSec / 1e6).toFixed(2)} M samples/s encode+compress ` +
        `(${(figures.encodeOnlySamplesPerSec / 1e6).toFixed(2)} M encode only)  ${figures.wireBytesPerSample.toFixed(2)} B/sample on the wire ` +
        `(${figures.protobufBytesPerSample.toFixed(1)} uncompressed) = ${figures.vsPeers.toFixed(2)}× the peers' ${PEERS_BYTES_PER_SAMPLE}`);
    }
  }
  // Between the two: what batching several scrapes per series into a request buys (e.g. 5 when
  // scrapes come every second and the sender waits 5 s). Bytes only, one pass each.
  const sweep: Record<string, Record<number, number>> = { '1.0': {}, '2.0': {} };
  for (const protocol of ['1.0', '2.0'] as const) {
    for (const perSeries of [1, 2, 5, 15, 60]) sweep[protocol]![perSeries] = round3(pass(load, protocol, perSeries, maxSamples).wireBytes / samples);
    console.log(`RW ${protocol} B/sample by samples per series per request: ` +
      Object.entries(sweep[protocol]!).map(([n, b]) => `${n}: ${b.toFixed(2)}`).join(', '));
  }
  // What no Snappy encoder could beat on the same bodies (snappy-floor.ts): how much a better
  // compressor than snappyjs could still win, and whether a wire goal is reachable with Snappy.
  const floor: Record<string, Record<number, number>> = { '1.0': {}, '2.0': {} };
  for (const protocol of ['1.0', '2.0'] as const) {
    for (const perSeries of [1, 5, 15, 60]) floor[protocol]![perSeries] = round3(snappyFloorPerSample(load, protocol, perSeries, maxSamples));
    console.log(`RW ${protocol} Snappy floor, B/sample (every ${FLOOR_EVERY}th request): ` +
      Object.entries(floor[protocol]!).map(([n, b]) => `${n} per series: ${b.toFixed(2)}`).join(', '));
  }
  // The encoder the sender uses, at both efforts, against snappyjs: what each wins, and what it costs.
  const compressors: Record<string, Record<number, Compressors>> = { '1.0': {}, '2.0': {} };
  const against = (c: Compressed, base: Compressed): string =>
    `${(100 * (1 - c.bytesPerSample / base.bytesPerSample)).toFixed(1)}% fewer bytes in ${(base.mbPerSec / c.mbPerSec).toFixed(2)}× the time`;
  for (const protocol of ['1.0', '2.0'] as const) {
    for (const perSeries of [1, 5, 15, 60]) {
      const c = compareCompressors(load, protocol, perSeries, maxSamples, runs);
      compressors[protocol]![perSeries] = c;
      const figures = (x: Compressed): string => `${x.bytesPerSample.toFixed(2)} B/sample ${x.mbPerSec.toFixed(0)} MB/s`;
      console.log(`RW ${protocol} Snappy at ${String(perSeries).padStart(2)} per series: snappyjs ${figures(c.snappyjs)}; ` +
        `fast ${figures(c.fast)} (${against(c.fast, c.snappyjs)}); dense ${figures(c.dense)} (${against(c.dense, c.fast)} than fast)`);
    }
  }
  const group = Math.round(median(Array.from({ length: runs }, () => groupRate(load))));
  console.log(`group by series  ${(group / 1e6).toFixed(2)} M samples/s (WAL batches of ${WAL_READ})`);
  console.log(JSON.stringify({
    series: SERIES, scrapes: SCRAPES, intervalMs: INTERVAL_MS, maxSamplesPerRequest: maxSamples, runs,
    node: process.version, arch: process.arch, peersWireBytesPerSample: PEERS_BYTES_PER_SAMPLE,
    ...results, wireBytesPerSampleBySamplesPerSeries: sweep, snappyFloorBytesPerSampleBySamplesPerSeries: floor,
    snappyBySamplesPerSeries: compressors, groupSamplesPerSec: group,
  }));
}

main();
