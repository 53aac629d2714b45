/**
 * `npm run bench:footprint`: memory and CPU of a running Outpost at idle and at 1,000, 10,000 and
 * 50,000 scraped series. Options: `--loads 0,1000,10000,50000` (a subset of these), `--warmup 20`
 * and `--seconds 40` (seconds per load), `--bin <path>` (a release bundle's bin/outpost instead of
 * dist/main.js), `--node-flags="..."` (node runs dist/main.js with these flags, no launcher; the `=` is
 * needed as they begin with a dash).
 * Prints one JSON line on stdout and a table on stderr.
 *
 * By default dist/main.js is started through scripts/package/launcher.sh, laid out as in the
 * container image (bin/outpost beside dist/), so it gets a release's V8 flags; the JSON's
 * "command" is the command line Outpost ran with. Each load starts a fresh Outpost with an empty
 * data directory, delivering to a sink on loopback that answers 204. The idle load has host
 * metrics on and no scrape targets; the others have host and own metrics off and scrape
 * in-process exporters (footprint-exporter.ts) every second. After the warm-up, VmRSS
 * (/proc/PID/status) is read every second and utime+stime (/proc/PID/stat) at both ends of the
 * window; samples scraped are series × pages served in it. seriesCostKiB is the mean RSS at 50,000
 * series minus that at 10,000, per series added. Heap is not reported: Outpost's /metrics has no
 * heap family to read it from.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killOnTestExit } from '../../test/helpers/daemon.js';
import { freePort, MAIN_JS, waitForStatus } from '../../test/helpers/outpost-process.js';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { startExporter, type Exporter } from './footprint-exporter.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MiB = 1024 * 1024;
const READY_TIMEOUT_MS = 30_000;
// OUTPOST_SHUTDOWN_TIMEOUT's default (10 s) and some margin, before SIGKILL.
const STOP_TIMEOUT_MS = 20_000;

/** A load: `targets` exporters of `seriesPerTarget` series each; 0 series is the idle load. */
interface Load {
  series: number;
  targets: number;
  seriesPerTarget: number;
}

const LOADS: Load[] = [
  { series: 0, targets: 0, seriesPerTarget: 0 },
  { series: 1_000, targets: 1, seriesPerTarget: 1_000 },
  { series: 10_000, targets: 10, seriesPerTarget: 1_000 },
  { series: 50_000, targets: 5, seriesPerTarget: 10_000 },
];

interface LoadResult {
  series: number;
  rssMeanMiB: number;
  rssPeakMiB: number;
  cpuPercent: number;
  /** Null at idle, where nothing is scraped. */
  cpuSecondsPer1MSamples: number | null;
  samplesScraped: number;
  remoteWriteRequests: number;
  remoteWriteMiB: number;
}

/** What the first started Outpost showed of itself in /proc. */
interface Runtime {
  command: string[];
  node: string;
}

const { values } = parseArgs({
  options: {
    loads: { type: 'string', default: LOADS.map((l) => l.series).join(',') },
    warmup: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '40' },
    bin: { type: 'string' },
    'node-flags': { type: 'string' },
  },
});

function positiveSeconds(name: string, text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--${name} must be a positive number of seconds, not "${text}"`);
  return seconds;
}

const warmupMs = positiveSeconds('warmup', values.warmup) * 1000;
const windowSeconds = Math.round(positiveSeconds('seconds', values.seconds));
const loads = values.loads.split(',').map((text) => {
  const load = LOADS.find((l) => String(l.series) === text.trim());
  if (load === undefined) throw new Error(`unknown load "${text}"; the loads are ${LOADS.map((l) => l.series).join(', ')}`);
  return load;
});
if (values.bin !== undefined && values['node-flags'] !== undefined) throw new Error('--node-flags cannot apply to --bin: its launcher picks the flags');
if (values.bin === undefined && !existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first`);
const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

