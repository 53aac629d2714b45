/**
 * `npm run bench:pi-disk`: what reaches the SD card of an emulated Pi, per sample stored, for
 * Outpost and the Prometheus agent on the same Debian stand-in base, the same load and the same
 * window. Each agent gets a fresh copy of the disk, boots on qemu's `virt` machine (Cortex-A53,
 * 512 MiB, `cache=none`, apt's timers masked, as the boot test runs it), scrapes 1,000 series every
 * second from a target on the host and remote-writes to a receiver on the host. After the warm-up,
 * QMP block statistics of the disk at both ends of the window give bytes and write operations,
 * with the filesystem's journal and every file of the agent included.
 *
 *   - outpost: the Pi image that `npm run pi-image` makes from the base with the arm64 bundle, its
 *     unit started by systemd as a user's would be; samples stored from /api/v1/status.
 *   - prom-agent: Debian's arm64 `prometheus` binary in `--enable-feature=agent` mode, copied onto
 *     the boot partition of a base copy and run with systemd-run, its WAL on the root filesystem;
 *     samples stored from its prometheus_agent_samples_appended_total.
 *
 * Options: `--agents outpost,prom-agent` (default both, one after the other), `--warmup 360` and
 * `--window 300` (seconds; the default warm-up is past the time Outpost's SQLite journal takes to
 * grow to its cap, so the window shows the steady state), `--env KEY=VALUE` (repeatable: more
 * settings in Outpost's outpost.env, e.g. a longer OUTPOST_WAL_COMMIT_INTERVAL) and
 * `--prometheus <path>`, the arm64 Prometheus binary that prom-agent needs, e.g. Debian's:
 *
 *   curl -O http://deb.debian.org/debian/pool/main/p/prometheus/prometheus_2.42.0+ds-5+deb12u1_arm64.deb
 *   dpkg-deb -x prometheus_2.42.0+ds-5+deb12u1_arm64.deb prometheus-arm64
 *   npm run bench:pi-disk -- --prometheus prometheus-arm64/usr/bin/prometheus
 *
 * Needs what the boot test needs (qemu-system-arm, the image tools, the arm64 bundle, the cached
 * base or root to build it). Prints one JSON line per agent on stdout, progress on stderr; the
 * guests' console logs stay in test-artifacts/pi-disk/<run>/.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { removeTree } from '../pi-image/scratch.js';
import { ensureBundle } from '../../test/helpers/bundle.js';
import { ARTIFACTS_DIR } from '../../test/helpers/chromium.js';
import { tool } from '../../test/helpers/disk-image.js';
import { startFaultReceiver, type FaultReceiver } from '../../test/helpers/fault-receiver.js';
import { freePort } from '../../test/helpers/outpost-process.js';
import { buildPiImage, editBootEnv, ensureDebianBase, piLayout } from '../../test/helpers/pi-base.js';
import { diskFigures, guest, startLoadTarget, until, type DiskFigures, type LoadTarget } from '../../test/helpers/pi-measure.js';
import { GUEST_FORWARD_IP, readBootFiles, startMachine, type BlockStats, type Machine } from '../../test/helpers/qemu-machine.js';

const AGENTS = ['outpost', 'prom-agent'] as const;
type Agent = (typeof AGENTS)[number];

const LOAD_SERIES = 1000;
const RECEIVER_PORT = 9201;
const LOAD_PORT = 9202;
const STATUS_PORT = 9780;
const PROMETHEUS_PORT = 9090;
// apt's daily timers would write to the disk at random in the window.
const QUIET_CMDLINE = 'systemd.mask=apt-daily.timer systemd.mask=apt-daily-upgrade.timer';
const BOOT_TIMEOUT_MS = 10 * 60_000;

/** Where an agent's guest runs, and how to read how many samples it has stored. */
interface Run {
  machine: Machine;
  /** Samples stored so far; undefined while the agent does not answer. */
  samplesStored(): Promise<number | undefined>;
  /** The agent's main process in the guest. */
  pid(): Promise<number>;
  /** What the run was given beyond the defaults. */
  settings: Record<string, string>;
}

interface Context {
  dir: string;
  logs: string;
  base: string;
  receiver: FaultReceiver;
  load: LoadTarget;
  prometheus: string | undefined;
  /** More settings for Outpost's outpost.env (`--env KEY=VALUE`). */
  outpostEnv: Record<string, string>;
}

