/**
 * The fleet's gateways: N collector processes on loopback, each with its own data directory,
 * `gateway=gwNN` external label and scrape target, writing to one URL. Outpost runs as `npm start`
 * runs it; vmagent (Debian's package) with one persistent queue each, for the side-by-side row.
 * Their output goes to a log file per gateway in the run directory; their RSS is read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForStatus } from '../../test/helpers/outpost-process.js';

/** The compiled entry point (scripts run from dist-test/scripts/fleet). */
const MAIN_JS = fileURLToPath(new URL('../../../dist/main.js', import.meta.url));
/** The node flags of `npm start`: one GC thread and small young generations, as on a gateway. */
const NODE_FLAGS = ['--single-threaded-gc', '--max-semi-space-size=4'];

/** Debian's vmagent. */
export const VMAGENT_BIN = process.env.VMAGENT ?? '/usr/bin/vmagent';

/** Which collector the gateways run. */
export type Collector = 'outpost' | 'vmagent';

/** One running gateway. */
export interface Gateway {
  readonly name: string;
  readonly pid: number;
  /** Its own HTTP port (status and metrics). */
  readonly port: number;
  /** Resident set size now in bytes; 0 once it has exited. */
  rss(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** What every gateway gets. */
export interface GatewayOptions {
  collector: Collector;
  name: string;
  dir: string;
  writeUrl: string;
  scrapeUrl: string;
  scrapeIntervalSeconds: number;
  /** Extra environment (Outpost variables), e.g. queue settings under test. */
  env?: Record<string, string>;
}

// Every child of the harness, killed when it exits in any way, so no gateway outlives a run.
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts one gateway and resolves once it serves its health endpoint. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  mkdirSync(options.dir, { recursive: true });
  const port = await freePort();
  const log = openSync(join(options.dir, 'output.log'), 'a');
  const { bin, args, env } = options.collector === 'outpost' ? outpostCommand(options, port) : vmagentCommand(options, port);
  const child = spawn(bin, args, { env, stdio: ['ignore', log, log] });
  closeSync(log);
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    children.delete(child);
    resolve();
  }));
  const health = options.collector === 'outpost' ? `http://127.0.0.1:${port}/-/ready` : `http://127.0.0.1:${port}/health`;
  await waitForStatus(health, 200, 60_000);
  return {
    name: options.name,
    pid: child.pid!,
    port,
    rss: () => rssOf(child.pid!),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function outpostCommand(options: GatewayOptions, port: number): { bin: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    bin: process.execPath,
    args: [...NODE_FLAGS, MAIN_JS],
    env: {
      PATH: process.env.PATH ?? '',
      OUTPOST_HTTP_ADDRESS: `127.0.0.1:${port}`,
      OUTPOST_DATA_DIR: join(options.dir, 'data'),
      OUTPOST_REMOTE_WRITE_URL: options.writeUrl,
      OUTPOST_EXTERNAL_LABELS: `site=fleet,gateway=${options.name}`,
      // Host metrics off: the series count of every gateway is exactly the synthetic page's.
      OUTPOST_HOST_METRICS: 'false',
      OUTPOST_SCRAPE_TARGETS: `synthetic=${options.scrapeUrl}`,
      OUTPOST_SCRAPE_INTERVAL: `${options.scrapeIntervalSeconds}s`,
      OUTPOST_LOG_LEVEL: 'warn',
      ...options.env,
    },
  };
}

function vmagentCommand(options: GatewayOptions, port: number): { bin: string; args: string[]; env: NodeJS.ProcessEnv } {
  const url = new URL(options.scrapeUrl);
  const config = join(options.dir, 'scrape.yml');
  writeFileSync(config, [
    'scrape_configs:',
    '  - job_name: synthetic',
    `    scrape_interval: ${options.scrapeIntervalSeconds}s`,
    // The page's timestamps are the harness's record of what exists.
    '    honor_timestamps: true',
    `    metrics_path: ${url.pathname}`,
    '    static_configs:',
    `      - targets: ['${url.host}']`,
    '',
  ].join('\n'));
  return {
    bin: VMAGENT_BIN,
    args: [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-promscrape.config=${config}`,
      `-remoteWrite.url=${options.writeUrl}`,
      `-remoteWrite.tmpDataPath=${join(options.dir, 'queue')}`,
      `-remoteWrite.label=site=fleet`,
      `-remoteWrite.label=gateway=${options.name}`,
      '-loggerLevel=WARN',
    ],
    env: process.env,
  };
}

/** VmRSS of `pid` in bytes, 0 when it is gone. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}
