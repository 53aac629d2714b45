/**
 * The Pi image booted on an emulated board (qemu-system-aarch64 `virt`, Cortex-A53, 512 MiB, no
 * KVM), built by `npm run pi-image` on the Debian stand-in base with the real arm64 bundle:
 *
 * 1. Boot: outpost.env edited on the boot partition; systemd-sysusers makes the user, the unit runs
 *    Outpost in its sandbox, host metrics and external labels reach a receiver on the host; time
 *    to the first sample, RSS after minutes under load, what reaches the disk per sample (QMP
 *    block statistics over a steady window at 1,000 samples/s), and a clean `systemctl stop`.
 * 2. Power cuts: SIGKILL of qemu at random moments (early boot, while the WAL opens, buffering with
 *    the receiver down, while delivered segments are truncated), then the receiver back: every
 *    sample committed more than OUTPOST_WAL_COMMIT_INTERVAL before a cut arrives, no duplicate that
 *    a cut does not explain, per-series order kept, the database opened every time.
 *
 * Console logs of every power-on are kept in test-artifacts/pi-boot/<run>/ (a failing step names
 * itself and the log). Figures are printed as test diagnostics.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeTree } from '../../scripts/pi-image/scratch.js';
import { prng } from '../../scripts/bench/prng.js';
import { ensureBundle } from '../helpers/bundle.js';
import { ARTIFACTS_DIR } from '../helpers/chromium.js';
import { debugfsCat } from '../helpers/disk-image.js';
import { startFaultReceiver, type FaultReceiver } from '../helpers/fault-receiver.js';
import { freePort } from '../helpers/outpost-process.js';
import { buildPiImage, editBootEnv, ensureDebianBase, piBootSkip, piLayout, type PiLayout } from '../helpers/pi-base.js';
import { diskFigures, guest, startLoadTarget, until, type LoadTarget } from '../helpers/pi-measure.js';
import { GUEST_FORWARD_IP, readBootFiles, startMachine, type BootFiles, type Machine } from '../helpers/qemu-machine.js';
import { decodeRemoteWrite } from '../helpers/remote-write-schema.js';

const RECEIVER_PORT = 9201;
const LOAD_PORT = 9202;
const STATUS_PORT = 9780;
/** The scrape target's series: scraped every second, 1,000 samples/s with Outpost's own and the host's. */
const LOAD_SERIES = 1000;
/** The steady window for the disk figures: OUTPOST_PI_WINDOW seconds, 5 minutes by default (the minimum). */
const WINDOW_S = Number(process.env.OUTPOST_PI_WINDOW ?? 300);
const COMMIT_MS = 1000;

interface StatusDoc {
  startedAt: string;
  wal: { segments: number; samplesAppended: number; pendingSamples: number; dropped: Record<string, number> } | null;
  endpoints: Array<{ backlogSamples: number; up: boolean }>;
}

