/**
 * The release bundles work where they land: each one, unpacked into a temp directory, has the
 * layout pi-image/ and the systemd unit rely on, starts (arm64 and armv7 under qemu-user, x64
 * through its launcher), writes its WAL, answers /-/ready, delivers samples to a remote-write
 * receiver on loopback and exits 0 on SIGTERM. A missing bundle is built first (test/helpers/bundle.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { appVersion, REPO_ROOT } from '../../scripts/package/bundle.js';
import { TARGETS, type Arch } from '../../scripts/package/targets.js';
import { WAL_FILE } from '../../src/wal/sqlite-wal.js';
import { bundleSkip, ensureBundle, startBundle, unpackBundle, type BundleProcess } from '../helpers/bundle.js';
import { startFaultReceiver, type FaultReceiver } from '../helpers/fault-receiver.js';
import { waitForStatus } from '../helpers/outpost-process.js';
import { decodeRemoteWrite } from '../helpers/remote-write-schema.js';
import { tempDir } from '../helpers/temp-dir.js';

// Under qemu-user Node starts and JITs tens of times slower than natively (about 10 s to ready
// for arm64 here): deadlines with room for a loaded CI machine.
const READY_MS = 180_000;
const DELIVERY_MS = 180_000;
const SHUTDOWN_MS = 60_000;
// Building a missing bundle compiles SQLite (about 1.5 min a target) before the run itself.
const TEST_MS = 20 * 60_000;

// What uname(2) reports for each target (qemu-user reports the emulated machine).
const MACHINE: Record<Arch, RegExp> = { x64: /^x86_64$/, arm64: /^aarch64$/, armv7: /^armv7/ };

const version = appVersion();

for (const arch of ['x64', 'arm64', 'armv7'] as const) {
  const how = TARGETS[arch].emulator === null ? 'natively' : `under ${TARGETS[arch].emulator!.qemu}`;
  test(`the ${arch} bundle runs ${how}: WAL written, ready, samples delivered, clean exit on SIGTERM`, { skip: bundleSkip(arch), timeout: TEST_MS }, async (t) => {
    const file = await ensureBundle(arch, (line) => t.diagnostic(line));
    const dir = tempDir(`outpost-bundle-${arch}-`);
    const receiver = await startFaultReceiver();
    let proc: BundleProcess | undefined;
    try {
      const top = unpackBundle(file, dir.path);
      checkLayout(arch, top);

      const dataDir = join(dir.path, 'data');
      proc = await startBundle(arch, top, {
        OUTPOST_DATA_DIR: dataDir,
        OUTPOST_REMOTE_WRITE_URL: receiver.url,
        OUTPOST_HOST_METRICS_INTERVAL: '2s',
        OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '1s',
      });
      const running = proc;
      const explain = (error: unknown): Error => new Error(`${String(error)}\noutpost's output:\n${running.output()}`, { cause: error });

      await waitForStatus(`http://127.0.0.1:${proc.port}/-/ready`, 200, READY_MS).catch((e: unknown) => { throw explain(e); });
      assert.ok(existsSync(join(dataDir, WAL_FILE)), `${WAL_FILE} was not created in OUTPOST_DATA_DIR`);

      const series = await receivedSeries(receiver, ['node_uname_info', 'outpost_build_info'], DELIVERY_MS).catch((e: unknown) => { throw explain(e); });
      assert.match(series.get('node_uname_info')!.machine ?? '', MACHINE[arch], 'the runtime is not the target architecture');
      assert.equal(series.get('outpost_build_info')!.version, version);

      // What was delivered went through the WAL: series and chunks are in the database.
      const db = new Database(join(dataDir, WAL_FILE), { readonly: true, fileMustExist: true });
      try {
        const { n } = db.prepare('SELECT count(*) AS n FROM series').get() as { n: number };
        const { samples } = db.prepare('SELECT coalesce(sum(samples), 0) AS samples FROM chunks').get() as { samples: number };
        assert.ok(n > 0 && samples > 0, `the WAL holds ${n} series and ${samples} samples`);
      } finally {
        db.close();
      }

      proc.child.kill('SIGTERM');
      const code = await Promise.race([proc.exited, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_MS, 'timeout').unref())]);
      assert.equal(code, 0, `exit after SIGTERM: ${String(code)}\n${proc.output()}`);
    } finally {
      if (proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGKILL');
        await proc.exited;
      }
      await receiver.close();
      dir.remove();
    }
  });
}

/** The layout pi-image/ and deploy/systemd/outpost.service rely on, and nothing the target does not need. */
function checkLayout(arch: Arch, top: string): void {
  const launcher = join(top, 'bin', 'outpost');
  assert.equal(statSync(launcher).mode & 0o777, 0o755);
  assert.match(readFileSync(launcher, 'utf8'), /^#!\/bin\/sh\n/);
  assert.deepEqual(readdirSync(join(top, 'node')).sort(), ['LICENSE', 'bin']);
  assert.deepEqual(readdirSync(join(top, 'node', 'bin')), ['node']);
  assert.equal(statSync(join(top, 'node', 'bin', 'node')).mode & 0o777, 0o755);
  assert.deepEqual(readdirSync(top).sort(), ['VERSION', 'app', 'bin', 'deploy', 'node']);
  assert.deepEqual(readdirSync(join(top, 'app')).sort(), ['dist', 'node_modules', 'package.json']);

  const sqlite = join(top, 'app', 'node_modules', 'better-sqlite3');
  assert.deepEqual(readdirSync(sqlite).sort(), ['LICENSE', 'build', 'lib', 'package.json']);
  assert.deepEqual(readdirSync(join(sqlite, 'build')), ['Release']);
  assert.deepEqual(readdirSync(join(sqlite, 'build', 'Release')), ['better_sqlite3.node']);
  const modules = readdirSync(join(top, 'app', 'node_modules'));
  for (const buildOnly of ['prebuild-install', '@types', '.bin']) assert.ok(!modules.includes(buildOnly), `node_modules has ${buildOnly}`);
  assert.ok(!readdirSync(join(top, 'app', 'dist')).some((f) => f.endsWith('.map')), 'dist/ carries source maps');

  for (const [inBundle, inRepo] of [
    ['outpost.service', 'deploy/systemd/outpost.service'],
    ['outpost.sysusers', 'deploy/systemd/outpost.sysusers'],
    ['outpost.env.example', 'deploy/outpost.env.example'],
  ] as const) {
    assert.equal(readFileSync(join(top, 'deploy', inBundle), 'utf8'), readFileSync(join(REPO_ROOT, inRepo), 'utf8'), inBundle);
  }
  const fields = Object.fromEntries(readFileSync(join(top, 'VERSION'), 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]));
  const stale = 'the bundle is stale: rebuild it with `npm run package -- --arch ' + arch + '`';
  assert.equal(fields.outpost, version, stale);
  assert.equal(fields.arch, arch);
  assert.equal(fields.node, TARGETS[arch].runtimeVersion, stale);
  assert.match(fields.glibc ?? '', /^2\.\d+$/);
}

/** Waits until every metric in `names` arrived; returns each one's labels (from its first series). */
async function receivedSeries(receiver: FaultReceiver, names: string[], timeoutMs: number): Promise<Map<string, Record<string, string>>> {
  const found = new Map<string, Record<string, string>>();
  const deadline = Date.now() + timeoutMs;
  let decoded = 0;
  for (;;) {
    for (; decoded < receiver.requests.length; decoded++) {
      for (const series of decodeRemoteWrite('1.0', receiver.requests[decoded]!.body).series) {
        const labels = Object.fromEntries(series.labels.map((l) => [l.name, l.value]));
        if (names.includes(labels.__name__!) && !found.has(labels.__name__!) && series.values.length > 0) found.set(labels.__name__!, labels);
      }
    }
    if (names.every((n) => found.has(n))) return found;
    if (Date.now() > deadline) {
      throw new Error(`after ${receiver.requests.length} requests, still missing ${names.filter((n) => !found.has(n)).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
