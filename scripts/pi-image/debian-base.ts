/**
 * A stand-in for Raspberry Pi OS Lite (Bookworm, arm64) made from Debian packages only, so that
 * `npm run pi-image` and the boot tests have a base without a Raspberry Pi OS download. Same
 * shape: an MBR disk, partition 1 FAT32 (`bootfs`, mounted at /boot/firmware), partition 2 ext4
 * (`rootfs`, mounted at /), systemd with systemd-sysusers, udev, arm64; no default user. What
 * differs: Debian's `linux-image-arm64` for qemu's `virt` machine instead of the Pi's kernel and
 * firmware, and systemd-networkd (DHCP on every Ethernet link) instead of NetworkManager.
 *
 *   1. debootstrap --foreign: download and unpack the packages (host tools, no emulation)
 *   2. configure the initramfs before the kernel package runs mkinitramfs: MODULES=list plus a hook
 *      that adds only the modules the virt machine needs to mount its root (virtio, ext4). The
 *      default MODULES=most runs one emulated process per module and takes over 25 minutes.
 *   3. debootstrap --second-stage in a chroot: the arm64 maintainer scripts run under
 *      qemu-aarch64-static through binfmt_misc (registered for the duration, then removed again)
 *   4. configure the system: hostname, fstab and kernel command line by PARTUUID, networkd, an
 *      uninitialized machine-id (so the image's first boot is a first boot), no package caches
 *   5. the boot partition as the Pi's firmware finds it: kernel8.img, initramfs8, cmdline.txt,
 *      config.txt (the tests' qemu runner, test/helpers/qemu-machine.ts, loads the first three from there)
 *   6. mkfs.ext4 -d of the tree and mformat/mcopy of the boot files into the partitions of a
 *      sparse image file (sfdisk), renamed into place only when complete
 *
 * Root is needed for steps 1-4 (debootstrap's mknod and chown, chroot, binfmt_misc) and 6 (reading
 * every file of the tree with its owner); everything that needs root is in this file. Nothing is
 * loop-mounted. The chroot's /proc and /sys, mounted by debootstrap, are unmounted before the tree
 * is removed, and the tree is never removed while anything is still mounted below it.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { requireTools, run } from './tools.js';

/** Packages beyond debootstrap's minbase: what a Raspberry Pi OS Lite boot needs of them. */
const PACKAGES = [
  'systemd', 'systemd-sysv', 'udev', 'kmod', 'e2fsprogs',
  // fsck of the FAT boot partition at boot (fstab pass 2), as on Raspberry Pi OS.
  'dosfstools',
  'procps',
  'linux-image-arm64',
];

/** Bumped whenever what the base holds changes, so a cached base of an older recipe is not used. */
const RECIPE = 1;

/** The modules the initramfs loads to find and mount the root on qemu's virt machine. */
const INITRAMFS_MODULES = ['virtio_mmio', 'virtio_pci', 'virtio_blk', 'ext4', 'crc32c_generic'];

const MiB = 2 ** 20;
// Raspberry Pi OS Bookworm's boot partition is 512 MiB; 256 MiB holds a kernel and initramfs
// several times over and keeps the image small.
const BOOT_MiB = 256;
// The first partition starts at 4 MiB as on Raspberry Pi OS (an erase-block-aligned start).
const BOOT_OFFSET = 4 * MiB;
// Room on the root filesystem beyond its content: pi-image grows the root by the bundle's size
// anyway; this is for the WAL and logs of the tests that boot it (Raspberry Pi OS grows the root
// to the whole card at first boot instead).
const ROOT_HEADROOM_MiB = 384;

/** Options of {@link buildDebianBase}. */
export interface DebianBaseOptions {
  /** The image to write; replaced only once complete. */
  out: string;
  /** A Debian mirror (default http://deb.debian.org/debian; debootstrap checks the archive's signatures). */
  mirror?: string;
  log?: (line: string) => void;
}

/** Where the cached base of this recipe lives under `cacheDir` (build/cache). */
export function debianBasePath(cacheDir: string): string {
  return join(cacheDir, 'pi-base', `debian-bookworm-arm64-r${RECIPE}.img`);
}

/** Why this machine cannot build a base, or null when it can. */
export function cannotBuildBase(): string | null {
  if (process.getuid?.() !== 0) return 'building the Debian base image needs root (debootstrap, chroot, binfmt_misc)';
  if (!existsSync(QEMU_BINFMT.interpreter)) return `${QEMU_BINFMT.interpreter} is missing (Debian: qemu-user-static)`;
  return null;
}