/** GET /api/v1/status through the hostfwd port; undefined while Outpost does not answer. */
async function status(port: number): Promise<StatusDoc | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/status`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return undefined;
    return (await res.json()) as StatusDoc;
  } catch {
    return undefined;
  }
}

function labelsOf(series: { labels: Array<{ name: string; value: string }> }): Record<string, string> {
  return Object.fromEntries(series.labels.map((l) => [l.name, l.value]));
}

function seriesKey(series: { labels: Array<{ name: string; value: string }> }): string {
  return series.labels.map((l) => `${l.name}=${l.value}`).sort().join(',');
}

/** Runs `fn` as a named step: a failure names the step and where the guest's console log is. */
async function step<T>(name: string, machine: Machine | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const where = machine === undefined ? '' : `\nguest console log: ${machine.consoleLog}\n--- its last lines:\n${machine.console().split('\n').slice(-25).join('\n')}`;
    throw new Error(`step "${name}" failed: ${(error as Error).message}${where}`, { cause: error });
  }
}

function showProps(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('Pi image on an emulated arm64 board', { skip: piBootSkip(), timeout: 60 * 60_000 }, () => {
  let dir: string;
  let logs: string;
  let built: string;
  let pristine: string;
  let layout: PiLayout;
  let boot: BootFiles;
  let receiver: FaultReceiver;
  let load: LoadTarget;
  const machines: Machine[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-pi-boot-'));
    logs = join(ARTIFACTS_DIR, 'pi-boot', new Date().toISOString().replace(/[:.]/g, '-'));
    mkdirSync(logs, { recursive: true });
    const bundle = await ensureBundle('arm64');
    const base = await ensureDebianBase((line) => console.error(`debian-base: ${line}`));
    built = join(dir, 'outpost.img');
    buildPiImage(base, bundle, built);
    pristine = join(dir, 'pristine.img');
    copyFileSync(built, pristine);
    layout = piLayout(built);
    boot = readBootFiles(built, layout.bootOffset, join(dir, 'firmware'));
    receiver = await startFaultReceiver();
    load = await startLoadTarget(LOAD_SERIES);
  });

  after(async () => {
    for (const machine of machines) await machine.powerCut();
    await receiver?.close();
    load?.server.close();
    if (dir !== undefined) removeTree(dir);
  });

  async function powerOn(image: string, name: string, extraCmdline?: string): Promise<{ machine: Machine; statusPort: number }> {
    const statusPort = await freePort();
    const machine = await startMachine({
      image, boot, dir: logs, name,
      hostForwards: [{ hostPort: statusPort, guestPort: STATUS_PORT }],
      guestForwards: [{ guestPort: RECEIVER_PORT, hostPort: receiver.port }, { guestPort: LOAD_PORT, hostPort: load.port }],
      ...(extraCmdline === undefined ? {} : { extraCmdline }),
    });
    machines.push(machine);
    return { machine, statusPort };
  }

  it('boots: sysusers makes the user, the unit runs Outpost sandboxed with the boot partition\'s settings, samples arrive, stop is clean', async (t: TestContext) => {
    const device = `${built}?offset=${layout.rootOffset}`;
    assert.doesNotMatch(debugfsCat(device, '/etc/passwd').toString(), /^outpost:/m, 'no outpost user before the first boot');
    editBootEnv(built, layout.bootOffset, {
      OUTPOST_REMOTE_WRITE_URL: `http://${GUEST_FORWARD_IP}:${RECEIVER_PORT}/api/v1/write`,
      OUTPOST_EXTERNAL_LABELS: 'site=emulated,gateway=qemu-pi',
      OUTPOST_HTTP_ADDRESS: `0.0.0.0:${STATUS_PORT}`,
      OUTPOST_SCRAPE_TARGETS: `load=http://${GUEST_FORWARD_IP}:${LOAD_PORT}/metrics`,
      OUTPOST_SCRAPE_INTERVAL: '1s',
    }, dir);

    // apt's daily timers would write to the disk at random in the measurement window.
    const { machine, statusPort } = await powerOn(built, 'boot', 'systemd.mask=apt-daily.timer systemd.mask=apt-daily-upgrade.timer');
    const firstSample = await step('first node_uname_info sample at the receiver', machine, () => until('node_uname_info{machine="aarch64"} with the external labels', 10 * 60_000, async () => {
      for (const request of receiver.requests) {
        if (!request.stored) continue;
        for (const series of decodeRemoteWrite(request.protocol, request.body).series) {
          const labels = labelsOf(series);
          if (labels.__name__ === 'node_uname_info' && labels.machine === 'aarch64' && labels.site === 'emulated' && labels.gateway === 'qemu-pi') return request.receivedAt;
        }
      }
      return undefined;
    }, 250));
    t.diagnostic(`first node_uname_info sample at the receiver ${((firstSample - machine.poweredOnAt) / 1000).toFixed(1)} s after power-on`);

    await step('root shell', machine, () => machine.waitForShell(120_000));
    const sysusers = await step('outpost user made by systemd-sysusers', machine, async () => {
      const passwd = await guest(machine, 'getent passwd outpost');
      assert.match(passwd, /^outpost:x:\d+:\d+:Outpost metrics collector:\/var\/lib\/outpost:/m);
      const journal = await guest(machine, 'journalctl -b -u systemd-sysusers --no-pager -o cat');
      assert.match(journal, /Creating user '?outpost'?/, journal);
      return passwd.trim();
    });
    t.diagnostic(`at first boot: ${sysusers}`);

    const pid = await step('unit running under its sandbox', machine, async () => {
      const props = showProps(await guest(machine, 'systemctl show outpost -p ActiveState -p SubState -p MainPID -p User -p NRestarts -p EnvironmentFiles -p FragmentPath'));
      assert.equal(props.ActiveState, 'active', JSON.stringify(props));
      assert.equal(props.NRestarts, '0');
      assert.equal(props.User, 'outpost');
      assert.equal(props.FragmentPath, '/etc/systemd/system/outpost.service');
      assert.match(props.EnvironmentFiles!, /\/boot\/firmware\/outpost\.env/);
      const mainPid = Number(props.MainPID);
      const procStatus = await guest(machine, `cat /proc/${mainPid}/status`);
      const uid = /^Uid:\s+(\d+)/m.exec(procStatus)![1];
      assert.equal(uid, /^outpost:x:(\d+):/m.exec(sysusers)![1], 'runs as the outpost user');
      assert.match(procStatus, /^NoNewPrivs:\s+1$/m);
      assert.match(procStatus, /^CapEff:\s+0+$/m);
      assert.match(procStatus, /^Seccomp:\s+2$/m, 'system call filter in force');
      const ns = (await guest(machine, `readlink /proc/1/ns/mnt /proc/${mainPid}/ns/mnt`)).trim().split('\n');
      assert.notEqual(ns[0], ns[1], 'own mount namespace (ProtectSystem, PrivateTmp)');
      const writable = await machine.shell(`nsenter -t ${mainPid} -m sh -c 'touch /opt/outpost/x' 2>&1`);
      assert.notEqual(writable.code, 0, 'the root filesystem is read-only to the service');
      const environ = await guest(machine, `tr '\\0' '\\n' < /proc/${mainPid}/environ`);
      assert.match(environ, /^OUTPOST_EXTERNAL_LABELS=site=emulated,gateway=qemu-pi$/m, 'settings from /boot/firmware/outpost.env');
      assert.match(environ, /^OUTPOST_DATA_DIR=\/var\/lib\/outpost$/m);
      return mainPid;
    });

    // The steady window: after a minute of running, WINDOW_S seconds of the disk's counters.
    await step('steady load', machine, () => until('1,000 samples/s flowing', 5 * 60_000, async () => {
      const doc = await status(statusPort);
      return doc?.wal !== null && doc !== undefined && load.scrapes() > 30 ? doc : undefined;
    }, 1000));
    const start = await step('block statistics', machine, async () => ({ stats: await machine.blockStats(), doc: (await status(statusPort))!, at: Date.now() }));
    await sleep(WINDOW_S * 1000);
    const end = await step('block statistics', machine, async () => ({ stats: await machine.blockStats(), doc: (await until('status', 30_000, () => status(statusPort))), at: Date.now() }));
    const seconds = (end.at - start.at) / 1000;
    const samples = end.doc.wal!.samplesAppended - start.doc.wal!.samplesAppended;
    const figures = diskFigures(start.stats, end.stats, samples, seconds);
    t.diagnostic(`Outpost, ${seconds.toFixed(0)} s steady: ${figures.samplesPerSecond.toFixed(0)} samples/s stored; device ${figures.text}`);

    const rss = await step('guest memory', machine, async () => {
      const procStatus = await guest(machine, `cat /proc/${pid}/status`);
      const meminfo = await guest(machine, 'cat /proc/meminfo');
      const kib = (text: string, field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)![1]);
      return { rss: kib(procStatus, 'VmRSS') / 1024, hwm: kib(procStatus, 'VmHWM') / 1024, available: kib(meminfo, 'MemAvailable') / 1024 };
    });
    const upFor = (Date.now() - firstSample) / 60_000;
    t.diagnostic(`Outpost RSS ${rss.rss.toFixed(0)} MiB (peak ${rss.hwm.toFixed(0)} MiB) after ${upFor.toFixed(1)} min at ~1,000 samples/s; MemAvailable ${rss.available.toFixed(0)} MiB of 512`);
    assert.ok(rss.rss < 256, `RSS ${rss.rss} MiB fits a 512 MiB Pi with room to spare`);

    await step('systemctl stop outpost', machine, async () => {
      const started = Date.now();
      await guest(machine, 'systemctl stop outpost', 60_000);
      const stopSeconds = (Date.now() - started) / 1000;
      const props = showProps(await guest(machine, 'systemctl show outpost -p Result -p ExecMainStatus -p ExecMainCode -p ActiveState'));
      const journal = await guest(machine, 'journalctl -b -u outpost --no-pager -o cat | tail -n 20');
      assert.equal(props.Result, 'success', `${JSON.stringify(props)}\n${journal}`);
      assert.equal(props.ActiveState, 'inactive');
      assert.equal(props.ExecMainStatus, '0', journal);
      assert.ok(stopSeconds < 30, `stopped in ${stopSeconds} s, within TimeoutStopSec=30s`);
      assert.match(journal, /WAL closed/);
      t.diagnostic(`systemctl stop outpost: ${stopSeconds.toFixed(1)} s, exit status 0`);
    });
    await machine.powerCut();
  });

  it('loses nothing committed before 10 power cuts at random moments, keeps per-series order and opens its database every time', async (t: TestContext) => {
    editBootEnv(pristine, layout.bootOffset, {
      OUTPOST_REMOTE_WRITE_URL: `http://${GUEST_FORWARD_IP}:${RECEIVER_PORT}/api/v1/write`,
      OUTPOST_EXTERNAL_LABELS: 'site=emulated,gateway=power-cut',
      OUTPOST_HTTP_ADDRESS: `0.0.0.0:${STATUS_PORT}`,
      // A sample a second per host series; segments of a minute, so delivered ones are truncated
      // while the test runs; a returning receiver is found within 2 s.
      OUTPOST_HOST_METRICS_INTERVAL: '1s',
      OUTPOST_WAL_SEGMENT_DURATION: '1m',
      OUTPOST_QUEUE_MAX_BACKOFF: '2s',
    }, dir);
    const seed = Number(process.env.OUTPOST_PI_SEED ?? Date.now() % 2 ** 31);
    const random = prng(seed);
    t.diagnostic(`cut moments from seed ${seed} (OUTPOST_PI_SEED=${seed} repeats them)`);

    const sessions: Session[] = [];
    for (const [i, kind] of CUT_PLAN.entries()) {
      receiver.setMode(kind === 'truncation' ? { kind: 'ok' } : { kind: 'status', status: 503 });
      const { machine, statusPort } = await powerOn(pristine, `cut-${String(i + 1).padStart(2, '0')}-${kind}`);
      const session: Session = { name: `cut ${i + 1} (${kind})`, kind, poweredOnAt: machine.poweredOnAt, cutAt: Infinity, polls: [], log: machine.consoleLog, note: '' };
      sessions.push(session);
      const polling = poll(statusPort, session);
      try {
        await step(session.name, machine, () => waitForCutMoment(session, random));
      } finally {
        session.cutAt = Date.now();
        await machine.powerCut();
        await polling.stop();
      }
      const last = session.polls.at(-1);
      t.diagnostic(`${session.name}: ${((session.cutAt - session.poweredOnAt) / 1000).toFixed(1)} s after power-on` +
        (last === undefined ? ', before Outpost answered' : `, Outpost up ${((session.cutAt - Date.parse(last.startedAt)) / 1000).toFixed(1)} s, ${last.committed} samples committed, ${last.segments} segments`) +
        (session.note === '' ? '' : `; ${session.note}`));
    }

    receiver.setMode({ kind: 'ok' });
    const { machine, statusPort } = await powerOn(pristine, 'after-cuts');
    // Caught up: samples of this power-on have arrived (the backlog goes oldest first) and little is left.
    const result = await step('every sample committed before a cut arrives after the receiver is back', machine, () => until('the backlog delivered', 10 * 60_000, async () => {
      const doc = await status(statusPort);
      if (doc?.wal === null || doc === undefined || doc.endpoints[0]!.backlogSamples > 1000) return undefined;
      if (!receivedAfter(receiver, machine.poweredOnAt + 20_000)) return undefined;
      const analysis = analyse(sessions, receiver);
      return analysis.missing.length === 0 ? analysis : undefined;
    }, 5000).catch((error: Error) => {
      const analysis = analyse(sessions, receiver);
      throw new Error(`${error.message}\n${analysis.missing.join('\n')}`);
    }));
    for (const line of result.perSession) t.diagnostic(line);
    t.diagnostic(`${result.samples} distinct samples received; ${result.duplicates} delivered twice, each within ${DUPLICATE_WINDOW_MS / 1000} s before a cut`);
    assert.deepEqual(result.unexplainedDuplicates, [], 'no duplicate that at-least-once across a cut does not explain');
    assert.deepEqual(result.orderViolations, [], 'per-series order');

    await step('the database opened every time', machine, async () => {
      await machine.waitForShell(120_000);
      const files = await guest(machine, 'ls -la /var/lib/outpost');
      assert.doesNotMatch(files, /corrupt/, files);
      const doc = await until('status', 60_000, () => status(statusPort));
      assert.equal(doc.wal?.dropped.corruption ?? 0, 0);
      const props = showProps(await guest(machine, 'systemctl show outpost -p ActiveState -p NRestarts'));
      assert.deepEqual(props, { ActiveState: 'active', NRestarts: '0' });
      t.diagnostic(`after ${CUT_PLAN.length} cuts: ${files.trim().split('\n').slice(1).join('; ')}`);
    });
    await machine.powerCut();
  });
});

