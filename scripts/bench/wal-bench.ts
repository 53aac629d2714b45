/**
 * WAL benchmark: how fast a scrape-shaped load appends and reads back, and what it costs on disk.
 *
 * Usage: `npm run bench:wal -- [--series N] [--scrapes N] [--dir PARENT] [--keep]`
 * (or `node dist-test/scripts/bench/wal-bench.js …` after `npm run build:test`).
 *
 * The load imitates node_exporter on a fleet of gateways: groups of 100 series per `instance`,
 * 60 counters (integer byte and packet counters growing by random amounts, CPU/IO seconds with two
 * decimals), 30 gauges that mostly stay put (memory, filesystem sizes, temperatures with one
 * decimal, process counts; a few never change) and 10 noisy full-precision floats (load averages,
 * collector durations). Values come from a seeded PRNG, so runs are comparable.
 *
 * Each scrape's values are generated into one series-sized array before its timed section (memory
 * O(series), so --series 100000 costs under a megabyte for them, where pre-generating every scrape
 * would take series × scrapes × 8 bytes); the timed section resolves refs by key, appends and
 * commits, as a scrape input and the group-commit timer would. The WAL's clock is a manual one
 * moved 15 s per scrape, so segments roll every 15 simulated minutes as in production.
 *
 * Figures: append and read rates; bytes on disk per sample (every file of the data dir after
 * close, when SQLite has folded its journal in — the reserve file included); bytes the process
 * caused the device to write per sample during the append phase (`write_bytes` of /proc/self/io:
 * commits, checkpoints, the reserve; null where /proc is missing); peak RSS. The last line printed
 * is a JSON object with these figures.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createManualClock } from '../../src/lib/clock.js';
import { labelsKey, type Label, type Labels } from '../../src/model/labels.js';
import { openSqliteWal, WAL_FILE } from '../../src/wal/sqlite-wal.js';
import { prng } from './prng.js';

const SCRAPE_INTERVAL_MS = 15_000;
const READ_BATCH = 5000;

/** How a series' value evolves between scrapes. */
const enum Kind {
  /** Integer counter of bytes, + up to `scale` per scrape. */
  Bytes,
  /** Integer counter of events (packets, interrupts), + up to `scale` per scrape. */
  Events,
  /** Seconds counter with two decimals, + up to `scale` per scrape. */
  Seconds,
  /** Byte gauge (memory, free space): moves by up to ±scale/2 in 4 KiB pages in 10% of scrapes. */
  Level,
  /** Never changes (totals, sizes, link state). */
  Constant,
  /** Temperature with one decimal: moves by up to ±0.5 in 20% of scrapes. */
  Temperature,
  /** Small integer gauge (open files, processes): moves by up to ±3 in 20% of scrapes. */
  Count,
  /** Full-precision float in [0, scale): a new value each scrape. */
  Noisy,
}

interface SeriesTemplate {
  labels: Record<string, string>;
  kind: Kind;
  scale: number;
  initial: number;
}

