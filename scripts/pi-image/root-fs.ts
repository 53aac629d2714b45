/**
 * What the root filesystem receives, written with debugfs and then read back:
 *
 *   /opt/outpost/**                        the bundle; owner root, its modes and mtimes kept
 *   /etc/systemd/system/outpost.service    the bundle's deploy/outpost.service
 *   /etc/systemd/system/<target>.wants/outpost.service → /etc/systemd/system/outpost.service
 *                                          what `systemctl enable` makes, one per WantedBy= target
 *   /usr/lib/sysusers.d/outpost.conf       the bundle's deploy/outpost.sysusers
 *
 * and /usr's mtime set to the build time: systemd-sysusers.service runs at boot only while /usr
 * is newer than /etc/.updated (ConditionNeedsUpdate=/etc), which is why package managers touch
 * /usr after installing a sysusers.d file; so the outpost user exists before the service starts.
 * Missing parent directories are made (root, 0755); anything the build would write that the base
 * already has is refused, so the build never half-overwrites an earlier installation.
 */
import { mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { posix, join } from 'node:path';
import type { Bundle, BundleEntry } from './bundle.js';
import { commands, runDebugfs, statPaths, type InodeFields, type InodeType } from './debugfs.js';
import { checkExt4 } from './ext4.js';

/** Where the bundle goes; the unit's ExecStart= points here. */
const INSTALL_DIR = '/opt/outpost';
const UNIT = '/etc/systemd/system/outpost.service';
const SYSUSERS = '/usr/lib/sysusers.d/outpost.conf';

/** One inode the build makes and later expects to find. */
interface Planned {
  path: string;
  type: InodeType;
  fields: InodeFields;
  /** Host file with the content of a regular file. */
  source?: string;
  target?: string;
}

/** Counts of what was written. */
export interface RootSummary {
  directories: number;
  files: number;
  symlinks: number;
}

/**
 * Writes the bundle, unit, enable links and sysusers entry into the ext4 filesystem in the file
 * `device`, then proves it: e2fsck -fn clean, every inode's type, mode, owner and mtime as
 * planned, every file's bytes and every link's target equal to the bundle's. `scratch` is an empty
 * directory for command files and the read-back copy. Throws on the first failed step.
 */
export async function installOnRoot(device: string, bundle: Bundle, scratch: string, now: number): Promise<RootSummary> {
  const script = join(scratch, 'commands.debugfs');
  const unitText = readFileSync(join(bundle.root, 'deploy/outpost.service'), 'utf8');
  const root = (mode: number, mtime = now): InodeFields => ({ mode, uid: 0, gid: 0, mtime });
  const tree = bundle.entries.map((e) => plannedEntry(e, root(e.mode, e.mtime)));
  const system: Planned[] = [
    fromBundle(bundle, 'deploy/outpost.service', UNIT),
    fromBundle(bundle, 'deploy/outpost.sysusers', SYSUSERS),
    ...wantedBy(unitText).map((target): Planned => ({
      path: `/etc/systemd/system/${target}.wants/outpost.service`,
      type: 'symlink',
      fields: root(0o777),
      target: UNIT,
    })),
  ];

  const parents = await missingParents(device, script, [...tree, ...system].map((p) => p.path));
  const made = parents.map((path): Planned => ({ path, type: 'directory', fields: root(0o755) }));
  await runDebugfs(device, script, [...made, ...tree].flatMap(create), { write: true, what: `writing ${INSTALL_DIR}` });
  await runDebugfs(device, script, [
    ...system.flatMap(create),
    // After every write, as writes stamp their directory's mtime.
    ...[...made, ...tree, ...system].flatMap((p) => commands.setFields(p.path, p.type, p.fields)),
    `set_inode_field /usr mtime @${now}`,
  ], { write: true, what: 'installing the unit and the service user, setting owners and modes' });

  await checkExt4(device);
  await verify(device, script, scratch, [...made, ...tree, ...system], now);
  return {
    directories: tree.filter((p) => p.type === 'directory').length,
    files: tree.filter((p) => p.type === 'regular').length,
    symlinks: tree.filter((p) => p.type === 'symlink').length,
  };
}

function plannedEntry(entry: BundleEntry, fields: InodeFields): Planned {
  const path = entry.path === '' ? INSTALL_DIR : `${INSTALL_DIR}/${entry.path}`;
  return { path, type: entry.type, fields, source: entry.hostPath, ...(entry.target === undefined ? {} : { target: entry.target }) };
}

function fromBundle(bundle: Bundle, file: string, path: string): Planned {
  const entry = bundle.entries.find((e) => e.path === file)!;
  return { path, type: 'regular', fields: { mode: 0o644, uid: 0, gid: 0, mtime: entry.mtime }, source: entry.hostPath };
}

/** The targets of the [Install] section's WantedBy= lines; throws when there are none. */
function wantedBy(unitText: string): string[] {
  let section = '';
  const targets: string[] = [];
  for (const raw of unitText.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) section = line;
    const match = /^WantedBy\s*=(.*)$/.exec(line);
    if (section === '[Install]' && match !== null) targets.push(...match[1]!.trim().split(/\s+/).filter((t) => t !== ''));
  }
  if (targets.length === 0) throw new Error('outpost.service has no WantedBy= in [Install]: it cannot be enabled');
  return targets;
}

