import { statfs } from 'node:fs/promises';
import { metadataTable, series, type HostCollector, type HostRound } from './collector.js';

/** node_exporter 1.5's default `--collector.filesystem.mount-points-exclude` (upstream, not Debian's). */
export const DEFAULT_MOUNT_POINTS_EXCLUDE = /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

/** node_exporter 1.5's default `--collector.filesystem.fs-types-exclude`: pseudo and read-only image file systems. */
export const DEFAULT_FS_TYPES_EXCLUDE = /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$/;

/** The filesystem collector's families (also written by the portable collectors). */
export const FILESYSTEM_METADATA = metadataTable({
  node_filesystem_avail_bytes: ['gauge', 'Filesystem space available to non-root users in bytes.'],
  node_filesystem_device_error: ['gauge', 'Whether an error occurred while getting statistics for the given device.'],
  node_filesystem_files: ['gauge', 'Filesystem total file nodes.'],
  node_filesystem_files_free: ['gauge', 'Filesystem total free file nodes.'],
  node_filesystem_free_bytes: ['gauge', 'Filesystem free space in bytes.'],
  node_filesystem_readonly: ['gauge', 'Filesystem read-only status.'],
  node_filesystem_size_bytes: ['gauge', 'Filesystem size in bytes.'],
});

// node_exporter's `--collector.filesystem.mount-timeout` default: how long a statfs may take
// before its mount point counts as stuck (a dead NFS server blocks statfs indefinitely).
const DEFAULT_MOUNT_TIMEOUT_MS = 5_000;

/** The statfs(2) fields the collector uses. */
export interface StatfsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** Options of the filesystem collector; tests shorten the timeout and fake statfs. */
export interface FilesystemOptions {
  /** How long a statfs may take before its mount counts as stuck (default 5 s, node_exporter's). */
  mountTimeoutMs?: number;
  /** statfs(2); defaults to fs.promises.statfs. */
  statfs?: (path: string) => Promise<StatfsResult>;
}

interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
  readOnly: boolean;
}

/**
 * node_exporter's `filesystem` collector: `node_filesystem_{size,free,avail}_bytes`,
 * `node_filesystem_files{,_free}`, `node_filesystem_readonly` and
 * `node_filesystem_device_error`, labelled `{device,fstype,mountpoint}`, for the mounts of
 * /proc/1/mounts (the host's, as node_exporter; /proc/mounts when hidepid hides pid 1) that pass
 * the default exclude patterns. A mount listed twice is reported once.
 *
 * statfs runs on libuv's thread pool (4 threads): a statfs hung on a dead network mount would
 * hold a thread forever, and one more each round would soon stall every fs call in the process.
 * So, as node_exporter does with its stuck-mount map, a mount point whose statfs is still
 * outstanding is not asked again: it reports `device_error 1` until that call returns, and a
 * call that takes over the mount timeout reports `device_error 1` for its round without making
 * the round wait longer.
 */
export function createFilesystemCollector(options: FilesystemOptions = {}): HostCollector {
  const timeoutMs = options.mountTimeoutMs ?? DEFAULT_MOUNT_TIMEOUT_MS;
  const doStatfs = options.statfs ?? ((path: string) => statfs(path));
  const outstanding = new Set<string>();

  /** statfs of `path`, or undefined on error, past `deadline`, or while an earlier call is out. */
  function statOnce(path: string, deadline: Promise<undefined>): Promise<StatfsResult | undefined> {
    if (outstanding.has(path)) return Promise.resolve(undefined);
    outstanding.add(path);
    const call = doStatfs(path).finally(() => outstanding.delete(path));
    // A late answer or error of a call past the deadline must not become an unhandled rejection.
    call.catch(() => undefined);
    return Promise.race([call, deadline]).catch(() => undefined);
  }

  return {
    name: 'filesystem',
    metadata: FILESYSTEM_METADATA,
    async collect(round) {
      const mounts = readMounts(round);
      // One deadline for the round: the calls start together, so it is each call's timeout.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
      // Mounts stacked on one mount point share one call (statfs sees the top one anyway).
      const calls = new Map<string, Promise<StatfsResult | undefined>>();
      let stats: Array<StatfsResult | undefined>;
      try {
        stats = await Promise.all(
          mounts.map((m) => {
            const path = rootfsFilePath(round, m.mountPoint);
            let call = calls.get(path);
            if (call === undefined) calls.set(path, (call = statOnce(path, deadline)));
            return call;
          }),
        );
      } finally {
        clearTimeout(timer);
      }
      for (let i = 0; i < mounts.length; i++) {
        const { device, mountPoint, fsType, readOnly } = mounts[i]!;
        const s = stats[i];
        const labels = (name: string) => series(name, 'device', device, 'fstype', fsType, 'mountpoint', mountPoint);
        round.add(labels('node_filesystem_device_error'), s === undefined ? 1 : 0);
        round.add(labels('node_filesystem_readonly'), readOnly ? 1 : 0);
        if (s === undefined) continue;
        // f_bsize, not f_frsize, as node_exporter (they agree on every common Linux file system).
        round.add(labels('node_filesystem_size_bytes'), s.blocks * s.bsize);
        round.add(labels('node_filesystem_free_bytes'), s.bfree * s.bsize);
        round.add(labels('node_filesystem_avail_bytes'), s.bavail * s.bsize);
        round.add(labels('node_filesystem_files'), s.files);
        round.add(labels('node_filesystem_files_free'), s.ffree);
      }
    },
  };
}

/** The mounts to report: parsed, filtered with the default patterns, first of duplicates kept. */
function readMounts(round: HostRound): Mount[] {
  let text: string;
  try {
    text = round.readProc('1/mounts');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    text = round.readProc('mounts');
  }
  const mounts: Mount[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = line.split(' ');
    if (parts.length < 4) throw new Error(`malformed mount point information: ${JSON.stringify(line)}`);
    // fstab(5) escapes: node_exporter decodes space and tab only, and so do we.
    const mountPoint = rootfsStripPrefix(round, parts[1]!.replaceAll('\\040', ' ').replaceAll('\\011', '\t'));
    const [device, , fsType, options] = parts as [string, string, string, string];
    if (DEFAULT_MOUNT_POINTS_EXCLUDE.test(mountPoint) || DEFAULT_FS_TYPES_EXCLUDE.test(fsType)) continue;
    const key = `${device}\u0000${mountPoint}\u0000${fsType}`;
    if (seen.has(key)) continue;
    seen.add(key);
    mounts.push({ device, mountPoint, fsType, readOnly: options.split(',').includes('ro') });
  }
  return mounts;
}

/** A mount point as seen from the host root when running with a rootfs prefix (node_exporter's rootfsStripPrefix). */
function rootfsStripPrefix(round: HostRound, path: string): string {
  if (round.rootfsPath === '/') return path;
  const stripped = path.startsWith(round.rootfsPath) ? path.slice(round.rootfsPath.length) : path;
  return stripped === '' ? '/' : stripped;
}

function rootfsFilePath(round: HostRound, mountPoint: string): string {
  return round.rootfsPath === '/' ? mountPoint : round.rootfsPath + mountPoint;
}
