/**
 * Builds a flashable Raspberry Pi OS image with Outpost installed, as an ordinary user: no loop
 * devices, no mounts, only tools that edit filesystems inside files.
 *
 *   1. unpack the bundle (tar) and check it was built for the image's architecture
 *   2. copy the base image, or decompress it when it is .xz, into a scratch file beside --out
 *   3. read the partition table (sfdisk): 1 FAT boot, 2 ext4 root, last
 *   4. check the boot partition (mtools) has no outpost.env yet
 *   5. copy the root partition out into a file of its own (dd), check it (e2fsck -f -p)
 *   6. grow: extend the image file, move partition 2's end to it (sfdisk), extend the root file
 *      and grow the filesystem to fill it (resize2fs)
 *   7. write the bundle, unit, enable link and sysusers entry (debugfs), check and read back
 *   8. copy the root file back into the image (dd)
 *   9. write outpost.env to the boot partition (mtools) and read it back
 *  10. check the finished image in place (e2fsck -fn at the partition's offset; the filesystem
 *      spans the partition) and only then move it to --out
 *
 * Working on a copy of the root partition keeps every e2fsprogs tool on a plain file: resize2fs
 * sizes a regular file to the filesystem, and given the whole image with an offset it would cut
 * the image short. The scratch directory lives beside --out, as it holds a full copy of the image
 * (gigabytes, which a RAM-backed /tmp may not have), and is removed whatever happens, so a failed
 * build leaves no half-written image behind.
 */
import { constants, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, renameSync, statSync, truncateSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkBootPartition, envTemplate, writeEnvFile } from './boot-fs.js';
import { nodeArch, unpackBundle, type Bundle } from './bundle.js';
import { checkExt4, growExt4, prepareExt4, readExt4Info } from './ext4.js';
import { growRootPartition, readPiLayout, type Partition } from './partition-table.js';
import { installOnRoot, type RootSummary } from './root-fs.js';
import { removeTree } from './scratch.js';
import { requireTools, run, TOOLS, type Tool } from './tools.js';

/** The architectures of Raspberry Pi OS: arm64 (64-bit), armv7 (32-bit "armhf"). */
export type PiArch = 'arm64' | 'armv7';

/** What to build. */
export interface BuildOptions {
  /** Raspberry Pi OS (Lite) image, .img or .img.xz. */
  base: string;
  /** Release bundle tar.gz for `arch`. */
  bundle: string;
  arch: PiArch;
  out: string;
  /** Bytes to add to the image and its root partition (rounded up to whole MiB); default from the bundle's size. */
  grow?: number;
  /** Progress lines for a person. */
  log?: (line: string) => void;
}

/** What was built. */
export interface BuildResult extends RootSummary {
  out: string;
  version: string;
  imageBytes: number;
  rootBytes: number;
  grownBytes: number;
  seconds: number;
}

const MiB = 2 ** 20;
// dd moves the partition in 4 MiB blocks: large enough that the copy runs at disk speed.
const DD_BLOCK = '4M';

