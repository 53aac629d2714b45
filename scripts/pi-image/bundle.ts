/**
 * A release bundle (`npm run package`): a tar.gz holding one directory, `outpost/`, that becomes
 * /opt/outpost. tar unpacks it into a scratch directory and the build describes the unpacked tree,
 * so whatever tar carries (symlinks, executable bits, long names) reaches the image unchanged.
 */
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { InodeType } from './debugfs.js';
import { run } from './tools.js';

/** One file, directory or symlink of the bundle. */
export interface BundleEntry {
  /** Path below `outpost/`, '' for that directory itself. */
  path: string;
  type: InodeType;
  /** Permission bits (07777). */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Bytes of a regular file (0 otherwise). */
  size: number;
  /** Where it was unpacked. */
  hostPath: string;
  /** A symlink's target. */
  target?: string;
}

/** An unpacked bundle; entries list every directory before what it holds. */
export interface Bundle {
  /** The unpacked `outpost/` directory. */
  root: string;
  version: string;
  entries: BundleEntry[];
  /** Sum of the regular files' sizes. */
  bytes: number;
}

/** The files every bundle has; the image build uses the deploy/ ones. */
const REQUIRED_FILES = [
  'bin/outpost',
  'node/bin/node',
  'app/package.json',
  'deploy/outpost.service',
  'deploy/outpost.sysusers',
  'deploy/outpost.env.example',
  'VERSION',
];
const EXECUTABLES = ['bin/outpost', 'node/bin/node'];

/** Unpacks `tarball` into the empty directory `dir` and checks its layout; throws naming what is wrong. */
export async function unpackBundle(tarball: string, dir: string): Promise<Bundle> {
  // -p keeps the modes exactly (no umask); owners are not kept, the image makes everything root's.
  await run('tar', ['--extract', '--file', tarball, '--directory', dir, '--no-same-owner', '--preserve-permissions']).catch((error: Error) => {
    throw new Error(`cannot unpack the bundle ${tarball}: ${error.message}`);
  });
  const top = readdirSync(dir);
  if (top.length !== 1 || top[0] !== 'outpost' || !lstatSync(join(dir, 'outpost')).isDirectory()) {
    throw new Error(`${tarball} is not an Outpost bundle: it must hold one directory, outpost/, but holds ${top.join(', ') || 'nothing'}`);
  }
  const root = join(dir, 'outpost');
  const entries = walk(root, '');
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const problems: string[] = [];
  for (const path of REQUIRED_FILES) {
    const entry = byPath.get(path);
    if (entry?.type !== 'regular') problems.push(`outpost/${path} is missing or not a regular file`);
    else if (EXECUTABLES.includes(path) && (entry.mode & 0o111) !== 0o111) problems.push(`outpost/${path} is not executable`);
  }
  // The service runs as user outpost and reads the root-owned tree through its "other" bits.
  const unreadable = entries.filter((e) => e.type !== 'symlink' && (e.mode & (e.type === 'directory' ? 0o005 : 0o004)) === 0);
  for (const e of unreadable.slice(0, 5)) {
    problems.push(`outpost/${e.path} has mode 0${e.mode.toString(8)}: the outpost service user could not read it`);
  }
  if (problems.length > 0) throw new Error(`${tarball} is not a usable Outpost bundle:\n  ${problems.join('\n  ')}`);
  return {
    root,
    version: bundleVersion(readFileSync(join(root, 'VERSION'), 'utf8')),
    entries,
    bytes: entries.reduce((sum, e) => sum + e.size, 0),
  };
}

// VERSION holds `key=value` lines (outpost=0.1.0, arch=…, node=…), as `npm run package` writes it.
function bundleVersion(text: string): string {
  const version = /^outpost=(.+)$/m.exec(text)?.[1]?.trim();
  if (version === undefined) throw new Error('the bundle\'s VERSION has no outpost= line; build bundles with `npm run package`');
  return version;
}

// Hard links are unpacked as several names of one file; each becomes a file of its own in the
// image, which costs their size again but keeps the injection to mkdir/write/symlink.
function walk(hostPath: string, path: string): BundleEntry[] {
  const stat = lstatSync(hostPath);
  const base = { path, hostPath, mode: stat.mode & 0o7777, mtime: Math.floor(stat.mtimeMs / 1000), size: 0 };
  if (stat.isSymbolicLink()) return [{ ...base, type: 'symlink', target: readlinkSync(hostPath) }];
  if (stat.isFile()) return [{ ...base, type: 'regular', size: stat.size }];
  if (!stat.isDirectory()) throw new Error(`bundle entry outpost/${path} is neither a file, a directory nor a symlink`);
  const children = readdirSync(hostPath).sort();
  return [{ ...base, type: 'directory' }, ...children.flatMap((name) => walk(join(hostPath, name), path === '' ? name : `${path}/${name}`))];
}

// ELF e_ident[EI_CLASS] (1 = 32-bit, 2 = 64-bit) and e_machine of each bundle architecture.
const ELF_MACHINES: Record<string, string> = { '1:40': 'armv7', '2:183': 'arm64', '2:62': 'x64' };

/** The architecture a bundle's node binary was built for, or undefined when it is no Linux ELF binary we know. */
export function nodeArch(bundle: Bundle): string | undefined {
  const header = Buffer.alloc(20);
  const fd = openSync(join(bundle.root, 'node/bin/node'), 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  return ELF_MACHINES[`${header[4]}:${header.readUInt16LE(18)}`];
}
