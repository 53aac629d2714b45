/**
 * The image's partition table, read and changed by sfdisk on the image file itself (no loop
 * device). A Raspberry Pi OS image has an MBR table with two primary partitions: 1, FAT, mounted at
 * /boot/firmware; 2, ext4, the root, last on the disk so that it can grow into the space after it.
 */
import { statSync } from 'node:fs';
import { run } from './tools.js';

/** One partition, in sectors as sfdisk counts them and in bytes. */
export interface Partition {
  number: number;
  type: string;
  start: number;
  sectors: number;
  /** Byte offset of the partition in the image. */
  offset: number;
  bytes: number;
}

/** The two partitions of a Raspberry Pi OS image. */
export interface PiLayout {
  /** The MBR disk identifier: cmdline.txt and fstab name partitions by it (PARTUUID=<id>-02). */
  diskId: string;
  sectorSize: number;
  boot: Partition;
  root: Partition;
}

interface SfdiskJson {
  partitiontable: {
    label: string;
    id: string;
    sectorsize?: number;
    partitions?: Array<{ node: string; start: number; size: number; type: string }>;
  };
}

// MBR types of FAT12, FAT16 and FAT32 partitions (Raspberry Pi OS uses c, FAT32 with LBA).
const FAT_TYPES = new Set(['1', '4', '6', 'b', 'c', 'e']);
const LINUX_TYPE = '83';

/**
 * Reads the table of `image` and checks it has the Raspberry Pi OS shape; throws saying how it
 * differs, calling the image `name`.
 */
export async function readPiLayout(image: string, name = image): Promise<PiLayout> {
  const { stdout } = await run('sfdisk', ['--json', image]).catch((error: Error) => {
    throw new Error(`${name} is not a disk image with a partition table: ${error.message}`);
  });
  const table = (JSON.parse(stdout) as SfdiskJson).partitiontable;
  if (table.label !== 'dos') {
    throw new Error(`${name} has a '${table.label}' partition table; Raspberry Pi OS images have an MBR ('dos') one`);
  }
  const sectorSize = table.sectorsize ?? 512;
  const partitions = (table.partitions ?? []).map((p): Partition => ({
    number: Number(/(\d+)$/.exec(p.node)?.[1]),
    type: p.type.toLowerCase(),
    start: p.start,
    sectors: p.size,
    offset: p.start * sectorSize,
    bytes: p.size * sectorSize,
  }));
  const boot = partitions.find((p) => p.number === 1);
  const root = partitions.find((p) => p.number === 2);
  if (boot === undefined || !FAT_TYPES.has(boot.type)) {
    throw new Error(`${name}: partition 1 must be the FAT boot partition (type c), found ${describe(boot)}`);
  }
  if (root === undefined || root.type !== LINUX_TYPE) {
    throw new Error(`${name}: partition 2 must be the Linux root partition (type 83), found ${describe(root)}`);
  }
  const after = partitions.find((p) => p !== root && p.start > root.start);
  if (after !== undefined) {
    throw new Error(`${name}: partition ${after.number} lies after the root partition, which therefore cannot grow`);
  }
  return { diskId: table.id, sectorSize, boot, root };
}

function describe(partition: Partition | undefined): string {
  return partition === undefined ? 'none' : `type ${partition.type}`;
}

/**
 * Moves the end of the root partition to the end of the image file (which the caller has already
 * extended), keeping its start, type and the disk identifier; returns the new layout after
 * checking exactly that happened.
 */
export async function growRootPartition(image: string, before: PiLayout): Promise<PiLayout> {
  // "-N 2" edits only partition 2; ", +" keeps its start and takes all the space after it.
  await run('sfdisk', ['--no-reread', '--no-tell-kernel', '--quiet', '-N', '2', image], { input: ',+\n' });
  const after = await readPiLayout(image);
  const lastSector = Math.floor(statSync(image).size / after.sectorSize) - 1;
  const { root } = after;
  if (after.diskId !== before.diskId || root.start !== before.root.start || root.start + root.sectors - 1 !== lastSector) {
    throw new Error(`sfdisk did not grow partition 2 of ${image} in place to sector ${lastSector}: ` +
      `disk ${before.diskId} → ${after.diskId}, start ${before.root.start} → ${root.start}, size ${root.sectors} sectors`);
  }
  return after;
}