const log = (line: string): void => console.error(`pi-disk: ${line}`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      agents: { type: 'string', default: AGENTS.join(',') },
      warmup: { type: 'string', default: '360' },
      window: { type: 'string', default: '300' },
      prometheus: { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
    },
  });
  const agents = values.agents.split(',').map((a) => a.trim());
  for (const agent of agents) if (!(AGENTS as readonly string[]).includes(agent)) throw new Error(`--agents: unknown agent ${agent}; known: ${AGENTS.join(', ')}`);
  const warmupS = seconds('--warmup', values.warmup);
  const windowS = seconds('--window', values.window);
  if (agents.includes('prom-agent') && values.prometheus === undefined) {
    throw new Error('--prometheus <arm64 prometheus binary> is needed for prom-agent (see the comment at the top of scripts/bench/pi-disk.ts)');
  }

  const dir = mkdtempSync(join(tmpdir(), 'outpost-pi-disk-'));
  const logs = join(ARTIFACTS_DIR, 'pi-disk', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(logs, { recursive: true });
  const base = await ensureDebianBase((line) => log(`debian-base: ${line}`));
  const receiver = await startFaultReceiver();
  const load = await startLoadTarget(LOAD_SERIES);
  const context: Context = { dir, logs, base, receiver, load, prometheus: values.prometheus, outpostEnv: settings(values.env) };
  try {
    for (const agent of agents as Agent[]) {
      const run = agent === 'outpost' ? await bootOutpost(context) : await bootPrometheusAgent(context);
      try {
        const result = await measure(agent, run, warmupS, windowS);
        console.log(JSON.stringify(result));
      } finally {
        await run.machine.powerCut();
      }
    }
  } finally {
    await receiver.close();
    load.server.close();
    removeTree(dir);
  }
}

function settings(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--env takes KEY=VALUE, e.g. --env OUTPOST_WAL_COMMIT_INTERVAL=5s; got ${JSON.stringify(pair)}`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  }));
}

function seconds(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} must be a number of seconds above 0, e.g. ${flag} 300; got ${JSON.stringify(text)}`);
  return value;
}

/** Waits out the warm-up, then reads the disk's counters and the samples stored over the window. */
async function measure(agent: Agent, run: Run, warmupS: number, windowS: number): Promise<Record<string, unknown>> {
  await until(`${agent} storing samples`, BOOT_TIMEOUT_MS, async () => ((await run.samplesStored()) ?? 0) > 0, 1000);
  const poweredOn = run.machine.poweredOnAt;
  log(`${agent}: storing ${((Date.now() - poweredOn) / 1000).toFixed(0)} s after power-on; warming up ${warmupS} s`);
  await sleep(warmupS * 1000);
  const start = await snapshot(agent, run);
  log(`${agent}: window of ${windowS} s`);
  await sleep(windowS * 1000);
  const end = await snapshot(agent, run);
  const figures: DiskFigures = diskFigures(start.stats, end.stats, end.samples - start.samples, (end.at - start.at) / 1000);
  const status = await guest(run.machine, `cat /proc/${await run.pid()}/status`);
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  log(`${agent}: ${figures.samplesPerSecond.toFixed(0)} samples/s stored; device ${figures.text}`);
  const { text: _text, ...numbers } = figures;
  return {
    agent, settings: run.settings, warmupS, windowS, ...numbers,
    rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024,
    machine: 'qemu-system-aarch64 -M virt -cpu cortex-a53 -m 512, cache=none, Debian bookworm stand-in base',
  };
}

async function snapshot(agent: Agent, run: Run): Promise<{ stats: BlockStats; samples: number; at: number }> {
  const stats = await run.machine.blockStats();
  const samples = await until(`${agent} answering`, 60_000, () => run.samplesStored());
  return { stats, samples, at: Date.now() };
}

function guestForwards(context: Context): Array<{ guestPort: number; hostPort: number }> {
  return [{ guestPort: RECEIVER_PORT, hostPort: context.receiver.port }, { guestPort: LOAD_PORT, hostPort: context.load.port }];
}

