/**
 * debugfs, the e2fsprogs tool that edits an ext4 filesystem without mounting it, driven by command
 * files. debugfs exits 0 whatever happens: a failing command prints an error on stderr and the
 * next command runs. So each batch is judged by what it printed: stderr must hold nothing but the
 * version banner, and stdout must echo every command (a debugfs that died half-way echoes fewer).
 */
import { writeFileSync } from 'node:fs';
import { run } from './tools.js';

/** Inode fields the build sets on everything it writes. */
export interface InodeFields {
  /** Permission bits (07777); the file type comes from how the inode was made. */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time, whole seconds since the epoch. */
  mtime: number;
}

const FILE_TYPE_BITS = { directory: 0o040000, regular: 0o100000, symlink: 0o120000 } as const;

/** The kinds of inode the build makes. */
export type InodeType = keyof typeof FILE_TYPE_BITS;

/**
 * Quotes a path for debugfs's command parser (libss): inside double quotes everything is literal
 * and `""` is one quote. A line break would end the command, so such a name is refused.
 */
function quote(path: string): string {
  if (/[\n\r\0]/.test(path)) throw new Error(`cannot write a name with a line break to the image: ${JSON.stringify(path)}`);
  return `"${path.replaceAll('"', '""')}"`;
}

/** Builders of the debugfs commands the build uses; paths are absolute in the filesystem. */
export const commands = {
  mkdir: (path: string): string => `mkdir ${quote(path)}`,
  /** Copies the host file `hostPath` into a new regular file `path`. */
  write: (hostPath: string, path: string): string => `write ${quote(hostPath)} ${quote(path)}`,
  symlink: (path: string, target: string): string => `symlink ${quote(path)} ${quote(target)}`,
  /** Sets mode (with the type bits of `type`), owner and mtime; the command writes the raw inode. */
  setFields(path: string, type: InodeType, fields: InodeFields): string[] {
    const p = quote(path);
    return [
      `set_inode_field ${p} mode 0${(FILE_TYPE_BITS[type] | fields.mode).toString(8)}`,
      `set_inode_field ${p} uid ${fields.uid}`,
      `set_inode_field ${p} gid ${fields.gid}`,
      `set_inode_field ${p} mtime @${fields.mtime}`,
    ];
  },
  stat: (path: string): string => `stat ${quote(path)}`,
  /** Copies the tree at `path` into the host directory `hostDir` (as hostDir/<basename>). */
  rdump: (path: string, hostDir: string): string => `rdump ${quote(path)} ${quote(hostDir)}`,
};

/** Options of {@link runDebugfs}. */
export interface DebugfsOptions {
  /** Open the filesystem for writing. */
  write?: boolean;
  /** What the batch does, for the error message ("writing /opt/outpost"). */
  what: string;
  /** stderr lines that are expected (e.g. "not found" while probing) and not failures. */
  tolerate?: RegExp;
}

const BANNER = /^debugfs \d+\.\d+(\.\d+)?(-\S+)? \(.*\)$/;
const ECHO = 'debugfs: ';

/**
 * Runs `lines` through `debugfs -f` on `device` (a file, or `image?offset=N` read-only) and returns
 * stdout split into one chunk per command, in order. Throws when debugfs printed any error or did
 * not run every command; the message quotes the first errors.
 */
export async function runDebugfs(device: string, commandFile: string, lines: readonly string[], options: DebugfsOptions): Promise<string[]> {
  writeFileSync(commandFile, lines.map((line) => line + '\n').join(''));
  const args = [...(options.write === true ? ['-w'] : []), '-f', commandFile, device];
  const { stdout, stderr } = await run('debugfs', args);
  const errors = stderr.split('\n').filter((line) => line.trim() !== '' && !BANNER.test(line) && !(options.tolerate?.test(line) ?? false));
  if (errors.length > 0) {
    const shown = errors.slice(0, 10).join('\n  ');
    const more = errors.length > 10 ? `\n  … and ${errors.length - 10} more lines` : '';
    throw new Error(`debugfs reported errors while ${options.what}:\n  ${shown}${more}`);
  }
  const chunks = stdout.split(new RegExp(`^${ECHO}`, 'm')).slice(1);
  if (chunks.length !== lines.length) {
    throw new Error(`debugfs stopped while ${options.what}: it ran ${chunks.length} of ${lines.length} commands\n${stderr}`);
  }
  return chunks.map((chunk) => chunk.slice(chunk.indexOf('\n') + 1));
}

/** What `stat` reports about an inode. */
export interface InodeStat extends InodeFields {
  type: string;
}

/** Reads the inodes at `paths`; a path that does not exist maps to undefined. */
export async function statPaths(device: string, commandFile: string, paths: readonly string[]): Promise<Map<string, InodeStat | undefined>> {
  const chunks = await runDebugfs(device, commandFile, paths.map(commands.stat), {
    what: 'reading inodes',
    tolerate: /File not found by ext2_lookup/,
  });
  return new Map(paths.map((path, i) => [path, parseStat(chunks[i]!)]));
}

/** Parses one `stat` output; undefined when it holds no inode (the path was not found). */
function parseStat(text: string): InodeStat | undefined {
  const head = /Type: (\S+)\s+Mode:\s+([0-7]+)/.exec(text);
  if (head === null) return undefined;
  const owner = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(text);
  const mtime = /^ ?mtime: 0x([0-9a-f]{8})(?::([0-9a-f]{8}))?/m.exec(text);
  if (owner === null || mtime === null) throw new Error(`cannot read debugfs stat output:\n${text}`);
  return {
    type: head[1]!,
    mode: parseInt(head[2]!, 8),
    uid: Number(owner[1]),
    gid: Number(owner[2]),
    mtime: inodeTime(mtime[1]!, mtime[2]),
  };
}

// ext4 keeps a signed 32-bit time and, in the extra field's low two bits, the epochs past 2038.
function inodeTime(low: string, extra: string | undefined): number {
  const epochs = extra === undefined ? 0 : parseInt(extra, 16) & 3;
  return (parseInt(low, 16) | 0) + epochs * 2 ** 32;
}
