/**
 * Memory of the x64 release bundle (its own Node runtime, pruned node_modules): resident set size
 * at idle and while scraping 10,000 series every second. Run with
 * `npm run build:test && node dist-test/scripts/bench/bundle-rss.js [--seconds 60]` after
 * `npm run package -- --arch x64` (a missing bundle is built first); prints the figures as JSON.
 *
 * Each phase starts a fresh outpost from the unpacked bundle with an empty data directory,
 * delivering to a receiver on loopback that answers 204, host and own metrics at their defaults.
 * "idle" adds nothing; "10k series" adds one scrape target (a local server whose every answer has
 * 10,000 series with new values) scraped every 1 s. VmRSS is read from /proc/<pid>/status every
 * 5 s over the last half of the phase; the median is reported with VmHWM (the peak). RSS under qemu
 * says nothing about a real ARM board, hence x64 only.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ensureBundle, startBundle, unpackBundle } from '../../test/helpers/bundle.js';
import { startFaultReceiver } from '../../test/helpers/fault-receiver.js';
import { waitForStatus } from '../../test/helpers/outpost-process.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const SERIES = 10_000;
const READING_EVERY_MS = 5_000;
const MiB = 1024 * 1024;

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const phaseMs = Number(values.seconds) * 1000;

/** 100 metrics × 100 devices, like a site's worth of sensors behind one exporter. */
function exposition(scrape: number): string {
  const lines: string[] = [];
  for (let m = 0; m < SERIES / 100; m++) {
    const name = `bench_sensor_${m}_value`;
    lines.push(`# HELP ${name} A benchmark sensor.`, `# TYPE ${name} gauge`);
    for (let d = 0; d < 100; d++) lines.push(`${name}{device="dev-${d}",room="room-${d % 7}"} ${((scrape * 7 + m * 13 + d) % 1000) / 10}`);
  }
  return lines.join('\n') + '\n';
}

function startExporter(): Promise<{ server: Server; url: string; scrapes: () => number }> {
  let scrapes = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(++scrapes));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, scrapes: () => scrapes });
  }));
}

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]) * 1024;
}

async function phase(top: string, name: string, env: Record<string, string>) {
  const dir = tempDir(`outpost-rss-${name}-`);
  const receiver = await startFaultReceiver();
  const proc = await startBundle('x64', top, { OUTPOST_DATA_DIR: join(dir.path, 'data'), OUTPOST_REMOTE_WRITE_URL: receiver.url, ...env });
  try {
    await waitForStatus(`http://127.0.0.1:${proc.port}/-/ready`, 200, 30_000);
    // The launcher execs node, so the spawned pid is the runtime's.
    const pid = proc.child.pid!;
    const readings: number[] = [];
    const started = Date.now();
    while (Date.now() - started < phaseMs) {
      await sleep(READING_EVERY_MS);
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`outpost exited during "${name}":\n${proc.output().slice(-4000)}`);
      if (Date.now() - started >= phaseMs / 2) readings.push(status(pid, 'VmRSS'));
    }
    const sorted = [...readings].sort((a, b) => a - b);
    return {
      rssMiB: +(sorted[Math.floor(sorted.length / 2)]! / MiB).toFixed(1),
      peakMiB: +(status(pid, 'VmHWM') / MiB).toFixed(1),
      readingsMiB: readings.map((r) => +(r / MiB).toFixed(1)),
      remoteWriteRequests: receiver.requests.length,
    };
  } finally {
    proc.child.kill('SIGTERM');
    await proc.exited;
    await receiver.close();
    dir.remove();
  }
}

const file = await ensureBundle('x64', (line) => console.error(line));
const unpacked = tempDir('outpost-rss-bundle-');
const exporter = await startExporter();
try {
  const top = unpackBundle(file, unpacked.path);
  const idle = await phase(top, 'idle', {});
  const before = exporter.scrapes();
  const busy = await phase(top, '10k', { OUTPOST_SCRAPE_TARGETS: exporter.url, OUTPOST_SCRAPE_INTERVAL: '1s' });
  console.log(JSON.stringify({
    bundle: file,
    version: readFileSync(join(top, 'VERSION'), 'utf8').trim().split('\n'),
    phaseSeconds: phaseMs / 1000,
    idle,
    series10k: { ...busy, scrapesServed: exporter.scrapes() - before },
  }, null, 2));
} finally {
  exporter.server.close();
  unpacked.remove();
}
