/**
 * `npm run pi-image -- --base <raspios-lite .img or .img.xz> --arch arm64|armv7 --out outpost.img
 * [--bundle <tar.gz>] [--grow <size>]`: a Raspberry Pi OS image with Outpost installed and enabled.
 * `npm run pi-image -- debian-base [--out <img>] [--mirror <url>]` (as root):
 * a stand-in for Raspberry Pi OS Lite arm64 from Debian packages (debian-base.ts), cached in
 * build/cache/pi-base. See pi-image/README.md. Progress goes to stderr, the result to stdout; any
 * failure exits 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSize } from '../../src/config/parse.js';
import { buildImage, type PiArch } from './build-image.js';
import { buildDebianBase, debianBasePath } from './debian-base.js';
import { interruptTools } from './tools.js';

const USAGE = `usage: npm run pi-image -- --base <raspios-lite .img or .img.xz> --arch arm64|armv7 --out outpost.img
                          [--bundle <outpost-…-linux-<arch>.tar.gz>] [--grow <size, e.g. 512MiB>]
       npm run pi-image -- debian-base [--out <img>] [--mirror <url>]   (as root)`;
const ARCHES: readonly PiArch[] = ['arm64', 'armv7'];

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      base: { type: 'string' },
      arch: { type: 'string' },
      out: { type: 'string' },
      bundle: { type: 'string' },
      grow: { type: 'string' },
      mirror: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  if (positionals[0] === 'debian-base' && positionals.length === 1) {
    await debianBase(values.out, values.mirror);
    return;
  }
  if (positionals.length > 0) throw new Error(`unknown command ${positionals.join(' ')}\n${USAGE}`);
  const { base, arch, out } = values;
  if (base === undefined || arch === undefined || out === undefined) throw new Error(`--base, --arch and --out are required\n${USAGE}`);
  if (!ARCHES.includes(arch as PiArch)) throw new Error(`--arch must be arm64 (64-bit Raspberry Pi OS) or armv7 (32-bit), not ${arch}`);
  if (!existsSync(base)) throw new Error(`--base ${base} does not exist; download Raspberry Pi OS Lite (.img.xz) from raspberrypi.com/software`);
  if (resolve(out) === resolve(base)) throw new Error('--out must differ from --base: the base image is never changed');
  if (!existsSync(dirname(resolve(out)))) throw new Error(`--out ${out}: directory ${dirname(resolve(out))} does not exist`);
  const grow = values.grow === undefined ? undefined : parseSize(values.grow);
  if (grow?.ok === false) throw new Error(`--grow ${values.grow}: ${grow.error}`);

  const bundle = values.bundle ?? defaultBundle(arch);
  if (!existsSync(bundle)) {
    throw new Error(values.bundle !== undefined
      ? `--bundle ${bundle} does not exist`
      : `no bundle at ${bundle}: build it with \`npm run package -- --arch ${arch}\`, or name one with --bundle`);
  }

  // The build removes its scratch files (a full copy of the image) when it fails; Ctrl-C must
  // therefore fail the build rather than end the process.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error('pi-image: interrupted, removing scratch files');
      interruptTools();
    });
  }
  const result = await buildImage({
    base,
    bundle,
    arch: arch as PiArch,
    out,
    ...(grow === undefined ? {} : { grow: grow.value }),
    log: (line) => console.error(`pi-image: ${line}`),
  });
  const MiB = 2 ** 20;
  console.log(`${result.out}: Outpost ${result.version} for ${arch}, ${(result.imageBytes / MiB).toFixed(0)} MiB ` +
    `(root partition ${(result.rootBytes / MiB).toFixed(0)} MiB, grown by ${(result.grownBytes / MiB).toFixed(0)} MiB; ` +
    `${result.files} files, ${result.directories} directories, ${result.symlinks} symlinks) in ${result.seconds.toFixed(1)} s`);
  console.log('Flash it with Raspberry Pi Imager ("Use custom") or dd, then edit outpost.env on the boot partition: see pi-image/README.md');
}

async function debianBase(out: string | undefined, mirror: string | undefined): Promise<void> {
  const path = out ?? debianBasePath(resolve('build', 'cache'));
  if (out === undefined && existsSync(path)) {
    console.log(`${path}: already built (delete it to build it again)`);
    return;
  }
  const result = await buildDebianBase({
    out: path,
    ...(mirror === undefined ? {} : { mirror }),
    log: (line) => console.error(`pi-image: ${line}`),
  });
  console.log(`${result.out}: Debian bookworm arm64 stand-in for Raspberry Pi OS Lite, kernel ${result.kernel}, in ${result.seconds.toFixed(0)} s`);
  console.log(`Next: npm run pi-image -- --base ${result.out} --arch arm64 --out outpost.img`);
}

// Where `npm run package` leaves the bundle, relative to the checkout (npm runs scripts there).
function defaultBundle(arch: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return resolve('build', 'bundles', `outpost-${pkg.version}-linux-${arch}.tar.gz`);
}

main().catch((error: unknown) => {
  console.error(`pi-image: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
