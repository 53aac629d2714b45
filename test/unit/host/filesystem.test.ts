import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE, createFilesystemCollector, type StatfsResult as Statfs } from '../../../src/inputs/host/filesystem.js';
import { collectOnce, keysOf, writeTree } from '../../helpers/host-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

const MOUNTS = `/dev/root / ext4 rw,noatime 0 0
devtmpfs /dev devtmpfs rw,relatime,size=187876k,nr_inodes=46969,mode=755 0 0
proc /proc proc rw,relatime 0 0
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /run tmpfs rw,nosuid,nodev,size=87888k,mode=755 0 0
tmpfs /run/credentials/systemd-sysusers.service tmpfs ro,nosuid 0 0
/dev/mmcblk0p1 /boot/firmware vfat rw,relatime,fmask=0022 0 0
/dev/sda1 /media/usb\\040stick ext4 ro,relatime 0 0
/dev/sda1 /media/usb\\040stick ext4 ro,relatime 0 0
overlay /var/lib/docker/overlay2/0123/merged overlay rw,relatime 0 0
/dev/mmcblk0p2 /var/lib/containers/storage/overlay ext4 rw 0 0
/dev/loop0 /snap/core/1 squashfs ro 0 0
server:/export /mnt/nfs nfs4 rw,relatime 0 0
`;

function fs(blocks: number, bfree: number, bavail: number): Statfs {
  return { bsize: 4096, blocks, bfree, bavail, files: 1000, ffree: 900 };
}