/** The 100 series one simulated node_exporter exposes. */
function instanceTemplate(): SeriesTemplate[] {
  const t: SeriesTemplate[] = [];
  const add = (name: string, labels: Record<string, string>, kind: Kind, scale: number, initial: number): void => {
    t.push({ labels: { __name__: name, ...labels }, kind, scale, initial });
  };
  // Counters: 32 + 16 + 10 + 2 = 60.
  for (let cpu = 0; cpu < 4; cpu++) {
    for (const mode of ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user']) {
      add('node_cpu_seconds_total', { cpu: String(cpu), mode }, Kind.Seconds, mode === 'idle' ? 15 : 1.5, 1_000_000);
    }
  }
  for (const device of ['eth0', 'wlan0', 'wwan0', 'lo']) {
    add('node_network_receive_bytes_total', { device }, Kind.Bytes, 2_000_000, 1e11);
    add('node_network_transmit_bytes_total', { device }, Kind.Bytes, 500_000, 1e10);
    add('node_network_receive_packets_total', { device }, Kind.Events, 2_000, 1e8);
    add('node_network_transmit_packets_total', { device }, Kind.Events, 1_000, 1e8);
  }
  for (const device of ['mmcblk0', 'sda']) {
    add('node_disk_read_bytes_total', { device }, Kind.Bytes, 400_000, 1e10);
    add('node_disk_written_bytes_total', { device }, Kind.Bytes, 800_000, 1e10);
    add('node_disk_reads_completed_total', { device }, Kind.Events, 100, 1e6);
    add('node_disk_writes_completed_total', { device }, Kind.Events, 200, 1e6);
    add('node_disk_io_time_seconds_total', { device }, Kind.Seconds, 0.5, 50_000);
  }
  add('node_context_switches_total', {}, Kind.Events, 30_000, 1e10);
  add('node_intr_total', {}, Kind.Events, 20_000, 1e10);
  // Gauges: 10 + 9 + 4 + 7 = 30.
  for (const [field, kind] of [
    ['MemTotal', Kind.Constant], ['MemFree', Kind.Level], ['MemAvailable', Kind.Level], ['Buffers', Kind.Level],
    ['Cached', Kind.Level], ['SwapTotal', Kind.Constant], ['SwapFree', Kind.Level], ['Active', Kind.Level],
    ['Inactive', Kind.Level], ['Dirty', Kind.Level],
  ] as const) {
    add(`node_memory_${field}_bytes`, {}, kind, 8 * 1024 * 1024, 2 * 1024 ** 3);
  }
  for (const [mountpoint, device, fstype] of [['/', '/dev/mmcblk0p2', 'ext4'], ['/boot', '/dev/mmcblk0p1', 'vfat'], ['/data', '/dev/sda1', 'ext4']]) {
    const labels = { device: device!, fstype: fstype!, mountpoint: mountpoint! };
    add('node_filesystem_size_bytes', labels, Kind.Constant, 0, 32 * 1024 ** 3);
    add('node_filesystem_free_bytes', labels, Kind.Level, 1024 * 1024, 20 * 1024 ** 3);
    add('node_filesystem_avail_bytes', labels, Kind.Level, 1024 * 1024, 19 * 1024 ** 3);
  }
  add('node_hwmon_temp_celsius', { chip: 'thermal_thermal_zone0', sensor: 'temp1' }, Kind.Temperature, 1, 48.5);
  add('node_hwmon_temp_celsius', { chip: 'nvme_nvme0', sensor: 'temp1' }, Kind.Temperature, 1, 41.9);
  add('node_hwmon_temp_celsius', { chip: 'platform_rpi_poe', sensor: 'temp1' }, Kind.Temperature, 1, 37.2);
  add('node_thermal_zone_temp', { type: 'cpu-thermal', zone: '0' }, Kind.Temperature, 1, 48.3);
  add('node_filefd_allocated', {}, Kind.Count, 3, 1_312);
  add('node_procs_running', {}, Kind.Count, 3, 3);
  add('node_procs_blocked', {}, Kind.Count, 3, 0);
  for (const device of ['eth0', 'wlan0', 'wwan0', 'lo']) add('node_network_up', { device }, Kind.Constant, 0, 1);
  // Noisy: 3 + 7 = 10.
  for (const name of ['node_load1', 'node_load5', 'node_load15']) add(name, {}, Kind.Noisy, 2, 0.5);
  for (const collector of ['cpu', 'diskstats', 'filesystem', 'hwmon', 'loadavg', 'meminfo', 'netdev']) {
    add('node_scrape_collector_duration_seconds', { collector }, Kind.Noisy, 0.01, 0.001);
  }
  return t;
}

/** The benchmark's series: label sets, keys and per-series value state. */
class Fleet {
  readonly labels: Labels[] = [];
  readonly keys: string[] = [];
  private readonly kinds: Uint8Array;
  private readonly scales: Float64Array;
  readonly values: Float64Array;
  private readonly random = prng(0x5eed);

