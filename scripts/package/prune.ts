/**
 * Trims a production node_modules to what runs on the gateway.
 *
 * 1. Packages no runtime code can reach. npm installs every declared dependency, but two kinds are
 *    install-time or compile-time only: better-sqlite3's `prebuild-install` (it downloads prebuilt
 *    addons at `npm install`; the bundle carries one compiled for its target) and `@types/*`
 *    (declarations for TypeScript). Walking the hidden lockfile from the app's dependencies
 *    without those edges leaves the packages still needed; the rest go.
 * 2. Files nothing loads: tests, examples, benchmarks, docs, Markdown (licences stay), TypeScript
 *    declarations, source maps, `.bin` links.
 * 3. better-sqlite3 keeps lib/ and the one addon; its SQLite sources and build tree go.
 *
 * The build then loads every dependency with the bundled runtime, so a package cut too far fails
 * the build, not a gateway.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

// Dependency edges the walk does not follow (see 1. above).
const buildOnly = (name: string): boolean => name === 'prebuild-install' || name.startsWith('@types/');

const DROP_DIRS = new Set(['test', 'tests', '__tests__', '.github', 'example', 'examples', 'benchmark', 'benchmarks', 'docs', '.bin']);
const DROP_FILE = /\.(md|markdown|d\.ts|d\.mts|d\.cts|map|tsbuildinfo)$/i;
const LICENCE = /^(licen[cs]e|copying|notice)/i;

/** Prunes `<appDir>/node_modules` as described above; returns the names of the packages removed. */
export function pruneModules(appDir: string): string[] {
  const modules = join(appDir, 'node_modules');
  const removed = removeUnreachable(appDir);
  rmSync(join(modules, '.package-lock.json'), { force: true });
  dropFiles(modules);
  slimBetterSqlite3(join(modules, 'better-sqlite3'));
  return removed;
}

function removeUnreachable(appDir: string): string[] {
  const lock = JSON.parse(readFileSync(join(appDir, 'node_modules', '.package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const packages = lock.packages;
  const root = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as LockEntry;
  const reached = new Set<string>();
  const queue: Array<[from: string, deps: string[]]> = [['', Object.keys(root.dependencies ?? {})]];
  while (queue.length > 0) {
    const [from, deps] = queue.pop()!;
    for (const dep of deps) {
      if (buildOnly(dep)) continue;
      const key = resolve(packages, from, dep);
      if (key === null || reached.has(key)) continue;
      reached.add(key);
      const entry = packages[key]!;
      queue.push([key, Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })]);
    }
  }
  const removed: string[] = [];
  for (const key of Object.keys(packages)) {
    if (key === '' || reached.has(key)) continue;
    rmSync(join(appDir, key), { recursive: true, force: true });
    // A scope directory (@types/) left empty goes too.
    const parent = dirname(join(appDir, key));
    if (basename(parent).startsWith('@') && readdirSync(parent).length === 0) rmSync(parent, { recursive: true });
    removed.push(key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));
  }
  return removed.sort();
}

/** Node's lookup: `<from>/node_modules/<dep>`, then each enclosing node_modules up to the root. */
function resolve(packages: Record<string, LockEntry>, from: string, dep: string): string | null {
  for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
    const key = (base === '' ? '' : base + '/') + 'node_modules/' + dep;
    if (key in packages) return key;
    if (base === '') return null; // an optional or peer dependency that is not installed
  }
}

function dropFiles(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (DROP_DIRS.has(entry.name)) rmSync(path, { recursive: true, force: true });
      else dropFiles(path);
    } else if (DROP_FILE.test(entry.name) && !LICENCE.test(entry.name)) {
      rmSync(path);
    }
  }
}

function slimBetterSqlite3(dir: string): void {
  if (!existsSync(dir)) throw new Error('better-sqlite3 is missing from the production dependencies');
  // build/ goes too: the addon is put in place afterwards, the only file under build/.
  const keep = new Set(['package.json', 'LICENSE', 'lib']);
  for (const name of readdirSync(dir)) if (!keep.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
}
