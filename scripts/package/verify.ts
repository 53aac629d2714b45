import { join } from 'node:path';
import { which } from '../lib/which.js';
import { run } from './run.js';
import type { Target } from './targets.js';

/**
 * The newest glibc symbol version any of the ELF `files` needs (from `readelf -V`, which reads
 * every architecture), e.g. '2.34': the oldest C library the bundle runs on.
 */
export async function glibcFloor(files: readonly string[]): Promise<string> {
  let floor = [0, 0];
  for (const file of files) {
    const out = await run('readelf', ['-V', '-W', file]);
    for (const [, major, minor] of out.matchAll(/Name: GLIBC_(\d+)\.(\d+)/g)) {
      const v = [Number(major), Number(minor)];
      if (v[0]! > floor[0]! || (v[0] === floor[0] && v[1]! > floor[1]!)) floor = v;
    }
  }
  return floor.join('.');
}

/** The command line that runs the target's `node` here: directly, or under qemu-user with the target's glibc. */
export function nodeCommand(target: Target, node: string): [string, ...string[]] {
  return target.emulator === null ? [node] : [target.emulator.qemu, '-L', target.emulator.sysroot, node];
}

/** Why the target's binaries cannot run on this machine, or null when they can. */
export function cannotRun(target: Target): string | null {
  if (target.emulator === null) return process.arch === 'x64' ? null : `this machine is ${process.arch}, not x64`;
  return which(target.emulator.qemu) === null ? `${target.emulator.qemu} is not installed (Debian package qemu-user-static)` : null;
}

// Loads every production dependency and opens a database with the bundled runtime, resolving
// from the app's directory as the app does: a package pruned too far or an addon of the wrong ABI
// or architecture fails here. Then it drops statements among other garbage between timer ticks,
// so the collector finalises them: that aborts the process within a few ticks when the addon's
// ObjectWrap cannot be finalised outside a JS context (better-sqlite3 12 built against Node >=
// 24.19 headers, see targets.ts).
const CHECK = `
import { readFileSync } from 'node:fs';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
for (const dep of Object.keys(pkg.dependencies)) await import(dep);
const { default: Database } = await import('better-sqlite3');
const db = new Database(':memory:');
const { v } = db.prepare('select sqlite_version() as v').get();
for (const until = Date.now() + 1500; Date.now() < until; ) {
  for (let i = 0; i < 200; i++) db.prepare('select ?').get(i);
  const garbage = [];
  for (let i = 0; i < 20000; i++) garbage.push({ i, s: 'x' + i });
  await new Promise((resolve) => setTimeout(resolve, 5));
}
db.close();
console.log(JSON.stringify({ arch: process.arch, node: process.versions.node, sqlite: v }));
`;

/** What the bundled runtime reported about itself. */
export interface RuntimeReport {
  arch: string;
  node: string;
  sqlite: string;
}

/**
 * Runs the unpacked bundle `top`'s runtime on its app (under qemu for ARM): every dependency loads
 * and better-sqlite3 opens a database. Throws otherwise, or when the runtime is not the target's.
 */
export async function verifyBundle(target: Target, top: string): Promise<RuntimeReport> {
  const [command, ...args] = nodeCommand(target, join(top, 'node', 'bin', 'node'));
  const out = await run(command, [...args, '--input-type=module', '-e', CHECK], { cwd: join(top, 'app') });
  const report = JSON.parse(out.trim().split('\n').pop()!) as RuntimeReport;
  if (report.arch !== target.gypArch || report.node !== target.runtimeVersion) {
    throw new Error(`the bundled runtime reports ${report.arch} node ${report.node}, expected ${target.gypArch} node ${target.runtimeVersion}`);
  }
  return report;
}
