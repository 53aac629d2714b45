import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DISK_DEVICE_EXCLUDE, createDiskstatsCollector } from '../../../src/inputs/host/diskstats.js';
import { createNetdevCollector } from '../../../src/inputs/host/netdev.js';
import { collectOnce, fixturePaths, keysOf, writeTree } from '../../helpers/host-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

// A Pi with an SD card and a USB SATA SSD, plus lines of older kernels (11 and 15 stats, and a
// 4-stat partition line of 2.6.24 that procfs drops).
const DISKSTATS = `   1       0 ram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       0 loop0 10 0 20 5 0 0 0 0 0 8 5 0 0 0 0 0 0
 179       0 mmcblk0 14853 6216 1191290 40127 8163 9876 402416 71218 0 53420 117016 0 0 0 0 1653 5670
 179       1 mmcblk0p1 318 1040 19882 695 2 0 2 3 0 540 698 0 0 0 0 0 0
 179       2 mmcblk0p2 14479 5176 1167912 39391 8161 9876 402414 71215 0 52980 110606 0 0 0 0 0 0
   8       0 sda 100 0 800 10 50 0 400 20 1 30 30 5 0 40 2 3 4
   8       1 sda1 90 0 700 9 45 0 350 18 0 25 27 0 0 0 0 0 0
 259       0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
 259       1 nvme0n1p1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
 254       0 dm-0 1 2 3 4 5 6 7 8 9 10 11
   8      16 sdb 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
   3       0 hdx 1 2 3 4
`;

const UDEV = {
  'rootfs/run/udev/data/b179:0': 'S:disk/by-path/platform-fe340000.mmc\nE:ID_PATH=platform-fe340000.mmc\nE:ID_SERIAL_SHORT=0x1234abcd\nE:ID_NAME=SC64G\n',
  'rootfs/run/udev/data/b179:2': 'E:ID_FS_TYPE=ext4\nE:ID_FS_USAGE=filesystem\nE:ID_FS_UUID=3d81d9e2-7d1b-4015-8c2c-29ec0875f762\nE:ID_FS_VERSION=1.0\n',
  'rootfs/run/udev/data/b8:0': 'E:ID_ATA=1\nE:ID_ATA_ROTATION_RATE_RPM=0\nE:ID_ATA_WRITE_CACHE=1\nE:ID_ATA_WRITE_CACHE_ENABLED=1\nE:ID_MODEL=Samsung_SSD_870\nE:ID_REVISION=SVT02B6Q\nE:ID_WWN=0x5002538f\nE:SCSI_IDENT_SERIAL=S5Y1NX0T\nE:ID_SERIAL_SHORT=other\n',
  'rootfs/run/udev/data/b254:0': 'E:DM_NAME=vg0-root\nE:DM_UUID=LVM-abc\nE:DM_VG_NAME=vg0\nE:DM_LV_NAME=root\n',
};

