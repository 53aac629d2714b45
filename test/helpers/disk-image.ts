/**
 * Synthetic inputs for the Pi image build: a small Raspberry Pi OS-shaped disk image (MBR; FAT32
 * boot partition at 4 MiB; ext4 root made by `mkfs.ext4 -d` from a minimal tree) and Outpost
 * bundles of the release layout, with symlinks, executables, odd names and a read-only directory.
 * Also reading the results back with the tools themselves, independently of the build's code.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { findTool, TOOLS, type Tool } from '../../scripts/pi-image/tools.js';
import { DEPLOY_DIR } from './deploy.js';

/** The disk tools the image build and its tests run (tar and dd are always there). */
const IMAGE_TOOLS: readonly string[] = [
  ...(Object.keys(TOOLS) as Tool[]).filter((name) => name !== 'tar' && name !== 'dd'),
  // Only the tests make images, so only they need these.
  'mformat',
  'mkfs.ext4',
];

/** A skip reason when an image tool is missing, except under CI=true, where the test must fail. */
export function imageToolsSkip(): string | false {
  const missing = IMAGE_TOOLS.filter((tool) => findTool(tool) === undefined);
  if (missing.length === 0 || process.env.CI === 'true') return false;
  return `missing ${missing.join(', ')} (Debian: fdisk mtools e2fsprogs xz-utils)`;
}

/** Runs a tool (found on PATH or in /usr/sbin) to completion; throws unless it exits 0. */
export function tool(name: string, args: readonly string[], input?: string): Buffer {
  const bin = findTool(name) ?? name;
  const result = spawnSync(bin, args, { input, env: { ...process.env, LC_ALL: 'C', MTOOLS_SKIP_CHECK: '1' }, maxBuffer: 1 << 28 });
  if (result.status !== 0) {
    throw new Error(`${name} ${args.join(' ')} exited ${result.status}: ${result.stderr?.toString()}${result.error?.message ?? ''}`);
  }
  return result.stdout;
}

/** A base image and where its partitions are. */
export interface BaseImage {
  path: string;
  diskId: string;
  bootOffset: number;
  rootOffset: number;
  rootBytes: number;
}

const MiB = 2 ** 20;

/** Builds `<dir>/base.img`: 4 MiB gap, `bootMiB` FAT32 (type c), `rootMiB` ext4 (type 83). */
export function buildBaseImage(dir: string, bootMiB = 40, rootMiB = 48): BaseImage {
  const tree = join(dir, 'base-tree');
  for (const sub of ['etc/systemd/system/multi-user.target.wants', 'usr/lib/systemd/system', 'usr/bin', 'boot/firmware', 'opt', 'var/lib']) {
    mkdirSync(join(tree, sub), { recursive: true });
  }
  writeFileSync(join(tree, 'etc/hostname'), 'raspberrypi\n');
  writeFileSync(join(tree, 'usr/lib/systemd/system/ssh.service'), '[Unit]\nDescription=OpenBSD Secure Shell server\n');
  symlinkSync('/usr/lib/systemd/system/ssh.service', join(tree, 'etc/systemd/system/multi-user.target.wants/ssh.service'));
  const rootFile = join(dir, 'base-root.ext4');
  // 4 KiB blocks and 256-byte inodes as on Raspberry Pi OS (mke2fs would pick 1 KiB and 128 for so small a filesystem).
  tool('mkfs.ext4', ['-q', '-F', '-b', '4096', '-I', '256', '-L', 'rootfs', '-d', tree, rootFile, `${rootMiB}M`]);

  const path = join(dir, 'base.img');
  const bootOffset = 4 * MiB;
  const rootOffset = bootOffset + bootMiB * MiB;
  writeFileSync(path, '');
  truncateSync(path, rootOffset + rootMiB * MiB);
  const diskId = '0x5e3da7a1';
  tool('sfdisk', ['--quiet', path], [
    'label: dos',
    `label-id: ${diskId}`,
    `start=${bootOffset / 512}, size=${(bootMiB * MiB) / 512}, type=c`,
    `start=${rootOffset / 512}, size=${(rootMiB * MiB) / 512}, type=83`,
    '',
  ].join('\n'));
  tool('mformat', ['-i', `${path}@@${bootOffset}`, '-T', String((bootMiB * MiB) / 512), '-H', String(bootOffset / 512), '-F', '-c', '1', '-v', 'bootfs', '::']);
  writeFileSync(join(dir, 'config.txt'), 'arm_64bit=1\n');
  tool('mcopy', ['-i', `${path}@@${bootOffset}`, join(dir, 'config.txt'), '::config.txt']);
  tool('dd', [`if=${rootFile}`, `of=${path}`, 'bs=1M', `seek=${rootOffset / MiB}`, 'conv=notrunc', 'status=none']);
  return { path, diskId, bootOffset, rootOffset, rootBytes: rootMiB * MiB };
}

/** ELF headers (first 20 bytes) of a node binary per architecture: class, little-endian, e_machine. */
const ELF: Record<string, [number, number]> = { arm64: [2, 183], armv7: [1, 40], x64: [2, 62] };

/** Options of {@link buildBundle}. */
export interface BundleOptions {
  arch?: string;
  /** Adds app/node_modules/blob/blob.bin with this many random (incompressible) bytes. */
  blobBytes?: number;
}

