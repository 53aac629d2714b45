/**
 * `npm run package -- --arch arm64|armv7|x64 [--arch …] [--out DIR]`: builds release bundles
 * (bundle.ts) into build/bundles, one architecture after the other, and prints each one's size
 * and build time. `--arch` may repeat or take a comma list; `all` is every architecture.
 */
import { parseArgs } from 'node:util';
import { buildBundle } from './bundle.js';
import { ARCHES, parseArch, type Arch } from './targets.js';

const { values } = parseArgs({
  options: { arch: { type: 'string', multiple: true }, out: { type: 'string' } },
  strict: true,
});
const names = (values.arch ?? []).flatMap((a) => a.split(','));
if (names.length === 0) {
  console.error(`usage: npm run package -- --arch ${ARCHES.join('|')}|all [--arch …] [--out DIR]`);
  process.exit(2);
}

const MiB = 1024 * 1024;
const started = Date.now();
try {
  const arches: Arch[] = names.includes('all') ? [...ARCHES] : [...new Set(names.map(parseArch))];
  for (const arch of arches) {
    const info = await buildBundle({ arch, ...(values.out === undefined ? {} : { outDir: values.out }), log: (line) => console.log(line) });
    console.log(
      `${arch}: ${info.file}: ${(info.bytes / MiB).toFixed(1)} MiB (${(info.unpackedBytes / MiB).toFixed(1)} MiB unpacked) in ${info.seconds.toFixed(0)} s`,
    );
  }
  console.log(`bundles built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (error) {
  // The messages name the missing tool or carry the failed command's last lines: no stack needed.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