/** The cuts, in order: while the kernel and systemd start, just as Outpost opens its WAL, while it buffers with the receiver down, while it truncates delivered segments. */
const CUT_PLAN = ['early-boot', 'buffering', 'wal-open', 'buffering', 'truncation', 'buffering', 'early-boot', 'wal-open', 'buffering', 'truncation'] as const;
type CutKind = (typeof CUT_PLAN)[number];

/** What the status API said at one moment of a power-on. */
interface Poll { at: number; startedAt: string; committed: number; segments: number }

/** One power-on ended by a cut. */
interface Session { name: string; kind: CutKind; poweredOnAt: number; cutAt: number; polls: Poll[]; log: string; note: string }

/** Polls the status API every 500 ms into `session.polls` (only answers received before the cut count). */
function poll(port: number, session: Session): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const doc = await status(port);
      const at = Date.now();
      if (!stopped && doc !== undefined) {
        session.polls.push({ at, startedAt: doc.startedAt, committed: doc.wal?.samplesAppended ?? 0, segments: doc.wal?.segments ?? 0 });
      }
      await sleep(500);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function waitForCutMoment(session: Session, random: () => number): Promise<void> {
  if (session.kind === 'early-boot') {
    await sleep(4000 + random() * 12_000);
    return;
  }
  await until('Outpost\'s status server answering', 10 * 60_000, async () => session.polls.length > 0, 100);
  switch (session.kind) {
    case 'wal-open':
      await sleep(random() * 1500);
      return;
    case 'buffering':
      await sleep(8000 + random() * 22_000);
      return;
    case 'truncation': {
      // Segments of earlier power-ons are truncated one after another as they are delivered.
      const deadline = Date.now() + 90_000;
      let most = 0;
      while (Date.now() < deadline) {
        const segments = session.polls.at(-1)?.segments ?? 0;
        if (segments < most) {
          session.note = `cut as the WAL went from ${most} to ${segments} segments`;
          await sleep(random() * 500);
          return;
        }
        most = Math.max(most, segments);
        await sleep(50);
      }
      session.note = 'no truncation seen within 90 s';
    }
  }
}

