/**
 * The disk tools the image build drives, found and run. Every run goes to completion in the C
 * locale (callers read the tools' English messages) with stdin closed unless given; a failure
 * throws an Error naming the command and carrying what it printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { which } from '../lib/which.js';

/** The tools of a build, with the Debian package that has each. */
export const TOOLS = {
  sfdisk: 'fdisk',
  e2fsck: 'e2fsprogs',
  resize2fs: 'e2fsprogs',
  debugfs: 'e2fsprogs',
  dumpe2fs: 'e2fsprogs',
  mcopy: 'mtools',
  mdir: 'mtools',
  mtype: 'mtools',
  xz: 'xz-utils',
  tar: 'tar',
  dd: 'coreutils',
} as const;

/**
 * The further tools of the Debian stand-in base (debian-base.ts, run as root), with their packages;
 * the image build itself does not need them.
 */
export const BASE_TOOLS = {
  debootstrap: 'debootstrap',
  chroot: 'coreutils',
  du: 'coreutils',
  mount: 'mount',
  umount: 'mount',
  'mkfs.ext4': 'e2fsprogs',
  mformat: 'mtools',
} as const;

/** A tool of {@link TOOLS} or {@link BASE_TOOLS}. */
export type Tool = keyof typeof TOOLS | keyof typeof BASE_TOOLS;

const PACKAGES: Record<Tool, string> = { ...TOOLS, ...BASE_TOOLS };

// e2fsprogs and sfdisk live in /usr/sbin, which is not on an ordinary Debian user's PATH.
const SBIN = ['/usr/sbin', '/sbin'];

/** The absolute path of `name` on PATH or in /usr/sbin, /sbin; undefined when it is nowhere. */
export function findTool(name: string): string | undefined {
  return which(name, SBIN) ?? undefined;
}

/** Throws one Error listing every missing tool of `names` and the packages that provide them. */
export function requireTools(names: readonly Tool[]): void {
  const missing = names.filter((name) => findTool(name) === undefined);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((name) => PACKAGES[name]))].join(' ');
  throw new Error(`missing tools: ${missing.join(', ')}; on Debian: sudo apt-get install ${packages}`);
}

const ENV = {
  ...process.env,
  LC_ALL: 'C',
  // debugfs would page `stat` output when run from a terminal.
  DEBUGFS_PAGER: '__none__',
  // A user's ~/.mtoolsrc must not change how the image is read; the geometry check would reject
  // partitions whose size is not a whole number of the BIOS cylinders nobody uses any more.
  MTOOLSRC: '/dev/null',
  MTOOLS_SKIP_CHECK: '1',
};

/** What a finished command printed. */
export interface Output {
  /** The exit code; -1 when a signal ended the tool. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Exit codes that are not failures (default: 0 only). */
  okCodes?: readonly number[];
  /** Write stdout into this file instead of collecting it. */
  stdoutFile?: string;
  /** Text for the tool's stdin (default: none, stdin closed). */
  input?: string;
}

const running = new Set<ChildProcess>();
let interrupted = false;

/**
 * Ends the tools running now and makes every later {@link run} fail, so that a build stopped with
 * Ctrl-C fails like any other and its cleanup removes the scratch copy of the image.
 */
export function interruptTools(): void {
  interrupted = true;
  for (const child of running) child.kill('SIGTERM');
}

/**
 * Runs `tool args` to completion. Resolves with its output when the exit code is in `okCodes`;
 * otherwise rejects with an Error naming the command, the exit code and everything it printed.
 */
export async function run(tool: Tool, args: readonly string[], options: RunOptions = {}): Promise<Output> {
  if (interrupted) throw new Error('interrupted');
  const bin = findTool(tool);
  if (bin === undefined) requireTools([tool]);
  const fd = options.stdoutFile === undefined ? undefined : openSync(options.stdoutFile, 'w');
  try {
    const output = await new Promise<Output>((resolve, reject) => {
      const stdin = options.input === undefined ? 'ignore' : 'pipe';
      const child = spawn(bin!, args, { env: ENV, stdio: [stdin, fd ?? 'pipe', 'pipe'] });
      running.add(child);
      child.stdin?.end(options.input);
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', (error) => reject(new Error(`cannot run ${bin}`, { cause: error })));
      child.once('close', (code) => {
        running.delete(child);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
    if (interrupted) throw new Error('interrupted');
    if ((options.okCodes ?? [0]).includes(output.code)) return output;
    throw new Error(`${tool} ${args.join(' ')} failed with exit code ${output.code}:\n${(output.stderr + output.stdout).trim()}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