/** The Pi image with Outpost, configured on its boot partition as the boot test does. */
async function bootOutpost(context: Context): Promise<Run> {
  const image = join(context.dir, 'outpost.img');
  buildPiImage(context.base, await ensureBundle('arm64'), image);
  const layout = piLayout(image);
  editBootEnv(image, layout.bootOffset, {
    OUTPOST_REMOTE_WRITE_URL: `http://${GUEST_FORWARD_IP}:${RECEIVER_PORT}/api/v1/write`,
    OUTPOST_HTTP_ADDRESS: `0.0.0.0:${STATUS_PORT}`,
    OUTPOST_SCRAPE_TARGETS: `load=http://${GUEST_FORWARD_IP}:${LOAD_PORT}/metrics`,
    OUTPOST_SCRAPE_INTERVAL: '1s',
    ...context.outpostEnv,
  }, context.dir);
  const statusPort = await freePort();
  const machine = await startMachine({
    image, boot: readBootFiles(image, layout.bootOffset, join(context.dir, 'outpost-firmware')), dir: context.logs, name: 'outpost',
    hostForwards: [{ hostPort: statusPort, guestPort: STATUS_PORT }], guestForwards: guestForwards(context), extraCmdline: QUIET_CMDLINE,
  });
  return {
    machine,
    async samplesStored() {
      const doc = await fetchText(`http://127.0.0.1:${statusPort}/api/v1/status`);
      return doc === undefined ? undefined : (JSON.parse(doc) as { wal: { samplesAppended: number } | null }).wal?.samplesAppended;
    },
    pid: () => mainPid(machine, 'outpost'),
    settings: context.outpostEnv,
  };
}

/** A copy of the bare base with Debian's arm64 Prometheus on its boot partition, run in agent mode. */
async function bootPrometheusAgent(context: Context): Promise<Run> {
  const image = join(context.dir, 'prom-agent.img');
  copyFileSync(context.base, image);
  const layout = piLayout(image);
  const config = join(context.dir, 'prom-agent.yml');
  writeFileSync(config, [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    'scrape_configs:',
    '  - job_name: load',
    '    static_configs:',
    `      - targets: ['${GUEST_FORWARD_IP}:${LOAD_PORT}']`,
    'remote_write:',
    `  - url: http://${GUEST_FORWARD_IP}:${RECEIVER_PORT}/api/v1/write`,
    '',
  ].join('\n'));
  const drive = `${image}@@${layout.bootOffset}`;
  tool('mcopy', ['-i', drive, context.prometheus!, '::prometheus']);
  tool('mcopy', ['-i', drive, config, '::prom-agent.yml']);
  const promPort = await freePort();
  const machine = await startMachine({
    image, boot: readBootFiles(image, layout.bootOffset, join(context.dir, 'prom-firmware')), dir: context.logs, name: 'prom-agent',
    hostForwards: [{ hostPort: promPort, guestPort: PROMETHEUS_PORT }], guestForwards: guestForwards(context), extraCmdline: QUIET_CMDLINE,
  });
  await machine.waitForShell(BOOT_TIMEOUT_MS);
  // Its WAL on the root filesystem, as a packaged Prometheus keeps it under /var/lib.
  await guest(machine, 'systemd-run --unit=prom-agent -p StateDirectory=prom-agent /boot/firmware/prometheus --enable-feature=agent ' +
    `--config.file=/boot/firmware/prom-agent.yml --storage.agent.path=/var/lib/prom-agent --web.listen-address=0.0.0.0:${PROMETHEUS_PORT}`);
  return {
    machine,
    async samplesStored() {
      const page = await fetchText(`http://127.0.0.1:${promPort}/metrics`);
      const match = page === undefined ? null : /^prometheus_agent_samples_appended_total(?:\{[^}]*\})? (\S+)$/m.exec(page);
      return match === null ? undefined : Number(match[1]);
    },
    pid: () => mainPid(machine, 'prom-agent'),
    settings: {},
  };
}

async function mainPid(machine: Machine, unit: string): Promise<number> {
  const pid = Number(/MainPID=(\d+)/.exec(await guest(machine, `systemctl show ${unit} -p MainPID`))?.[1]);
  if (!(pid > 0)) throw new Error(`${unit} has no main process in the guest`);
  return pid;
}

async function fetchText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
