/**
 * Release bundles for tests: where they are (OUTPOST_BUNDLE_DIR, else build/bundles), building a
 * missing one with the package script's own code (cached in build/cache), unpacking one, and
 * running its outpost on this x64 machine: natively for x64, under qemu-user for ARM. qemu is run
 * explicitly with the cross toolchain's glibc (-L), so no binfmt_misc registration is needed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { missingToolchain } from '../../scripts/package/addon.js';
import { appVersion, buildBundle, REPO_ROOT } from '../../scripts/package/bundle.js';
import { bundleFileName, TARGETS, type Arch } from '../../scripts/package/targets.js';
import { cannotRun, nodeCommand } from '../../scripts/package/verify.js';
import { killOnTestExit } from './daemon.js';
import { freePort } from './outpost-process.js';

/** The directory bundles are taken from (and built into when missing). */
function bundleDir(): string {
  return process.env.OUTPOST_BUNDLE_DIR ?? join(REPO_ROOT, 'build', 'bundles');
}

/** The path of the `arch` bundle of the current version, whether or not it exists yet. */
function bundlePath(arch: Arch): string {
  return join(bundleDir(), bundleFileName(appVersion(), arch));
}

/**
 * The `skip` option for a test that runs the `arch` bundle: a reason when this machine cannot run
 * it (no qemu, no target glibc) or cannot build a missing one (no cross compiler), except under
 * CI=true, where a missing tool must fail the test rather than hide it.
 */
export function bundleSkip(arch: Arch): string | false {
  if (process.env.CI === 'true') return false;
  const target = TARGETS[arch];
  const reasons: string[] = [];
  const unrunnable = cannotRun(target);
  if (unrunnable !== null) reasons.push(unrunnable);
  if (target.emulator !== null && !existsSync(join(target.emulator.sysroot, 'lib'))) {
    reasons.push(`${target.emulator.sysroot} (the target's glibc, from ${target.toolchainPackage}) is missing`);
  }
  if (!existsSync(bundlePath(arch))) reasons.push(...missingToolchain(target).map((tool) => `${tool} is missing`));
  return reasons.length === 0 ? false : reasons.join('; ');
}

/** Returns the `arch` bundle's path, building it first when it is missing (minutes when nothing is cached). */
export async function ensureBundle(arch: Arch, log?: (line: string) => void): Promise<string> {
  const file = bundlePath(arch);
  if (!existsSync(file)) await buildBundle({ arch, outDir: bundleDir(), ...(log === undefined ? {} : { log }) });
  return file;
}

/** Unpacks `file` into `dir` and returns the bundle's top directory (`<dir>/outpost`). */
export function unpackBundle(file: string, dir: string): string {
  execFileSync('tar', ['-xzf', file, '-C', dir]);
  return join(dir, 'outpost');
}

/** An outpost running from an unpacked bundle, its output collected. */
export interface BundleProcess {
  child: ChildProcess;
  /** The status server's port (OUTPOST_HTTP_ADDRESS). */
  port: number;
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
}

/**
 * Starts the bundle unpacked at `top` with `env` (plus PATH and OUTPOST_HTTP_ADDRESS on a free
 * loopback port): x64 through its launcher bin/outpost, ARM as `qemu-<arch>-static -L <sysroot>
 * node app/dist/main.js`, which is what the launcher runs.
 */
export async function startBundle(arch: Arch, top: string, env: Record<string, string>): Promise<BundleProcess> {
  const target = TARGETS[arch];
  const port = await freePort();
  const [command, ...args] = target.emulator === null
    ? [join(top, 'bin', 'outpost')]
    : [...nodeCommand(target, join(top, 'node', 'bin', 'node')), join(top, 'app', 'dist', 'main.js')];
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', OUTPOST_HTTP_ADDRESS: `127.0.0.1:${port}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnTestExit(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.once('error', (error) => (out += `spawn error: ${error.message}\n`));
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, port, output: () => out, exited };
}