/** Builds the base image at `options.out`; throws naming the failed step. */
export async function buildDebianBase(options: DebianBaseOptions): Promise<{ out: string; seconds: number; kernel: string }> {
  const started = performance.now();
  const log = options.log ?? ((): void => {});
  const why = cannotBuildBase();
  if (why !== null) throw new Error(why);
  requireTools(['debootstrap', 'chroot', 'mount', 'umount', 'mkfs.ext4', 'mformat', 'mcopy', 'sfdisk', 'dd']);
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  const work = mkdtempSync(join(dirname(out), '.debian-base-'));
  const root = join(work, 'root');
  try {
    const packages = PACKAGES;
    const mirror = options.mirror ?? 'http://deb.debian.org/debian';
    log(`debootstrap, first stage: bookworm arm64 minbase + ${packages.join(' ')} from ${mirror}`);
    await step('debootstrap first stage', run('debootstrap', ['--foreign', '--arch=arm64', '--variant=minbase',
      `--include=${packages.join(',')}`, 'bookworm', root, mirror]));

    configureInitramfs(root);
    log('debootstrap, second stage (arm64 package scripts under qemu-user; several minutes)');
    await withArm64Binfmt(async () => {
      try {
        await step('debootstrap second stage', run('chroot', [root, '/debootstrap/debootstrap', '--second-stage']));
        const diskId = randomBytes(4).toString('hex');
        await configureSystem(root, diskId);
        await unmountBelow(root);
        log('writing the image');
        await writeImage(root, join(work, 'image.img'), diskId, work);
      } finally {
        await unmountBelow(root);
      }
    });
    const kernel = kernelVersion(root);
    renameSync(join(work, 'image.img'), out);
    return { out, seconds: (performance.now() - started) / 1000, kernel };
  } finally {
    await removeWork(work);
  }
}

async function step<T>(name: string, promise: Promise<T>): Promise<T> {
  return promise.catch((error: Error) => {
    throw new Error(`${name} failed: ${error.message.slice(-4000)}`, { cause: error });
  });
}

function configureInitramfs(root: string): void {
  // conf.d and hooks under /etc are the administrator's, not any package's conffiles, so writing
  // them before the packages are configured is safe; they stay, so a kernel update in the image
  // makes an initramfs that boots the same way.
  mkdirSync(join(root, 'etc/initramfs-tools/conf.d'), { recursive: true });
  mkdirSync(join(root, 'etc/initramfs-tools/hooks'), { recursive: true });
  writeFileSync(join(root, 'etc/initramfs-tools/conf.d/outpost-base.conf'), [
    '# Outpost\'s Debian stand-in for Raspberry Pi OS (scripts/pi-image/debian-base.ts): only the',
    '# modules the hook below names, for qemu\'s virt machine. MODULES=most takes half an hour emulated.',
    'MODULES=list',
    '',
  ].join('\n'));
  const hook = join(root, 'etc/initramfs-tools/hooks/outpost-base');
  writeFileSync(hook, [
    '#!/bin/sh',
    '# The virt machine\'s disk and root filesystem: loaded before the root is mounted.',
    'PREREQ=""',
    'prereqs() { echo "$PREREQ"; }',
    'case "$1" in prereqs) prereqs; exit 0;; esac',
    '. /usr/share/initramfs-tools/hook-functions',
    `for m in ${INITRAMFS_MODULES.join(' ')}; do force_load "$m"; done`,
    '',
  ].join('\n'));
  chmodSync(hook, 0o755);
}

async function configureSystem(root: string, diskId: string): Promise<void> {
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('etc/hostname', 'raspberrypi\n');
  write('etc/hosts', '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\traspberrypi\n');
  // As Raspberry Pi OS: partitions by PARTUUID (the MBR disk id), root noatime.
  write('etc/fstab', [
    'proc            /proc           proc    defaults          0       0',
    `PARTUUID=${diskId}-01  /boot/firmware  vfat    defaults          0       2`,
    `PARTUUID=${diskId}-02  /               ext4    defaults,noatime  0       1`,
    '',
  ].join('\n'));
  mkdirSync(join(root, 'boot/firmware'), { recursive: true });
  // Raspberry Pi OS uses NetworkManager; networkd (in the systemd package) does the same DHCP here.
  write('etc/systemd/network/80-ethernet.network', '[Match]\nType=ether\n\n[Network]\nDHCP=yes\n');
  await step('enabling systemd-networkd', run('chroot', [root, 'systemctl', 'enable', 'systemd-networkd']));
  // "uninitialized": the first boot of the image is systemd's first boot (ConditionFirstBoot),
  // and every flashed card gets its own machine id.
  write('etc/machine-id', 'uninitialized\n');
  rmSync(join(root, 'var/lib/dbus/machine-id'), { force: true });
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    for (const name of readdirSync(join(root, dir))) {
      const path = join(root, dir, name);
      if (statSync(path).isFile()) unlinkSync(path);
    }
  }
}

function kernelVersion(root: string): string {
  const names = readdirSync(join(root, 'boot')).filter((n) => n.startsWith('vmlinuz-'));
  if (names.length !== 1) throw new Error(`expected one kernel in /boot, found ${names.join(', ') || 'none'}`);
  return names[0]!.slice('vmlinuz-'.length);
}

