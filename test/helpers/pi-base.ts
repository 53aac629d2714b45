/**
 * The Pi image as the boot tests use it: the Debian stand-in base (cached in build/cache/pi-base,
 * built once as root), `npm run pi-image` on it with the real arm64 bundle, the partitions found
 * with sfdisk, and outpost.env edited on the FAT boot partition as a user would from a laptop.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDebianBase, cannotBuildBase, debianBasePath } from '../../scripts/pi-image/debian-base.js';
import { bundleSkip } from './bundle.js';
import { REPO_ROOT } from './deploy.js';
import { imageToolsSkip, tool } from './disk-image.js';
import { qemuSkip } from './qemu-machine.js';

const CACHE_DIR = join(REPO_ROOT, 'build', 'cache');

/**
 * The skip reason of a test that boots the Pi image: a missing tool, a missing arm64 bundle that
 * cannot be built, or no cached base and no root to build one; false under CI=true, where such a
 * test must fail instead.
 */
export function piBootSkip(): string | false {
  const reasons = [qemuSkip(), imageToolsSkip(), bundleSkip('arm64')].filter((r): r is string => r !== false);
  if (!existsSync(debianBasePath(CACHE_DIR))) {
    const why = cannotBuildBase();
    if (why !== null) reasons.push(`no cached base at ${debianBasePath(CACHE_DIR)} and ${why}`);
  }
  if (reasons.length === 0 || process.env.CI === 'true') return false;
  return reasons.join('; ');
}

/** The cached Debian base image, built first when missing (about 8 minutes on 2 vCPUs, as root). */
export async function ensureDebianBase(log?: (line: string) => void): Promise<string> {
  const path = debianBasePath(CACHE_DIR);
  if (!existsSync(path)) await buildDebianBase({ out: path, ...(log === undefined ? {} : { log }) });
  return path;
}

/** Byte offsets of the two partitions of a Pi image. */
export interface PiLayout { bootOffset: number; rootOffset: number }

/** Reads the partition table of `image`. */
export function piLayout(image: string): PiLayout {
  const table = JSON.parse(tool('sfdisk', ['--json', image]).toString()) as { partitiontable: { partitions: Array<{ start: number }> } };
  const [boot, root] = table.partitiontable.partitions;
  return { bootOffset: boot!.start * 512, rootOffset: root!.start * 512 };
}

/** Runs `npm run pi-image`'s CLI; throws with its output unless it succeeds. */
export function buildPiImage(base: string, bundle: string, out: string): string {
  const main = join(REPO_ROOT, 'dist-test/scripts/pi-image/main.js');
  const result = spawnSync(process.execPath, [main, '--base', base, '--arch', 'arm64', '--out', out, '--bundle', bundle], { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) throw new Error(`pi-image failed (${result.status}):\n${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

/**
 * Appends `settings` to outpost.env on the boot partition of `image`, below the template the
 * image build wrote, as a user does with a text editor; `scratch` holds the edited copy.
 */
export function editBootEnv(image: string, bootOffset: number, settings: Record<string, string>, scratch: string): string {
  const drive = `${image}@@${bootOffset}`;
  const text = tool('mtype', ['-i', drive, '::outpost.env']).toString()
    + '\n# Set for this gateway:\n' + Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join('');
  const local = join(scratch, 'outpost.env');
  writeFileSync(local, text);
  tool('mcopy', ['-o', '-i', drive, local, '::outpost.env']);
  return text;
}