/** Whether `receiver` stored a sample stamped after `ms`. */
function receivedAfter(receiver: FaultReceiver, ms: number): boolean {
  for (let i = receiver.requests.length - 1; i >= 0; i--) {
    const request = receiver.requests[i]!;
    if (!request.stored) continue;
    if (decodeRemoteWrite(request.protocol, request.body).series.some((series) => series.timestamps.some((ts) => ts > ms))) return true;
  }
  return false;
}

/** At-least-once: a sample first stored this long before a cut may come again (its ack not yet committed). */
const DUPLICATE_WINDOW_MS = 5000;
/**
 * A power-on's samples are those stamped from BOOT_FLOOR_MS after it (no Outpost runs that early;
 * the previous power-on's last samples are stamped just before) to CLOCK_SLACK_MS after its cut
 * (the guest clock, set from the host's at power-on, may run a little ahead).
 */
const BOOT_FLOOR_MS = 3000;
const CLOCK_SLACK_MS = 5000;

interface Analysis {
  samples: number;
  duplicates: number;
  missing: string[];
  perSession: string[];
  unexplainedDuplicates: string[];
  orderViolations: string[];
}

/** Checks what `receiver` stored against what the status polls said was committed before each cut. */
function analyse(sessions: readonly Session[], receiver: FaultReceiver): Analysis {
  // series → timestamp → { first arrival, times stored, most copies in one request }
  const seen = new Map<string, Map<number, { first: number; stored: number; inOne: number }>>();
  const newest = new Map<string, number>();
  const orderViolations: string[] = [];
  for (const request of receiver.requests) {
    if (!request.stored) continue;
    const inRequest = new Map<string, number>();
    for (const series of decodeRemoteWrite(request.protocol, request.body).series) {
      const key = seriesKey(series);
      let times = seen.get(key);
      if (times === undefined) seen.set(key, (times = new Map()));
      for (const ts of series.timestamps) {
        const copy = `${key}@${ts}`;
        inRequest.set(copy, (inRequest.get(copy) ?? 0) + 1);
        const entry = times.get(ts);
        if (entry === undefined) {
          times.set(ts, { first: request.receivedAt, stored: 1, inOne: 1 });
          if (ts < (newest.get(key) ?? -Infinity)) orderViolations.push(`${key}: ${ts} arrived after ${newest.get(key)}`);
          newest.set(key, Math.max(ts, newest.get(key) ?? -Infinity));
        } else {
          entry.stored++;
          entry.inOne = Math.max(entry.inOne, inRequest.get(copy)!);
        }
      }
    }
  }
  let samples = 0;
  let duplicates = 0;
  const unexplainedDuplicates: string[] = [];
  const cuts = sessions.map((s) => s.cutAt);
  for (const [key, times] of seen) {
    for (const [ts, entry] of times) {
      samples += entry.inOne;
      if (entry.stored <= entry.inOne) continue;
      duplicates++;
      if (!cuts.some((cut) => entry.first <= cut && entry.first >= cut - DUPLICATE_WINDOW_MS)) {
        unexplainedDuplicates.push(`${key}@${ts} stored ${entry.stored} times, first ${new Date(entry.first).toISOString()}`);
      }
    }
  }
  const missing: string[] = [];
  const perSession: string[] = [];
  for (const session of sessions) {
    // Committed more than a commit interval before the cut, by the last answer before then.
    const committed = new Map<string, number>();
    for (const p of session.polls) if (p.at <= session.cutAt - COMMIT_MS) committed.set(p.startedAt, Math.max(committed.get(p.startedAt) ?? 0, p.committed));
    const need = [...committed.values()].reduce((a, b) => a + b, 0);
    let got = 0;
    for (const times of seen.values()) {
      for (const [ts, entry] of times) if (ts >= session.poweredOnAt + BOOT_FLOOR_MS && ts <= session.cutAt + CLOCK_SLACK_MS) got += entry.inOne;
    }
    perSession.push(`${session.name}: ${need} samples committed ≥ 1 s before the cut, ${got} arrived (the last answer before the cut said ${session.polls.at(-1)?.committed ?? 0} committed)`);
    if (got < need) missing.push(`${session.name}: ${need - got} of ${need} committed samples missing (console: ${session.log})`);
  }
  return { samples, duplicates, missing, perSession, unexplainedDuplicates: unexplainedDuplicates.slice(0, 20), orderViolations: orderViolations.slice(0, 20) };
}
