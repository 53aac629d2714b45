import { cpSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheEntry } from './cache.js';
import { which } from '../lib/which.js';
import { cleanEnv, run } from './run.js';
import type { Runtime } from './runtime.js';
import type { Target } from './targets.js';

/** A compiled better_sqlite3.node for one target and runtime. */
export interface Addon {
  file: string;
  /** better-sqlite3's version it was compiled from. */
  version: string;
  /** False when it came from the cache. */
  compiled: boolean;
}

/**
 * Returns better-sqlite3's native addon for `target`, compiled against `runtime`'s headers (so it
 * has the bundled runtime's ABI, whatever the host's Node is) and stripped. `source` is an
 * installed better-sqlite3 package (its deps/ and src/ are the sources). Cached under
 * `<cacheDir>/addon/` by better-sqlite3 version, runtime version and architecture: compiling
 * SQLite takes about a minute a target.
 */
export async function ensureAddon(target: Target, runtime: Runtime, source: string, cacheDir: string): Promise<Addon> {
  const version = (JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string }).version;
  const file = join(cacheDir, 'addon', `better-sqlite3-${version}-node-${runtime.version}-linux-${target.arch}.node`);
  const compiled = await cacheEntry(file, async (scratch) => {
    const work = join(scratch, 'better-sqlite3');
    cpSync(source, work, { recursive: true });
    const prefix = target.toolchainPrefix;
    const env = cleanEnv({
      CC: `${prefix}gcc`, CXX: `${prefix}g++`, LINK: `${prefix}g++`, AR: `${prefix}ar`,
      // gyp runs host-side tools (none today) with these; only the target toolset is crossed.
      CC_host: 'gcc', CXX_host: 'g++',
    });
    // --nodedir on the command line, and no npm_config_* in the environment: a user's npm
    // `nodedir` setting (or the host Node's own headers) must never leak in and give the addon
    // the host runtime's ABI.
    await run(process.execPath, [
      nodeGypPath(), 'rebuild', '--release', `--arch=${target.gypArch}`, `--nodedir=${runtime.dir}`, '--jobs=max',
    ], { cwd: work, env });
    const built = join(scratch, 'better_sqlite3.node');
    // Symbols and debug info help nobody on a gateway; the dynamic symbols node needs stay.
    await run(`${prefix}strip`, ['--strip-unneeded', '-o', built, join(work, 'build', 'Release', 'better_sqlite3.node')]);
    return built;
  });
  return { file, version, compiled };
}

/** The tools compiling for `target` needs; each missing one is named with its Debian package. */
export function missingToolchain(target: Target): string[] {
  return ['gcc', 'g++', 'ar', 'strip']
    .map((tool) => target.toolchainPrefix + tool)
    .filter((tool) => which(tool) === null)
    .map((tool) => `${tool} (Debian package ${target.toolchainPackage})`);
}

/**
 * node-gyp as bundled with the npm that runs this build (npm_execpath under `npm run`, else the
 * npm on PATH): no separate install, and the version npm itself would use.
 */
function nodeGypPath(): string {
  const npmCli = process.env.npm_execpath ?? which('npm');
  if (npmCli == null) throw new Error('cannot find npm, whose node-gyp builds better-sqlite3');
  return join(dirname(realpathSync(npmCli)), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
}