  constructor(series: number) {
    const template = instanceTemplate();
    this.kinds = new Uint8Array(series);
    this.scales = new Float64Array(series);
    this.values = new Float64Array(series);
    for (let i = 0; i < series; i++) {
      const tpl = template[i % template.length]!;
      const instance = `gw-${String(Math.floor(i / template.length)).padStart(5, '0')}:9100`;
      const labels: Label[] = Object.entries({ ...tpl.labels, instance, job: 'node' }).map(([name, value]) => ({ name, value }));
      labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.labels.push(labels);
      this.keys.push(labelsKey(labels));
      this.kinds[i] = tpl.kind;
      this.scales[i] = tpl.scale;
      // Spread initial values so instances differ, keeping each kind's shape.
      const spread = 0.5 + this.random();
      this.values[i] = tpl.kind === Kind.Seconds ? Math.round(tpl.initial * spread * 100) / 100
        : tpl.kind === Kind.Temperature ? Math.round(tpl.initial * 10) / 10
          : tpl.kind === Kind.Noisy ? tpl.initial * spread
            : tpl.kind === Kind.Level ? Math.floor((tpl.initial * spread) / 4096) * 4096
              : Math.floor(tpl.initial * spread);
    }
  }

  /** Moves every series to its next scrape's value, in place in `values`. */
  scrape(): void {
    const { kinds, scales, values, random } = this;
    for (let i = 0; i < values.length; i++) {
      const scale = scales[i]!;
      switch (kinds[i]) {
        case Kind.Bytes:
        case Kind.Events:
          values[i]! += Math.floor(random() * scale);
          break;
        case Kind.Seconds:
          values[i] = Math.round((values[i]! + random() * scale) * 100) / 100;
          break;
        case Kind.Level:
          if (random() < 0.1) values[i] = Math.max(0, values[i]! + Math.round(((random() - 0.5) * scale) / 4096) * 4096);
          break;
        case Kind.Temperature:
          if (random() < 0.2) values[i] = Math.round((values[i]! + (random() - 0.5) * scale) * 10) / 10;
          break;
        case Kind.Count:
          if (random() < 0.2) values[i] = Math.max(0, values[i]! + Math.round((random() - 0.5) * 2 * scale));
          break;
        case Kind.Noisy:
          values[i] = random() * scale;
          break;
        default:
          break;
      }
    }
  }
}

/** `write_bytes` of /proc/self/io: bytes this process caused to be sent to storage; null without /proc. */
function deviceWriteBytes(): number | null {
  try {
    const match = /^write_bytes:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

function dirFiles(dir: string): Array<{ name: string; bytes: number }> {
  return readdirSync(dir).map((name) => ({ name, bytes: statSync(join(dir, name)).size }));
}

const sumBytes = (files: Array<{ bytes: number }>): number => files.reduce((s, f) => s + f.bytes, 0);
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}" (e.g. --${name} ${fallback})`);
  return n;
}