/** Builds the image; resolves once --out is complete and checked, throws with the failed step's reason. */
export async function buildImage(options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const log = options.log ?? ((): void => {});
  requireTools(Object.keys(TOOLS) as Tool[]);
  const out = resolve(options.out);
  const work = mkdtempSync(join(dirname(out), '.outpost-pi-image-'));
  try {
    log(`unpacking ${options.bundle}`);
    const bundle = await unpackBundle(options.bundle, mkdirIn(work, 'bundle'));
    const arch = nodeArch(bundle);
    if (arch !== options.arch) {
      throw new Error(`${options.bundle} holds a node for ${arch ?? 'an unknown architecture'}, not ${options.arch}`);
    }

    const image = join(work, 'image.img');
    log(`copying ${options.base}`);
    await copyBase(options.base, image);
    let layout = await readPiLayout(image, options.base);
    await checkBootPartition(image, layout.boot.offset);

    const rootFile = join(work, 'root.ext4');
    await dd(['if=' + image, 'of=' + rootFile, 'iflag=skip_bytes,count_bytes', `skip=${layout.root.offset}`, `count=${layout.root.bytes}`, 'conv=sparse']);
    if (await prepareExt4(rootFile)) log('e2fsck fixed errors in the base image\'s root filesystem');

    const imageBytes = Math.ceil((statSync(image).size + (options.grow ?? defaultGrow(bundle))) / MiB) * MiB;
    const grownBytes = imageBytes - statSync(image).size;
    if (grownBytes > 0) {
      log(`growing the root partition by ${(grownBytes / MiB).toFixed(0)} MiB`);
      truncateSync(image, imageBytes);
      layout = await growRootPartition(image, layout);
      truncateSync(rootFile, layout.root.bytes);
    }
    // Also without --grow: a base whose filesystem stops short of its partition gets it all.
    await growExt4(rootFile);

    log(`installing Outpost ${bundle.version} (${bundle.entries.length} entries, ${(bundle.bytes / MiB).toFixed(1)} MiB)`);
    const summary = await installOnRoot(rootFile, bundle, mkdirIn(work, 'root'), Math.floor(Date.now() / 1000)).catch((error: Error) => {
      if (!/Could not allocate (block|inode)|No free space/.test(error.message)) throw error;
      throw new Error(`${error.message}\nthe root filesystem is full: give --grow more than ${(grownBytes / MiB).toFixed(0)}MiB`);
    });
    await dd(['if=' + rootFile, 'of=' + image, 'oflag=seek_bytes', `seek=${layout.root.offset}`, 'conv=notrunc']);

    const example = readFileSync(join(bundle.root, 'deploy/outpost.env.example'), 'utf8');
    await writeEnvFile(image, layout.boot.offset, envTemplate(example, bundle.version), mkdirIn(work, 'boot'));

    log('checking the finished image');
    await checkFinished(image, layout.root);
    renameSync(image, out);
    return {
      ...summary,
      out,
      version: bundle.version,
      imageBytes: statSync(out).size,
      rootBytes: layout.root.bytes,
      grownBytes,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    removeTree(work);
  }
}

// The image only needs room for what it receives: Raspberry Pi OS grows the root partition to
// the whole card at first boot. Each file takes whole 4 KiB blocks (and each directory one);
// 64 MiB more covers ext4's metadata for the new space (inode tables, extent blocks) and keeps
// the filesystem from being full before that first-boot expansion.
function defaultGrow(bundle: Bundle): number {
  const blocks = bundle.entries.reduce((sum, e) => sum + Math.max(1, Math.ceil(e.size / 4096)), 0);
  return blocks * 4096 + 64 * MiB;
}

function mkdirIn(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir);
  return dir;
}

// xz's magic number; Raspberry Pi OS is published as .img.xz.
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

async function copyBase(base: string, image: string): Promise<void> {
  const head = Buffer.alloc(XZ_MAGIC.length);
  const fd = openSync(base, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.equals(XZ_MAGIC)) await run('xz', ['--decompress', '--stdout', '--threads=0', base], { stdoutFile: image });
  // A copy-on-write clone where the filesystem can (btrfs, XFS), a plain copy elsewhere.
  else copyFileSync(base, image, constants.COPYFILE_FICLONE);
}

async function dd(args: string[]): Promise<void> {
  await run('dd', [`bs=${DD_BLOCK}`, 'status=none', ...args]);
}

async function checkFinished(image: string, root: Partition): Promise<void> {
  const device = `${image}?offset=${root.offset}`;
  await checkExt4(device);
  const info = await readExt4Info(device);
  const fsBytes = info.blockCount * info.blockSize;
  if (fsBytes > root.bytes || fsBytes <= root.bytes - info.blockSize) {
    throw new Error(`the root filesystem is ${fsBytes} bytes but its partition ${root.bytes}`);
  }
}