/** The mtime of every fixture entry (2023-11-14). */
export const BUNDLE_MTIME = 1_700_000_000;

/** Builds `<dir>/<name>.tar.gz` of the release layout; returns it and the unpacked `outpost/` tree it came from. */
export function buildBundle(dir: string, name: string, options: BundleOptions = {}): { tarball: string; tree: string } {
  const staging = join(dir, `${name}-staging`);
  const tree = join(staging, 'outpost');
  const file = (path: string, content: string | Buffer, mode = 0o644): void => {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), content);
    chmodSync(join(tree, path), mode);
  };
  const [elfClass, machine] = ELF[options.arch ?? 'arm64']!;
  const node = Buffer.alloc(4096);
  node.write('\x7fELF', 0, 'latin1');
  node[4] = elfClass;
  node[5] = 1;
  node.writeUInt16LE(machine, 18);
  file('node/bin/node', node, 0o755);
  file('bin/outpost', '#!/bin/sh\nexec /opt/outpost/node/bin/node /opt/outpost/app/dist/main.js "$@"\n', 0o755);
  file('app/package.json', '{"name":"outpost","version":"0.1.0-test","type":"module"}\n');
  file('app/dist/main.js', 'console.log("outpost");\n');
  file('app/node_modules/pino/bin.js', '#!/usr/bin/env node\n', 0o755);
  mkdirSync(join(tree, 'app/node_modules/.bin'));
  symlinkSync('../pino/bin.js', join(tree, 'app/node_modules/.bin/pino'));
  // Longer than the 60 bytes an inode holds: a "slow" symlink with a data block.
  symlinkSync('../pino/bin.js/../../pino/./bin.js/../../../node_modules/pino/bin.js/../bin.js', join(tree, 'app/node_modules/.bin/pino-long'));
  file('app/node_modules/better-sqlite3/build/Release/better_sqlite3.node', randomBytes(20_000), 0o755);
  file('app/node_modules/odd name/file with "quotes" and spaces;#.txt', 'odd\n');
  mkdirSync(join(tree, 'app/node_modules/empty-dir'));
  file('app/node_modules/frozen/index.js', 'module.exports = 1;\n', 0o444);
  if (options.blobBytes !== undefined) file('app/node_modules/blob/blob.bin', randomBytes(options.blobBytes));
  file('deploy/outpost.service', readFileSync(join(DEPLOY_DIR, 'systemd/outpost.service')));
  file('deploy/outpost.sysusers', readFileSync(join(DEPLOY_DIR, 'systemd/outpost.sysusers')));
  file('deploy/outpost.env.example', readFileSync(join(DEPLOY_DIR, 'outpost.env.example')));
  file('VERSION', `outpost=0.1.0-test\narch=${options.arch ?? 'arm64'}\nnode=24.0.0\n`);
  chmodSync(join(tree, 'app/node_modules/frozen'), 0o555);
  for (const entry of walk(tree)) lutimesSync(entry, BUNDLE_MTIME, BUNDLE_MTIME);
  const tarball = join(dir, `${name}.tar.gz`);
  tool('tar', ['-czf', tarball, '-C', staging, 'outpost']);
  return { tarball, tree };
}

/** Every path below and including `root`, children after their directory. */
export function walk(root: string): string[] {
  const stat = lstatSync(root);
  if (!stat.isDirectory()) return [root];
  return [root, ...readdirSync(root).sort().flatMap((name) => walk(join(root, name)))];
}

/** An inode as `debugfs stat` shows it. */
export interface DebugfsStat {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** Symlink target, from the inode or (long targets) the data block. */
  target?: string;
}

/** `debugfs -R 'stat <path>'` on `device` (`image?offset=N`); undefined when the path does not exist. */
export function debugfsStat(device: string, path: string): DebugfsStat | undefined {
  const text = tool('debugfs', ['-R', `stat ${debugfsQuote(path)}`, device]).toString();
  const head = /Type: (\S+)\s+Mode:\s+([0-7]+)/.exec(text);
  if (head === null) return undefined;
  const owner = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(text)!;
  const stat: DebugfsStat = {
    type: head[1]!,
    mode: parseInt(head[2]!, 8),
    uid: Number(owner[1]),
    gid: Number(owner[2]),
    mtime: parseInt(/^ ?mtime: 0x([0-9a-f]{8})/m.exec(text)![1]!, 16),
  };
  if (stat.type === 'symlink') stat.target = /^Fast link dest: "(.*)"$/m.exec(text)?.[1] ?? debugfsCat(device, path).toString();
  return stat;
}

/** `debugfs -R 'cat <path>'`: a file's bytes. */
export function debugfsCat(device: string, path: string): Buffer {
  return tool('debugfs', ['-R', `cat ${debugfsQuote(path)}`, device]);
}

// debugfs's parser takes a quoted argument literally, "" standing for one quote.
function debugfsQuote(path: string): string {
  return `"${path.replaceAll('"', '""')}"`;
}

/** What `lstat` says of a host path, in the terms of {@link DebugfsStat}. */
export function hostEntry(path: string): { type: string; mode: number; target?: string } {
  const stat = lstatSync(path);
  const type = stat.isDirectory() ? 'directory' : stat.isSymbolicLink() ? 'symlink' : 'regular';
  return { type, mode: stat.mode & 0o7777, ...(type === 'symlink' ? { target: readlinkSync(path) } : {}) };
}