// Temp dirs still present at exit (the launcher's, or any after an interruption) are removed here,
// after daemon.js's exit handler (registered first) has killed the children still running. A
// signal must go through exit() for either to run.
const liveDirs = new Set<{ remove(): void }>();
process.on('exit', () => {
  for (const dir of liveDirs) dir.remove();
});
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

/**
 * The repository's launcher as bin/outpost with dist/ beside it, the container image's layout. The
 * launcher finds its root through symlinks, hence a copy; dist/ may be a link, as node loads
 * dist/main.js from its real path, where node_modules is found.
 */
function stageLauncher(): string {
  const dir = tempDir('outpost-footprint-launcher-');
  liveDirs.add(dir);
  const bin = join(dir.path, 'bin', 'outpost');
  mkdirSync(dirname(bin));
  copyFileSync(join(REPO_ROOT, 'scripts', 'package', 'launcher.sh'), bin);
  chmodSync(bin, 0o755);
  symlinkSync(dirname(MAIN_JS), join(dir.path, 'dist'));
  return bin;
}

const command = values.bin !== undefined ? [values.bin]
  : values['node-flags'] !== undefined ? [process.execPath, ...values['node-flags'].split(/\s+/).filter((flag) => flag !== ''), MAIN_JS]
  : [stageLauncher()];

/** The remote-write endpoint: answers 204 to POST /api/v1/write, counting requests and bytes. */
async function startSink() {
  let requests = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/api/v1/write') {
      res.writeHead(404).end();
      return;
    }
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      requests++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
    counts: () => ({ requests, bytes }),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Starts `command` with `env` and no other OUTPOST_* variable, and waits until it is ready. */
async function startOutpost(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(command[0]!, command.slice(1), {
    env: {
      // The repository's launcher runs the `node` on PATH: make that this one.
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      OUTPOST_HTTP_ADDRESS: `127.0.0.1:${port}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnTestExit(child);
  let output = '';
  const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-8192));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (error) => (output += `\ncannot run ${command[0]}: ${error.message}`));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const failure = (what: string): Error => new Error(`outpost ${what}:\n${output}`);
  const stop = async (): Promise<void> => {
    if (!running()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    if (child.exitCode !== 0) console.error(`outpost stopped with ${child.exitCode ?? child.signalCode}:\n${output}`);
  };

  try {
    const ready = waitForStatus(`http://127.0.0.1:${port}/-/ready`, 200, READY_TIMEOUT_MS);
    const first = await Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const)]);
    if (first === 'exited') throw failure('exited while starting');
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = child.pid!;
  const exe = readlinkSync(`/proc/${pid}/exe`);
  // A launcher that did not exec node would have us measure a shell.
  if (!/\/node$/.test(exe)) {
    await stop();
    throw new Error(`pid ${pid} runs ${exe}, not node: the launcher must exec node`);
  }
  return {
    pid,
    stop,
    runtime: (): Runtime => ({
      command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== ''),
      node: execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim(),
    }),
    /** Throws with Outpost's last output when it has exited. */
    assertRunning(): void {
      if (!running()) throw failure(`exited with ${child.exitCode ?? child.signalCode}`);
    },
  };
}

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** utime + stime in seconds: fields 14 and 15 of /proc/PID/stat, counted after the ")" ending the name. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

