import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricType } from '../../model/metadata.js';
import { metadataTable, series, type HostCollector } from './collector.js';

/**
 * node_exporter 1.5's default `--collector.diskstats.device-exclude`: RAM disks, loop devices,
 * floppies and partitions of sd/hd/vd/xvd and NVMe disks (whole disks are kept; their counters
 * already include their partitions). mmcblk0p1 and friends are not excluded, as upstream.
 */
export const DEFAULT_DISK_DEVICE_EXCLUDE = /^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

// Fields after "major minor name" in /proc/diskstats, with node_exporter's names, the factor
// to its units (sectors are always 512 bytes (block/stat.rst), times are milliseconds), type and
// help. Kernels print 11 (before 4.18), 15 (before 5.5) or 17 fields; only those present are
// exported. Discarded sectors stay sectors, as node_exporter names them.
const SECTOR_BYTES = 512;
const MS = 0.001;
const FIELDS: ReadonlyArray<readonly [string, number, MetricType, string]> = [
  ['node_disk_reads_completed_total', 1, 'counter', 'The total number of reads completed successfully.'],
  ['node_disk_reads_merged_total', 1, 'counter', 'The total number of reads merged.'],
  ['node_disk_read_bytes_total', SECTOR_BYTES, 'counter', 'The total number of bytes read successfully.'],
  ['node_disk_read_time_seconds_total', MS, 'counter', 'The total number of seconds spent by all reads.'],
  ['node_disk_writes_completed_total', 1, 'counter', 'The total number of writes completed successfully.'],
  ['node_disk_writes_merged_total', 1, 'counter', 'The number of writes merged.'],
  ['node_disk_written_bytes_total', SECTOR_BYTES, 'counter', 'The total number of bytes written successfully.'],
  ['node_disk_write_time_seconds_total', MS, 'counter', 'This is the total number of seconds spent by all writes.'],
  ['node_disk_io_now', 1, 'gauge', 'The number of I/Os currently in progress.'],
  ['node_disk_io_time_seconds_total', MS, 'counter', 'Total seconds spent doing I/Os.'],
  ['node_disk_io_time_weighted_seconds_total', MS, 'counter', 'The weighted # of seconds spent doing I/Os.'],
  ['node_disk_discards_completed_total', 1, 'counter', 'The total number of discards completed successfully.'],
  ['node_disk_discards_merged_total', 1, 'counter', 'The total number of discards merged.'],
  ['node_disk_discarded_sectors_total', 1, 'counter', 'The total number of sectors discarded successfully.'],
  ['node_disk_discard_time_seconds_total', MS, 'counter', 'This is the total number of seconds spent by all discards.'],
  // node_exporter's help really lacks the final full stop.
  ['node_disk_flush_requests_total', 1, 'counter', 'The total number of flush requests completed successfully'],
  ['node_disk_flush_requests_time_seconds_total', MS, 'counter', 'This is the total number of seconds spent by all flush requests.'],
];
// procfs drops lines shorter than this (partitions on pre-2.6.25 kernels had 7 fields).
const MIN_FIELDS = 14;

// udev properties exported as gauges, with node_exporter's names and help.
const ATA_GAUGES: ReadonlyArray<readonly [string, string, string]> = [
  ['ID_ATA_WRITE_CACHE', 'node_disk_ata_write_cache', 'ATA disk has a write cache.'],
  ['ID_ATA_WRITE_CACHE_ENABLED', 'node_disk_ata_write_cache_enabled', 'ATA disk has its write cache enabled.'],
  ['ID_ATA_ROTATION_RATE_RPM', 'node_disk_ata_rotation_rate_rpm', 'ATA disk rotation rate in RPMs (0 for SSDs).'],
];

const DISKSTATS_METADATA = metadataTable({
  ...Object.fromEntries(FIELDS.map(([name, , type, help]) => [name, [type, help] as const])),
  ...Object.fromEntries(ATA_GAUGES.map(([, name, help]) => [name, ['gauge', help] as const])),
  node_disk_info: ['gauge', 'Info of /sys/block/<block_device>.'],
  node_disk_filesystem_info: ['gauge', 'Info about disk filesystem.'],
  node_disk_device_mapper_info: ['gauge', 'Info about disk device mapper.'],
});

/**
 * node_exporter's `diskstats` collector: the /proc/diskstats counters per device
 * (`node_disk_read_bytes_total{device}` etc., bytes and seconds), `node_disk_info` and, where
 * udev knows them, `node_disk_filesystem_info`, `node_disk_device_mapper_info` and the
 * `node_disk_ata_*` gauges from `<rootfs>/run/udev/data/b<major>:<minor>`.
 */
export function createDiskstatsCollector(): HostCollector {
  return {
    name: 'diskstats',
    metadata: DISKSTATS_METADATA,
    async collect(round) {
      const text = round.readProc('diskstats');
      const devices: string[][] = [];
      for (const line of text.split('\n')) {
        const parts = line.trim().split(/\s+/);
        if (parts.length < MIN_FIELDS || DEFAULT_DISK_DEVICE_EXCLUDE.test(parts[2]!)) continue;
        devices.push(parts);
      }
      const udev = devices.map((p) => readUdev(join(round.rootfsPath, `run/udev/data/b${p[0]}:${p[1]}`)));
      for (let d = 0; d < devices.length; d++) {
        const parts = devices[d]!;
        const [major, minor, device] = parts as [string, string, string];
        const info = udev[d]!;
        // The serial printed on the disk's label when SCSI knows it, else udev's short serial.
        const serial = info.get('SCSI_IDENT_SERIAL') || info.get('ID_SERIAL_SHORT') || '';
        round.add(series('node_disk_info', 'device', device, 'major', major, 'minor', minor, 'model', info.get('ID_MODEL') ?? '', 'path', info.get('ID_PATH') ?? '', 'revision', info.get('ID_REVISION') ?? '', 'serial', serial, 'wwn', info.get('ID_WWN') ?? ''), 1);
        const count = Math.min(parts.length - 3, FIELDS.length);
        for (let f = 0; f < count; f++) round.add(series(FIELDS[f]![0], 'device', device), Number(parts[f + 3]) * FIELDS[f]![1]);
        const fsType = info.get('ID_FS_TYPE');
        if (fsType) round.add(series('node_disk_filesystem_info', 'device', device, 'type', fsType, 'usage', info.get('ID_FS_USAGE') ?? '', 'uuid', info.get('ID_FS_UUID') ?? '', 'version', info.get('ID_FS_VERSION') ?? ''), 1);
        const dmName = info.get('DM_NAME');
        if (dmName) round.add(series('node_disk_device_mapper_info', 'device', device, 'lv_layer', info.get('DM_LV_LAYER') ?? '', 'lv_name', info.get('DM_LV_NAME') ?? '', 'name', dmName, 'uuid', info.get('DM_UUID') ?? '', 'vg_name', info.get('DM_VG_NAME') ?? ''), 1);
        if (info.get('ID_ATA')) {
          for (const [key, name] of ATA_GAUGES) {
            const value = info.get(key);
            if (value !== undefined && value !== '' && !Number.isNaN(Number(value))) round.add(series(name, 'device', device), Number(value));
          }
        }
      }
    },
  };
}

/**
 * The `E:` (device property) lines of a udev database file; empty when there is none. Read
 * synchronously: /run is a tmpfs, so the read never waits, and a fresh open each round (not a
 * kept descriptor) because udev replaces these files whole.
 */
function readUdev(path: string): Map<string, string> {
  const info = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return info;
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    if (eq > 2) info.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return info;
}