describe('diskstats collector', () => {
  it("keeps node_exporter 1.5's default device exclude: whole disks and mmc partitions stay, the rest goes", () => {
    assert.equal(DEFAULT_DISK_DEVICE_EXCLUDE.source, String.raw`^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$`);
    const excluded = ['ram0', 'loop7', 'fd0', 'sda1', 'hdb12', 'vda1', 'xvda2', 'nvme0n1p1'];
    const kept = ['sda', 'vda', 'nvme0n1', 'mmcblk0', 'mmcblk0p2', 'dm-0', 'zram0', 'md0', 'sr0'];
    for (const d of excluded) assert.ok(DEFAULT_DISK_DEVICE_EXCLUDE.test(d), d);
    for (const d of kept) assert.ok(!DEFAULT_DISK_DEVICE_EXCLUDE.test(d), d);
  });

  it('exports the counters in bytes and seconds for the devices kept, as many as the kernel prints', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/diskstats': DISKSTATS });
    const s = await collectOnce(createDiskstatsCollector(), fixturePaths(dir.path));
    assert.deepEqual(keysOf(s, 'node_disk_reads_completed_total').map((k) => k.split('device=')[1]), ['dm-0', 'mmcblk0', 'mmcblk0p1', 'mmcblk0p2', 'nvme0n1', 'sda', 'sdb']);
    const mmc = (name: string) => s.get(`__name__=${name},device=mmcblk0`);
    assert.equal(mmc('node_disk_reads_completed_total'), 14853);
    assert.equal(mmc('node_disk_reads_merged_total'), 6216);
    assert.equal(mmc('node_disk_read_bytes_total'), 1191290 * 512);
    assert.equal(mmc('node_disk_read_time_seconds_total'), 40.127);
    assert.equal(mmc('node_disk_writes_completed_total'), 8163);
    assert.equal(mmc('node_disk_written_bytes_total'), 402416 * 512);
    assert.equal(mmc('node_disk_write_time_seconds_total'), 71.218);
    assert.equal(mmc('node_disk_io_now'), 0);
    assert.equal(mmc('node_disk_io_time_seconds_total'), 53.42);
    assert.equal(mmc('node_disk_io_time_weighted_seconds_total'), 117.016);
    assert.equal(mmc('node_disk_flush_requests_total'), 1653);
    assert.equal(mmc('node_disk_flush_requests_time_seconds_total'), 5.67);
    assert.equal(s.get('__name__=node_disk_discarded_sectors_total,device=sda'), 40);
    // 11 stats (before 4.18): no discard or flush; 15 (before 5.5): discards but no flush.
    assert.equal(s.get('__name__=node_disk_io_time_weighted_seconds_total,device=dm-0'), 0.011);
    assert.equal(s.get('__name__=node_disk_discards_completed_total,device=dm-0'), undefined);
    assert.equal(s.get('__name__=node_disk_discard_time_seconds_total,device=sdb'), 0.015);
    assert.equal(s.get('__name__=node_disk_flush_requests_total,device=sdb'), undefined);
  });

  it('labels node_disk_info and the udev info metrics from the udev database', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/diskstats': DISKSTATS, ...UDEV });
    const s = await collectOnce(createDiskstatsCollector(), fixturePaths(dir.path));
    assert.equal(s.get('__name__=node_disk_info,device=mmcblk0,major=179,minor=0,path=platform-fe340000.mmc,serial=0x1234abcd'), 1);
    assert.equal(s.get('__name__=node_disk_info,device=mmcblk0p1,major=179,minor=1'), 1, 'no udev data: empty labels are left out');
    assert.equal(s.get('__name__=node_disk_info,device=sda,major=8,minor=0,model=Samsung_SSD_870,revision=SVT02B6Q,serial=S5Y1NX0T,wwn=0x5002538f'), 1);
    assert.equal(s.get('__name__=node_disk_filesystem_info,device=mmcblk0p2,type=ext4,usage=filesystem,uuid=3d81d9e2-7d1b-4015-8c2c-29ec0875f762,version=1.0'), 1);
    assert.equal(s.get('__name__=node_disk_device_mapper_info,device=dm-0,lv_name=root,name=vg0-root,uuid=LVM-abc,vg_name=vg0'), 1);
    assert.equal(s.get('__name__=node_disk_ata_rotation_rate_rpm,device=sda'), 0);
    assert.equal(s.get('__name__=node_disk_ata_write_cache,device=sda'), 1);
    assert.equal(s.get('__name__=node_disk_ata_write_cache_enabled,device=sda'), 1);
    assert.deepEqual(keysOf(s, 'node_disk_ata_write_cache'), ['__name__=node_disk_ata_write_cache,device=sda']);
  });
});

describe('netdev collector', () => {
  it('exports the 16 /proc/net/dev counters per interface with node_exporter names, loopback included', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, {
      'proc/net/dev': `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   48213     612    0    0    0     0          0         0    48213     612    0    0    0     0       0          0
 wlan0:12345678901 9876543    1    2    3     4          5         6 2345678  34567    7    8    9    10      11         12
  eth0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
`,
    });
    const s = await collectOnce(createNetdevCollector(), fixturePaths(dir.path));
    assert.equal(s.size, 3 * 16);
    assert.deepEqual(keysOf(s, 'node_network_receive_bytes_total').map((k) => k.split('device=')[1]), ['eth0', 'lo', 'wlan0']);
    const wlan = (c: string) => s.get(`__name__=node_network_${c}_total,device=wlan0`);
    assert.deepEqual(
      ['receive_bytes', 'receive_packets', 'receive_errs', 'receive_drop', 'receive_fifo', 'receive_frame', 'receive_compressed', 'receive_multicast'].map(wlan),
      [12345678901, 9876543, 1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      ['transmit_bytes', 'transmit_packets', 'transmit_errs', 'transmit_drop', 'transmit_fifo', 'transmit_colls', 'transmit_carrier', 'transmit_compressed'].map(wlan),
      [2345678, 34567, 7, 8, 9, 10, 11, 12],
    );
    assert.equal(s.get('__name__=node_network_receive_bytes_total,device=lo'), 48213);
  });
});
