/**
 * Parse benchmark: how many samples per second `parseExposition` reads from a node_exporter-like
 * page of 10,000 series, given the page's bytes as a scrape hands them over (so the UTF-8 check
 * is timed too); resolving series in the WAL is measured by wal-bench.
 *
 * Usage: `node dist-test/scripts/bench/ingest-parse.js` after `npm run build:test`; prints one
 * JSON object.
 *
 * The page has 100 metric families with HELP and TYPE lines, 100 series each; labels are
 * node_exporter's shapes (cpu/mode, device, mountpoint/fstype, a histogram's `le`), values mix
 * integer counters, decimals, exponent forms and the odd NaN. The callback folds every value into
 * a sum so the work cannot be optimised away.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { PageMetadata } from '../../src/inputs/scrape/page-metadata.js';
import { parseExposition } from '../../src/inputs/scrape/parser.js';
import { SeriesCache } from '../../src/inputs/scrape/series-cache.js';
import { median } from './stats.js';

const FAMILIES = 100;
const SERIES_PER_FAMILY = 100;
// Odd, so the median is one run; enough to smooth GC pauses and a busy machine out of the
// figures (a run takes a few milliseconds, so 31 of each variant cost well under a second).
const RUNS = 31;
// Warm-up runs let V8 optimise the scanner before it is timed, as it is after a few scrapes.
const WARMUP_RUNS = 10;

const MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];

/** Builds a 10,000-series exposition body; the same for every run, so runs are comparable. */
function buildBody(): string {
  const lines: string[] = [];
  for (let f = 0; f < FAMILIES; f++) {
    const shape = f % 4;
    const name = ['node_cpu_seconds_total', 'node_network_receive_bytes_total', 'node_filesystem_avail_bytes', 'http_request_duration_seconds_bucket'][shape] + `_${f}`;
    lines.push(`# HELP ${name} Family ${f} of the benchmark page, with an escaped \\\\ and \\n in its help.`);
    lines.push(`# TYPE ${name} ${shape === 2 ? 'gauge' : shape === 3 ? 'histogram' : 'counter'}`);
    for (let s = 0; s < SERIES_PER_FAMILY; s++) {
      let labels: string;
      let value: string;
      if (shape === 0) {
        labels = `cpu="${s >> 3}",mode="${MODES[s % 8]}"`;
        value = ((s * 7919) % 100000 / 100).toFixed(2);
      } else if (shape === 1) {
        labels = `device="eth${s}"`;
        value = String(1_000_000_007 * (s + 1) % 4_294_967_296);
      } else if (shape === 2) {
        labels = `device="/dev/mmcblk0p${s}",fstype="ext4",mountpoint="/mnt/data${s}"`;
        value = s % 25 === 0 ? 'NaN' : `${(s + 1) * 1.234567}e+09`;
      } else {
        labels = `handler="/api/v${s / 10 | 0}",le="${BUCKETS[s % 10]}"`;
        value = String(s * 13);
      }
      lines.push(`${name}{${labels}} ${value}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** What one timed parse is given: a target's series cache and page metadata, or none (cold). */
interface Variant {
  cache: () => SeriesCache | undefined;
  metadata: () => PageMetadata | undefined;
}

/**
 * Parses the benchmark page RUNS times per variant and returns each variant's median rate in
 * samples per second. Steady state is how a target is scraped (the caches hold the previous
 * scrape); cold is a target's first scrape. The scraper keeps the page's metadata
 * (parse_samples_per_sec); steady without it is the parse alone, timed in the same runs,
 * interleaved, so the difference is the cost of the metadata and not of the machine's mood.
 */
export async function benchParse(): Promise<{ parse_samples_per_sec: number; parse_without_metadata_samples_per_sec: number; parse_cold_samples_per_sec: number }> {
  const body = Buffer.from(buildBody());
  const steadyCache = new SeriesCache();
  const plainCache = new SeriesCache();
  const metadata = new PageMetadata();
  const [steady, plain] = await medianRates(body, [
    { cache: () => steadyCache, metadata: () => metadata },
    { cache: () => plainCache, metadata: () => undefined },
  ]);
  // Timed apart: its garbage would be collected during the next variant's runs.
  const [cold] = await medianRates(body, [{ cache: () => undefined, metadata: () => new PageMetadata() }]);
  return { parse_samples_per_sec: steady!, parse_without_metadata_samples_per_sec: plain!, parse_cold_samples_per_sec: cold! };
}

async function medianRates(body: Buffer, variants: readonly Variant[]): Promise<number[]> {
  let sink = 0;
  const onSample = (_key: string, value: number): void => {
    sink += value === value ? value : 1;
  };
  const rates: number[][] = variants.map(() => []);
  for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
    // Every other round in reverse order, so no variant always runs right after another.
    for (let k = 0; k < variants.length; k++) {
      const v = run % 2 === 0 ? k : variants.length - 1 - k;
      const cache = variants[v]!.cache();
      const metadata = variants[v]!.metadata();
      const started = performance.now();
      const result = parseExposition(body, onSample, Infinity, cache, metadata);
      const seconds = (performance.now() - started) / 1000;
      if (!result.ok) throw new Error(`benchmark page does not parse: line ${result.line}: ${result.problem}`);
      if (run >= WARMUP_RUNS) rates[v]!.push(result.samples / seconds);
      // Yield between runs so a caller's timers and I/O are not starved.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (!Number.isFinite(sink)) throw new Error('benchmark sink overflowed');
  return rates.map((r) => Math.round(median(r)));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchParse()));
}