async function writeImage(root: string, image: string, diskId: string, work: string): Promise<void> {
  const version = kernelVersion(root);
  const initrd = join(root, 'boot', `initrd.img-${version}`);
  if (!existsSync(initrd)) throw new Error(`the kernel package made no initramfs (${initrd})`);

  const boot = join(work, 'boot');
  mkdirSync(boot);
  const bootFiles: Record<string, string> = {
    'kernel8.img': join(root, 'boot', `vmlinuz-${version}`),
    'initramfs8': initrd,
  };
  writeFileSync(join(boot, 'cmdline.txt'),
    `console=ttyAMA0,115200 root=PARTUUID=${diskId}-02 rootfstype=ext4 fsck.repair=yes rootwait\n`);
  writeFileSync(join(boot, 'config.txt'), [
    '# Outpost\'s Debian stand-in for Raspberry Pi OS Lite. On a Pi the firmware reads this file;',
    '# qemu\'s virt machine has no such firmware: its runner loads kernel8.img, initramfs8 and',
    '# cmdline.txt from this partition as the firmware would.',
    'arm_64bit=1',
    'auto_initramfs=1',
    '',
  ].join('\n'));

  const rootFile = join(work, 'root.ext4');
  const { stdout } = await run('du', ['-s', '--block-size=1M', root]);
  const rootMiB = Math.ceil(Number(stdout.split(/\s/)[0]) * 1.15) + ROOT_HEADROOM_MiB;
  // 4 KiB blocks and 256-byte inodes as on Raspberry Pi OS; -d copies the tree with its owners.
  await step('mkfs.ext4', run('mkfs.ext4', ['-q', '-F', '-b', '4096', '-I', '256', '-L', 'rootfs', '-d', root, rootFile, `${rootMiB}M`]));

  const rootOffset = BOOT_OFFSET + BOOT_MiB * MiB;
  writeFileSync(image, '');
  truncateSync(image, rootOffset + rootMiB * MiB);
  await run('sfdisk', ['--quiet', image], {
    input: ['label: dos', `label-id: 0x${diskId}`, `start=${BOOT_OFFSET / 512}, size=${(BOOT_MiB * MiB) / 512}, type=c`, `start=${rootOffset / 512}, type=83`, ''].join('\n'),
  });
  const drive = `${image}@@${BOOT_OFFSET}`;
  await run('mformat', ['-i', drive, '-T', String((BOOT_MiB * MiB) / 512), '-H', String(BOOT_OFFSET / 512), '-F', '-v', 'bootfs', '::']);
  for (const [name, source] of Object.entries(bootFiles)) await run('mcopy', ['-i', drive, source, `::${name}`]);
  for (const name of ['cmdline.txt', 'config.txt']) await run('mcopy', ['-i', drive, join(boot, name), `::${name}`]);
  await run('dd', [`if=${rootFile}`, `of=${image}`, 'bs=4M', `seek=${rootOffset / (4 * MiB)}`, 'conv=notrunc,sparse', 'status=none']);
  unlinkSync(rootFile);
}

/** The binfmt_misc entry Debian's qemu-user-static installs for arm64 (F: works inside a chroot). */
const QEMU_BINFMT = {
  conf: '/usr/lib/binfmt.d/qemu-aarch64.conf',
  interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P',
  dir: '/proc/sys/fs/binfmt_misc',
};

/**
 * Runs `fn` with arm64 binaries runnable through binfmt_misc; mounts binfmt_misc and registers
 * the qemu-aarch64 entry when needed, and undoes exactly what it did afterwards.
 */
async function withArm64Binfmt<T>(fn: () => Promise<T>): Promise<T> {
  const { dir } = QEMU_BINFMT;
  let mounted = false;
  let registered = false;
  if (!existsSync(join(dir, 'register'))) {
    await step('mounting binfmt_misc', run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', dir]));
    mounted = true;
  }
  const entry = join(dir, 'qemu-aarch64');
  try {
    if (!existsSync(entry)) {
      const line = readFileSync(QEMU_BINFMT.conf, 'utf8').split('\n').find((l) => l.startsWith(':'));
      if (line === undefined) throw new Error(`${QEMU_BINFMT.conf} holds no binfmt_misc entry`);
      writeFileSync(join(dir, 'register'), line);
      registered = true;
    } else if (!readFileSync(entry, 'utf8').startsWith('enabled')) {
      throw new Error(`${entry} is registered but disabled; enable it (echo 1 > ${entry}) or remove it`);
    }
    return await fn();
  } finally {
    if (registered) writeFileSync(entry, '-1');
    if (mounted) await run('umount', [dir]);
  }
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo). */
function mountsBelow(dir: string): string[] {
  const prefix = resolve(dir);
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    // mountinfo escapes space, tab, newline and backslash as octal.
    .map((point) => point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === prefix || point.startsWith(prefix + '/'))
    .sort((a, b) => b.length - a.length);
}

async function unmountBelow(dir: string): Promise<void> {
  for (const point of mountsBelow(dir)) await run('umount', ['--lazy', point]).catch(() => undefined);
}

// The tree holds a whole system; removing it while its /proc or /sys (or anything else) is still
// mounted would reach into the host. Left in place, with a message, if anything stays mounted.
async function removeWork(work: string): Promise<void> {
  await unmountBelow(work);
  const left = mountsBelow(work);
  if (left.length > 0) {
    console.error(`debian-base: not removing ${work}: still mounted: ${left.join(', ')}`);
    return;
  }
  rmSync(work, { recursive: true, force: true });
}