function create(p: Planned): string[] {
  switch (p.type) {
    case 'directory':
      return [commands.mkdir(p.path)];
    case 'regular':
      return [commands.write(p.source!, p.path)];
    case 'symlink':
      return [commands.symlink(p.path, p.target!)];
  }
}

/**
 * Probes the base: throws when one of `paths` exists already or a parent is not a directory, and
 * returns the parent directories to make, outermost first.
 */
async function missingParents(device: string, script: string, paths: readonly string[]): Promise<string[]> {
  const planned = new Set(paths);
  const parents = new Set<string>();
  for (const path of paths) {
    for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) if (!planned.has(dir)) parents.add(dir);
  }
  const roots = paths.filter((p) => !planned.has(posix.dirname(p)));
  const found = await statPaths(device, script, [...roots, ...parents]);
  const present = roots.filter((p) => found.get(p) !== undefined);
  if (present.length > 0) {
    throw new Error(`the base image already has ${present.join(', ')}: start from an unmodified Raspberry Pi OS image`);
  }
  const notDirs = [...parents].filter((p) => found.get(p) !== undefined && found.get(p)!.type !== 'directory');
  if (notDirs.length > 0) throw new Error(`the base image has ${notDirs.join(', ')} but not as a directory`);
  return [...parents].filter((p) => found.get(p) === undefined).sort((a, b) => a.split('/').length - b.split('/').length);
}

async function verify(device: string, script: string, scratch: string, planned: readonly Planned[], now: number): Promise<void> {
  const problems: string[] = [];
  const found = await statPaths(device, script, [...planned.map((p) => p.path), '/usr']);
  for (const p of planned) {
    const inode = found.get(p.path);
    const want = describeInode(p.type, p.fields);
    const got = inode === undefined ? 'nothing' : describeInode(inode.type, inode);
    if (got !== want) problems.push(`${p.path}: expected ${want}, found ${got}`);
  }
  if ((found.get('/usr')?.mtime ?? 0) < now) problems.push('/usr: mtime not updated');

  // rdump copies each outermost planned path, with all it holds, into a directory of its own
  // (the unit and its enable link share a name).
  const tops = planned.filter((p) => !planned.some((q) => q.type === 'directory' && p.path.startsWith(q.path + '/')));
  const readback = (i: number): string => join(scratch, 'readback', String(i));
  tops.forEach((_, i) => mkdirSync(readback(i), { recursive: true }));
  await runDebugfs(device, script, tops.map((p, i) => commands.rdump(p.path, readback(i))), {
    what: 'reading the files back',
    // Not root: rdump cannot give its copies to uid 0; their owners are not what is compared.
    ...(process.getuid?.() === 0 ? {} : { tolerate: /while changing ownership of/ }),
  });
  for (const p of planned) {
    const i = tops.findIndex((t) => p.path === t.path || p.path.startsWith(t.path + '/'));
    const copy = join(readback(i), posix.basename(tops[i]!.path), posix.relative(tops[i]!.path, p.path));
    if (p.type === 'regular' && !readFileSync(copy).equals(readFileSync(p.source!))) problems.push(`${p.path}: content differs`);
    if (p.type === 'symlink' && readlinkSync(copy) !== p.target) problems.push(`${p.path}: links to ${readlinkSync(copy)}`);
  }
  if (problems.length > 0) {
    throw new Error(`the root filesystem does not hold what was written (${problems.length} problems):\n  ${problems.slice(0, 10).join('\n  ')}`);
  }
}

function describeInode(type: string, fields: InodeFields): string {
  return `${type} 0${fields.mode.toString(8)} ${fields.uid}:${fields.gid} mtime ${fields.mtime}`;
}
