/**
 * e2fsprogs on the root filesystem. The build works on the root partition copied out into a file
 * of its own: resize2fs sizes a regular file to the filesystem, so run on the whole image with an
 * `?offset=` it would cut the image short; on the partition's own file it simply grows it.
 * Read-only tools also accept `image?offset=<bytes>` and check the finished image in place.
 */
import { run } from './tools.js';

/** Superblock figures (dumpe2fs -h). */
export interface Ext4Info {
  blockSize: number;
  blockCount: number;
}

/** Reads the superblock of `device` (a file or `image?offset=N`); throws when it is not ext2/3/4. */
export async function readExt4Info(device: string): Promise<Ext4Info> {
  const { stdout } = await run('dumpe2fs', ['-h', device]);
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)$`, 'm').exec(stdout);
    if (match === null) throw new Error(`dumpe2fs -h ${device} printed no "${name}"`);
    return Number(match[1]);
  };
  return {
    blockSize: field('Block size'),
    blockCount: field('Block count'),
  };
}

/**
 * Checks `file` fully and fixes what e2fsck deems safe to fix unattended (-p); resize2fs wants a
 * freshly checked filesystem. Throws when the filesystem is damaged beyond that. Resolves true
 * when something was fixed.
 */
export async function prepareExt4(file: string): Promise<boolean> {
  // 0 clean, 1 errors fixed, 2 fixed and the system should reboot (only meaningful when mounted).
  const { code } = await run('e2fsck', ['-f', '-p', file], { okCodes: [0, 1, 2] }).catch((error: Error) => {
    throw new Error(`the root filesystem is damaged or not ext4: ${error.message}`);
  });
  return code !== 0;
}

/** Checks `device` (a file or `image?offset=N`) without changing it; throws with e2fsck's report unless it is clean. */
export async function checkExt4(device: string): Promise<void> {
  await run('e2fsck', ['-f', '-n', device]).catch((error: Error) => {
    throw new Error(`the root filesystem is not clean after injection: ${error.message}`);
  });
}

/** Grows the filesystem in `file` to the file's size. */
export async function growExt4(file: string): Promise<void> {
  await run('resize2fs', [file]);
}
