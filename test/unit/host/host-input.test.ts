import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createHostInput } from '../../../src/inputs/host/index.js';
import { createPortableCollectors } from '../../../src/inputs/host/portable.js';
import { createHostRound, KernelFiles } from '../../../src/inputs/host/collector.js';
import { fixturePaths, namesWithoutMetadata, recordingAppender, writeTree } from '../../helpers/host-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A minimal but complete /proc, /sys and rootfs for every Linux collector. */
function writeHost(root: string): void {
  writeTree(root, {
    'proc/stat': 'cpu  1 0 1 1 0 0 0 0 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\nbtime 1700000000\n',
    'proc/loadavg': '0.10 0.20 0.30 1/100 200\n',
    'proc/meminfo': 'MemTotal: 1000 kB\n',
    // statfs goes to <rootfs>/, which exists.
    'proc/1/mounts': '/dev/root / ext4 rw 0 0\n',
    'proc/diskstats': ' 179 0 mmcblk0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n',
    'proc/net/dev': 'h1\nh2\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n',
    'proc/sys/kernel/domainname': '(none)\n',
    'rootfs/etc/os-release': 'ID=raspbian\n',
  });
}

const platformIsLinux = process.platform === 'linux';

describe('host input', () => {
  it('runs every collector in one round and stamps each sample with the round time', { skip: !platformIsLinux }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeHost(dir.path);
    const input = createHostInput(fixturePaths(dir.path));
    assert.equal(input.name, 'host');
    const appender = recordingAppender();
    await input.collect(appender, 1_700_000_000_000);
    const names = new Set(appender.samples.map((s) => s.labels[0]!.value));
    for (const name of ['node_cpu_seconds_total', 'node_load1', 'node_memory_MemTotal_bytes', 'node_filesystem_size_bytes', 'node_disk_read_bytes_total', 'node_network_receive_bytes_total', 'node_boot_time_seconds', 'node_time_seconds', 'node_uname_info', 'node_os_info']) {
      assert.ok(names.has(name), name);
    }
    assert.ok(appender.samples.every((s) => s.timestampMs === 1_700_000_000_000));
  });

  it('gives every family it writes node_exporter\'s type and help, once per round', { skip: !platformIsLinux }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeHost(dir.path);
    const input = createHostInput(fixturePaths(dir.path));
    const appender = recordingAppender();
    let calls = 0;
    const counting = { ...appender, setMetadata: (...args: Parameters<typeof appender.setMetadata>) => { calls++; appender.setMetadata(...args); } };
    await input.collect(counting, 1_700_000_000_000);
    assert.deepEqual(namesWithoutMetadata(appender.samples, appender.metadata), []);
    assert.equal(calls, appender.metadata.size, 'one statement per family');
    assert.deepEqual(appender.metadata.get('node_cpu_seconds_total'), { type: 'counter', help: 'Seconds the CPUs spent in each mode.', unit: '' });
    assert.deepEqual(appender.metadata.get('node_memory_MemTotal_bytes'), { type: 'gauge', help: 'Memory information field MemTotal_bytes.', unit: '' });
    assert.deepEqual(appender.metadata.get('node_network_receive_bytes_total'), { type: 'counter', help: 'Network device statistic receive_bytes.', unit: '' });
    assert.deepEqual(appender.metadata.get('node_disk_io_now'), { type: 'gauge', help: 'The number of I/Os currently in progress.', unit: '' });
  });

  it('appends what the other collectors produce when some fail, then throws naming the failed ones', { skip: !platformIsLinux }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeHost(dir.path);
    writeTree(dir.path, { 'proc/meminfo': 'MemTotal: lots kB\n', 'proc/loadavg': '?\n' });
    const appender = recordingAppender();
    await assert.rejects(
      async () => createHostInput(fixturePaths(dir.path)).collect(appender, 1),
      (error: Error) => {
        assert.ok(error instanceof AggregateError);
        assert.equal(error.errors.length, 2);
        assert.match(error.message, /^host collectors failed: loadavg \(unexpected .*\); meminfo \(invalid value in meminfo: MemTotal: lots kB\)$/);
        return true;
      },
    );
    assert.ok(appender.samples.some((s) => s.labels[0]!.value === 'node_cpu_seconds_total'));
    assert.ok(!appender.samples.some((s) => s.labels[0]!.value === 'node_load1'));
  });

  it('skips the samples of a series the WAL refuses', async () => {
    const appended: number[] = [];
    const round = createHostRound(fixturePaths('/nonexistent'), new KernelFiles(), { ...recordingAppender(), seriesRef: () => 0, append: (ref) => appended.push(ref) }, 1);
    round.add([{ name: '__name__', value: 'x' }], 1);
    assert.deepEqual(appended, []);
  });
});

describe('KernelFiles', () => {
  it('reads a file through its kept descriptor again on every call, whatever its size', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const big = 'x'.repeat(200_000);
    writeTree(dir.path, { 'f': big });
    const files = new KernelFiles();
    assert.equal(files.read(`${dir.path}/f`), big);
    writeFileSync(`${dir.path}/f`, 'short\n');
    assert.equal(files.read(`${dir.path}/f`), 'short\n');
    assert.throws(() => files.read(`${dir.path}/missing`), { code: 'ENOENT' });
  });
});

describe('portable host collectors (off Linux)', () => {
  it('produce the contract names from the os module and systeminformation, with their metadata', async () => {
    const appender = recordingAppender();
    const collectors = createPortableCollectors();
    const metadataOf = (family: string) => collectors.map((c) => c.metadata(family)).find((m) => m !== undefined);
    const round = createHostRound(fixturePaths('/nonexistent'), new KernelFiles(), appender, Date.now(), metadataOf);
    await Promise.all(collectors.map((c) => c.collect(round)));
    const names = new Set(appender.samples.map((s) => s.labels[0]!.value));
    for (const name of ['node_cpu_seconds_total', 'node_load1', 'node_memory_MemTotal_bytes', 'node_memory_SwapFree_bytes', 'node_filesystem_avail_bytes', 'node_network_receive_bytes_total', 'node_boot_time_seconds', 'node_time_seconds', 'node_uname_info']) {
      assert.ok(names.has(name), name);
    }
    assert.deepEqual(namesWithoutMetadata(appender.samples, appender.metadata), []);
  });
});
