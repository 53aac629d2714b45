import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Returns outpost's version from its package.json, found by walking up from this compiled file
 * (dist/lib/ and dist-test/src/lib/ sit at different depths). Throws when there is none: the
 * installation is broken. Read once, then kept.
 */
export function readVersion(): string {
  return (version ??= findVersion());
}

let version: string | undefined;

function findVersion(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'outpost' && typeof pkg.version === 'string') return pkg.version;
    }
    if (dirname(dir) === dir) throw new Error('cannot find the package.json of outpost above ' + start);
  }
}