describe('filesystem collector', () => {
  it("keeps node_exporter 1.5's upstream default exclude patterns", () => {
    assert.equal(DEFAULT_MOUNT_POINTS_EXCLUDE.source, String.raw`^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)`);
    assert.equal(DEFAULT_FS_TYPES_EXCLUDE.source, '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$');
  });

  it('reports size, free and avail in bytes for the mounts the default filters keep, each once', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/1/mounts': MOUNTS });
    const statfs = async (path: string): Promise<Statfs> => {
      if (path === '/boot/firmware') throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      return fs(1000, 600, 500);
    };
    const s = await collectOnce(createFilesystemCollector({ statfs }), { procPath: `${dir.path}/proc`, sysPath: '/sys', rootfsPath: '/' });
    assert.deepEqual(keysOf(s, 'node_filesystem_device_error'), [
      '__name__=node_filesystem_device_error,device=/dev/mmcblk0p1,fstype=vfat,mountpoint=/boot/firmware',
      '__name__=node_filesystem_device_error,device=/dev/root,fstype=ext4,mountpoint=/',
      '__name__=node_filesystem_device_error,device=/dev/sda1,fstype=ext4,mountpoint=/media/usb stick',
      '__name__=node_filesystem_device_error,device=server:/export,fstype=nfs4,mountpoint=/mnt/nfs',
      '__name__=node_filesystem_device_error,device=tmpfs,fstype=tmpfs,mountpoint=/run',
    ]);
    const root = 'device=/dev/root,fstype=ext4,mountpoint=/';
    assert.equal(s.get(`__name__=node_filesystem_size_bytes,${root}`), 1000 * 4096);
    assert.equal(s.get(`__name__=node_filesystem_free_bytes,${root}`), 600 * 4096);
    assert.equal(s.get(`__name__=node_filesystem_avail_bytes,${root}`), 500 * 4096);
    assert.equal(s.get(`__name__=node_filesystem_files,${root}`), 1000);
    assert.equal(s.get(`__name__=node_filesystem_files_free,${root}`), 900);
    assert.equal(s.get(`__name__=node_filesystem_readonly,${root}`), 0);
    assert.equal(s.get('__name__=node_filesystem_readonly,device=/dev/sda1,fstype=ext4,mountpoint=/media/usb stick'), 1);
    // A statfs error: device_error 1 and readonly, no sizes.
    const boot = 'device=/dev/mmcblk0p1,fstype=vfat,mountpoint=/boot/firmware';
    assert.equal(s.get(`__name__=node_filesystem_device_error,${boot}`), 1);
    assert.equal(s.get(`__name__=node_filesystem_readonly,${boot}`), 0);
    assert.equal(s.get(`__name__=node_filesystem_size_bytes,${boot}`), undefined);
  });

  it('marks a mount whose statfs hangs as device_error and does not ask it again until the call returns', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    // Two mounts stacked on /: one statfs, no device_error for either.
    writeTree(dir.path, { 'proc/mounts': '/dev/root / ext4 rw 0 0\nrootfs / rootfs rw 0 0\nserver:/export /mnt/nfs nfs4 rw 0 0\n' });
    const paths = { procPath: `${dir.path}/proc`, sysPath: '/sys', rootfsPath: '/' };
    const calls: string[] = [];
    let release: (s: Statfs) => void = () => undefined;
    const statfs = (path: string): Promise<Statfs> => {
      calls.push(path);
      if (path === '/mnt/nfs' && calls.filter((c) => c === path).length === 1) return new Promise((resolve) => (release = resolve));
      return Promise.resolve(fs(10, 5, 4));
    };
    const collector = createFilesystemCollector({ statfs, mountTimeoutMs: 30 });
    const nfsError = '__name__=node_filesystem_device_error,device=server:/export,fstype=nfs4,mountpoint=/mnt/nfs';

    const started = Date.now();
    let s = await collectOnce(collector, paths);
    assert.ok(Date.now() - started < 1000, 'the round waited for the timeout, not for the mount');
    assert.equal(s.get(nfsError), 1);
    assert.equal(s.get('__name__=node_filesystem_size_bytes,device=/dev/root,fstype=ext4,mountpoint=/'), 40960);
    assert.equal(s.get('__name__=node_filesystem_device_error,device=rootfs,fstype=rootfs,mountpoint=/'), 0);

    s = await collectOnce(collector, paths);
    assert.equal(s.get(nfsError), 1);
    assert.deepEqual(calls, ['/', '/mnt/nfs', '/'], 'the stuck mount is not asked again while its call is outstanding');

    release(fs(999, 1, 1));
    await new Promise((r) => setImmediate(r));
    s = await collectOnce(collector, paths);
    assert.equal(s.get(nfsError), 0);
    // A fresh statfs, not the late answer of the stuck one.
    assert.equal(s.get('__name__=node_filesystem_size_bytes,device=server:/export,fstype=nfs4,mountpoint=/mnt/nfs'), 40960);
    assert.equal(calls.length, 5);
  });

  it('reads /proc/mounts when /proc/1/mounts is hidden, and strips the rootfs prefix from mount points', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/mounts': '/dev/root /host ext4 rw 0 0\n/dev/sda1 /host/data ext4 rw 0 0\n/dev/sdb1 /elsewhere ext4 rw 0 0\n' });
    const asked: string[] = [];
    const statfs = async (path: string) => (asked.push(path), fs(1, 1, 1));
    const s = await collectOnce(createFilesystemCollector({ statfs }), { procPath: `${dir.path}/proc`, sysPath: '/sys', rootfsPath: '/host' });
    assert.deepEqual(keysOf(s, 'node_filesystem_size_bytes'), [
      '__name__=node_filesystem_size_bytes,device=/dev/root,fstype=ext4,mountpoint=/',
      '__name__=node_filesystem_size_bytes,device=/dev/sda1,fstype=ext4,mountpoint=/data',
      '__name__=node_filesystem_size_bytes,device=/dev/sdb1,fstype=ext4,mountpoint=/elsewhere',
    ]);
    assert.deepEqual(asked, ['/host/', '/host/data', '/host/elsewhere']);
  });

  it('statfs of a real directory works without a fake', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/mounts': `tmpfs ${dir.path} tmpfs rw 0 0\n` });
    const s = await collectOnce(createFilesystemCollector(), { procPath: `${dir.path}/proc`, sysPath: '/sys', rootfsPath: '/' });
    assert.ok(s.get(`__name__=node_filesystem_size_bytes,device=tmpfs,fstype=tmpfs,mountpoint=${dir.path}`)! > 0);
  });
});
