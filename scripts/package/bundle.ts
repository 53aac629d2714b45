/**
 * Builds a release bundle: `outpost-<version>-linux-<arch>.tar.gz`, one top directory `outpost/`
 * meant to be unpacked as /opt/outpost (pi-image/ and deploy/systemd/outpost.service rely on it):
 *
 *   bin/outpost        POSIX sh launcher (scripts/package/launcher.sh)
 *   node/bin/node      the official Node runtime for the target, stripped; node/LICENSE
 *   app/               package.json, dist/ (no source maps), production node_modules pruned to
 *                      what runs (prune.ts) with better-sqlite3 compiled for the target
 *   deploy/            outpost.service, outpost.sysusers, outpost.env.example
 *   VERSION            key=value lines: outpost, arch, node, better_sqlite3, glibc (the oldest C
 *                      library the binaries run on)
 *
 * Only the npm registry (runtime packages, dependencies) and Debian's toolchains are used. The
 * runtime and the compiled addon are cached under build/cache; everything else is rebuilt from a
 * fresh staging directory each time. The archive is reproducible: entries sorted, owner root,
 * modes normalised, times clamped to SOURCE_DATE_EPOCH (default: the last commit), gzip without a
 * timestamp.
 */
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAddon, missingToolchain } from './addon.js';
import { pruneModules } from './prune.js';
import { run } from './run.js';
import { ensureRuntime } from './runtime.js';
import { bundleFileName, TARGETS, type Arch } from './targets.js';
import { cannotRun, glibcFloor, verifyBundle } from './verify.js';

/** The repository root (this file runs from dist-test/scripts/package/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Settings of `buildBundle`; paths default to the repository's build/ directory. */
export interface BundleOptions {
  arch: Arch;
  /** Where the bundle is written (default build/bundles). */
  outDir?: string;
  /** Runtimes and compiled addons (default build/cache). */
  cacheDir?: string;
  /** Progress lines for a person. */
  log?: (line: string) => void;
}

/** A bundle that was built. */
export interface BundleInfo {
  arch: Arch;
  file: string;
  /** Size of the .tar.gz. */
  bytes: number;
  /** Sum of the sizes of the files inside. */
  unpackedBytes: number;
  seconds: number;
}

/** The version in the repository's package.json. */
export function appVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Builds the bundle for `options.arch` from the current dist/ (run `npm run build` first) and
 * package-lock.json. Throws naming what is missing (a cross compiler, dist/) or what failed.
 */
export async function buildBundle(options: BundleOptions): Promise<BundleInfo> {
  const started = Date.now();
  const target = TARGETS[options.arch];
  const log = options.log ?? (() => {});
  const outDir = options.outDir ?? join(REPO_ROOT, 'build', 'bundles');
  const cacheDir = options.cacheDir ?? join(REPO_ROOT, 'build', 'cache');
  const version = appVersion();
  if (!existsSync(join(REPO_ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  const missing = missingToolchain(target);
  if (missing.length > 0) throw new Error(`cannot build the ${target.arch} bundle without ${missing.join(', ')}`);

  const runtime = await ensureRuntime(target, cacheDir);
  log(`${target.arch}: node ${runtime.version} ${runtime.fetched ? 'fetched' : 'cached'}`);

  const stageRoot = join(REPO_ROOT, 'build', 'stage');
  mkdirSync(stageRoot, { recursive: true });
  // A directory of its own: two builds of one arch at once (two test files) must not share it.
  const stage = mkdtempSync(join(stageRoot, `${target.arch}-`));
  const cleanups = [() => rmSync(stage, { recursive: true, force: true })];
  try {
    const top = join(stage, 'outpost');
    const app = join(top, 'app');
    mkdirSync(app, { recursive: true });
    copyFileSync(join(REPO_ROOT, 'package.json'), join(app, 'package.json'));
    copyFileSync(join(REPO_ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
    // No install scripts: better-sqlite3's would download a prebuilt addon for the host.
    await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--os=linux', `--cpu=${target.npmCpu}`, '--libc=glibc'], { cwd: app });
    rmSync(join(app, 'package-lock.json'));

    const addon = await ensureAddon(target, runtime, join(app, 'node_modules', 'better-sqlite3'), cacheDir);
    log(`${target.arch}: better-sqlite3 ${addon.version} ${addon.compiled ? 'compiled' : 'cached'}`);
    const removed = pruneModules(app);
    log(`${target.arch}: left out ${removed.length} build-time packages (${removed.join(', ')})`);
    const addonPath = join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    mkdirSync(join(addonPath, '..'), { recursive: true });
    copyFileSync(addon.file, addonPath);
    cpSync(join(REPO_ROOT, 'dist'), join(app, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });

    const node = join(top, 'node', 'bin', 'node');
    mkdirSync(join(node, '..'), { recursive: true });
    // Debug info and the static symbol table are a sixth of the binary; the dynamic symbols that
    // addons link against stay.
    await run(`${target.toolchainPrefix}strip`, ['--strip-all', '-o', node, join(runtime.dir, 'bin', 'node')]);
    chmodSync(node, 0o755);
    copyFileSync(join(runtime.dir, 'LICENSE'), join(top, 'node', 'LICENSE'));

    mkdirSync(join(top, 'bin'));
    copyFileSync(join(REPO_ROOT, 'scripts', 'package', 'launcher.sh'), join(top, 'bin', 'outpost'));
    chmodSync(join(top, 'bin', 'outpost'), 0o755);
    mkdirSync(join(top, 'deploy'));
    copyFileSync(join(REPO_ROOT, 'deploy', 'systemd', 'outpost.service'), join(top, 'deploy', 'outpost.service'));
    copyFileSync(join(REPO_ROOT, 'deploy', 'systemd', 'outpost.sysusers'), join(top, 'deploy', 'outpost.sysusers'));
    copyFileSync(join(REPO_ROOT, 'deploy', 'outpost.env.example'), join(top, 'deploy', 'outpost.env.example'));

    const glibc = await glibcFloor([node, addonPath]);
    writeFileSync(join(top, 'VERSION'), [
      `outpost=${version}`, `arch=${target.arch}`, `node=${runtime.version}`, `better_sqlite3=${addon.version}`, `glibc=${glibc}`, '',
    ].join('\n'));

    const reason = cannotRun(target);
    if (reason === null) {
      const report = await verifyBundle(target, top);
      log(`${target.arch}: runs: node ${report.node} on ${report.arch}, SQLite ${report.sqlite}, needs glibc >= ${glibc}`);
    } else {
      log(`${target.arch}: not run here: ${reason}`);
    }

    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, bundleFileName(version, target.arch));
    // Written beside its final name and renamed: a reader never sees half a bundle.
    const partial = `${file}.partial-${process.pid}`;
    cleanups.push(() => rmSync(partial, { force: true }));
    // gzip's default level: -9 makes the bundle 0.5% smaller and takes 2.6 times as long.
    await run('tar', [
      '--create', '--file', partial, '--directory', stage, '--use-compress-program', 'gzip -n',
      '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mode=u+rwX,go+rX,go-w',
      `--mtime=@${await sourceDateEpoch()}`, 'outpost',
    ]);
    renameSync(partial, file);
    return { arch: target.arch, file, bytes: statSync(file).size, unpackedBytes: treeBytes(top), seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const cleanup of cleanups) cleanup();
  }
}

async function sourceDateEpoch(): Promise<number> {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  try {
    return Number((await run('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT })).trim());
  } catch {
    return Math.floor(Date.now() / 1000); // not a git checkout
  }
}

function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? treeBytes(path) : statSync(path).size;
  }
  return total;
}