function loadName(load: Load): string {
  return load.series === 0 ? 'idle' : `${load.series.toLocaleString('en')} series (${load.targets} × ${load.seriesPerTarget.toLocaleString('en')})`;
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

let runtime: Runtime | undefined;

async function measure(load: Load): Promise<LoadResult> {
  const dir = tempDir('outpost-footprint-');
  liveDirs.add(dir);
  const sink = await startSink();
  const exporters: Exporter[] = [];
  let outpost: Awaited<ReturnType<typeof startOutpost>> | undefined;
  try {
    for (let t = 0; t < load.targets; t++) exporters.push(await startExporter(load.seriesPerTarget));
    outpost = await startOutpost({
      OUTPOST_DATA_DIR: join(dir.path, 'data'),
      OUTPOST_HOST_METRICS: load.series === 0 ? 'true' : 'false',
      OUTPOST_SELF_METRICS: 'false',
      OUTPOST_SCRAPE_INTERVAL: '1s',
      OUTPOST_SCRAPE_TARGETS: exporters.map((e) => e.url).join(','),
      OUTPOST_REMOTE_WRITE_URL: sink.url,
      // Each target adds 4 series of its own (up, scrape_duration_seconds, ...), which would put
      // the 50,000-series load over the default cap.
      OUTPOST_MAX_SERIES: '100000',
    });
    runtime ??= outpost.runtime();
    const { pid } = outpost;
    console.error(`${loadName(load)}: pid ${pid}, warming up ${warmupMs / 1000} s, then measuring ${windowSeconds} s`);
    await sleep(warmupMs);
    outpost.assertRunning();

    const pagesServed = (): number => exporters.reduce((sum, e) => sum + e.scrapes(), 0);
    const start = { at: performance.now(), cpu: cpuSeconds(pid), pages: pagesServed(), sent: sink.counts() };
    const rss: number[] = [];
    for (let second = 1; second <= windowSeconds; second++) {
      // Scheduled from the start, so slow readings do not stretch the window.
      await sleep(Math.max(0, start.at + second * 1000 - performance.now()));
      outpost.assertRunning();
      rss.push(rssBytes(pid));
    }
    const elapsedSeconds = (performance.now() - start.at) / 1000;
    const cpu = cpuSeconds(pid) - start.cpu;
    const samples = (pagesServed() - start.pages) * load.seriesPerTarget;
    const sent = sink.counts();
    return {
      series: load.series,
      rssMeanMiB: round(rss.reduce((a, b) => a + b, 0) / rss.length / MiB, 1),
      rssPeakMiB: round(Math.max(...rss) / MiB, 1),
      cpuPercent: round((100 * cpu) / elapsedSeconds, 1),
      cpuSecondsPer1MSamples: samples === 0 ? null : round(cpu / (samples / 1e6), 2),
      samplesScraped: samples,
      remoteWriteRequests: sent.requests - start.sent.requests,
      remoteWriteMiB: round((sent.bytes - start.sent.bytes) / MiB, 2),
    };
  } finally {
    await outpost?.stop();
    await Promise.all(exporters.map((e) => e.close()));
    await sink.close();
    dir.remove();
    liveDirs.delete(dir);
  }
}

function printTable(results: LoadResult[]): void {
  const rows = [
    ['load', 'RSS mean MiB', 'RSS peak MiB', 'CPU %', 'CPU s / 1M samples', 'samples', 'writes', 'written MiB'],
    ...results.map((r) => [
      r.series === 0 ? 'idle' : r.series.toLocaleString('en'),
      r.rssMeanMiB.toFixed(1), r.rssPeakMiB.toFixed(1), r.cpuPercent.toFixed(1),
      r.cpuSecondsPer1MSamples?.toFixed(2) ?? '-', r.samplesScraped.toLocaleString('en'),
      String(r.remoteWriteRequests), r.remoteWriteMiB.toFixed(2),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.error(row.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
}

const results: LoadResult[] = [];
for (const load of loads) results.push(await measure(load));
printTable(results);

const rssAt = (series: number): number | undefined => results.find((r) => r.series === series)?.rssMeanMiB;
const rss10k = rssAt(10_000);
const rss50k = rssAt(50_000);
console.log(JSON.stringify({
  machine: {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memoryMiB: Math.round(totalmem() / MiB),
    kernel: release(),
    // The Node that ran Outpost: a release bundle brings its own.
    node: runtime!.node,
  },
  bin: values.bin ?? (values['node-flags'] !== undefined ? 'dist/main.js' : 'scripts/package/launcher.sh + dist/main.js'),
  command: runtime!.command,
  warmupSeconds: warmupMs / 1000,
  windowSeconds,
  idleRssMiB: rssAt(0) ?? null,
  loads: results,
  seriesCostKiB: rss10k === undefined || rss50k === undefined ? null : round(((rss50k - rss10k) * 1024) / 40_000, 2),
}));