function main(): void {
  const { values: args } = parseArgs({
    options: { series: { type: 'string' }, scrapes: { type: 'string' }, dir: { type: 'string' }, keep: { type: 'boolean' } },
  });
  const series = positiveInt(args.series, 'series', 10_000);
  const scrapes = positiveInt(args.scrapes, 'scrapes', 360);
  const dataDir = mkdtempSync(join(args.dir ?? tmpdir(), 'outpost-wal-bench-'));
  try {
    run(series, scrapes, dataDir);
  } finally {
    // With --keep the first line printed names the directory; the JSON line stays the last one.
    if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

function run(series: number, scrapes: number, dataDir: string): void {
  const samples = series * scrapes;
  console.log(`WAL bench: ${fmt(series)} series × ${fmt(scrapes)} scrapes every 15 s = ${fmt(samples)} samples, data dir ${dataDir}`);
  const fleet = new Fleet(series);
  const clock = createManualClock(Math.floor(Date.now() / SCRAPE_INTERVAL_MS) * SCRAPE_INTERVAL_MS);
  const wal = openSqliteWal({
    dir: dataDir,
    segmentDurationMs: 15 * 60_000,
    retentionMs: 24 * 3_600_000,
    maxBytes: 1024 ** 3,
    maxSeries: series,
    clock,
  });

  const writesBefore = deviceWriteBytes();
  let appendMs = 0;
  let firstScrapeMs = 0;
  for (let s = 0; s < scrapes; s++) {
    fleet.scrape();
    const ts = clock.now();
    const t0 = performance.now();
    const { keys, labels, values } = fleet;
    for (let i = 0; i < series; i++) {
      // Refs last until the next commit only, so a scrape resolves them again (by key, as inputs do).
      const ref = wal.seriesRefByKey(keys[i]!, () => labels[i]!);
      wal.append(ref, ts, values[i]!);
    }
    const result = wal.commit();
    const elapsed = performance.now() - t0;
    if (result.error !== undefined || result.committed !== series) throw new Error(`commit of scrape ${s} failed`, { cause: result.error });
    appendMs += elapsed;
    if (s === 0) firstScrapeMs = elapsed;
    clock.advance(SCRAPE_INTERVAL_MS);
  }
  const writesAfter = deviceWriteBytes();
  const openFiles = dirFiles(dataDir);
  const stats = wal.stats();
  const appendRate = samples / (appendMs / 1000);
  console.log(`append: ${fmt(appendMs)} ms in commits and appends, ${fmt(appendRate)} samples/s; first scrape (creates the series) ${fmt(firstScrapeMs, 1)} ms, later ones ${fmt((appendMs - firstScrapeMs) / Math.max(1, scrapes - 1), 1)} ms each`);
  console.log(`WAL: ${stats.segments} segments, ${fmt(stats.series)} series, ${fmt(stats.samplesAppended)} samples appended`);

  const consumer = wal.consumer('bench');
  let read = 0;
  const r0 = performance.now();
  for (let b = consumer.read(READ_BATCH); b !== null; b = consumer.read(READ_BATCH)) read += b.count;
  const readMs = performance.now() - r0;
  if (read !== samples) throw new Error(`read back ${read} samples, appended ${samples}`);
  const readRate = read / (readMs / 1000);
  console.log(`read: ${fmt(read)} samples in ${fmt(readMs)} ms, ${fmt(readRate)} samples/s (batches of ${READ_BATCH})`);

  wal.close();
  const closedFiles = dirFiles(dataDir);
  const diskBytes = sumBytes(closedFiles);
  const describe = (files: Array<{ name: string; bytes: number }>): string => files.map((f) => `${f.name} ${fmt(f.bytes)}`).join(', ');
  console.log(`disk while open: ${fmt(sumBytes(openFiles))} bytes (${describe(openFiles)}), ${fmt(sumBytes(openFiles) / samples, 2)} bytes/sample`);
  console.log(`disk after close: ${fmt(diskBytes)} bytes (${describe(closedFiles)}), ${fmt(diskBytes / samples, 2)} bytes/sample`);
  const db = new Database(join(dataDir, WAL_FILE), { readonly: true });
  // CAST: length() of TEXT stops at the first NUL, and series keys use NUL as separator.
  const content = db.prepare('SELECT (SELECT sum(length(data)) FROM chunks) AS chunks, (SELECT sum(length(CAST(labels AS BLOB))) FROM series) AS labels').get() as { chunks: number; labels: number };
  db.close();
  console.log(`of which chunk blobs ${fmt(content.chunks)} bytes (${fmt(content.chunks / samples, 2)} bytes/sample), series labels ${fmt(content.labels)} bytes (${fmt(content.labels / series, 1)} bytes/series)`);
  const written = writesBefore === null || writesAfter === null ? null : writesAfter - writesBefore;
  console.log(written === null
    ? 'device writes: /proc/self/io is not available'
    : `device writes during append: ${fmt(written)} bytes, ${fmt(written / samples, 2)} bytes/sample`);
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS: ${fmt(rssMb, 1)} MB`);

  console.log(JSON.stringify({
    series,
    samples,
    append_samples_per_sec: Math.round(appendRate),
    disk_bytes_per_sample: round(diskBytes / samples, 3),
    device_write_bytes_per_sample: written === null ? null : round(written / samples, 3),
    read_samples_per_sec: Math.round(readRate),
    rss_mb_peak: round(rssMb, 1),
  }));
}

main();
