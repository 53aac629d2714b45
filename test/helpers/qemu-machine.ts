/**
 * A whole emulated arm64 machine for the Pi image tests: qemu-system-aarch64's `virt` board with
 * a Cortex-A53 and a Pi Zero 2 W's 512 MiB, no KVM, the image as its only disk. Like the Pi's
 * firmware, the runner takes kernel8.img, initramfs8 and cmdline.txt from the image's FAT boot
 * partition (re-read at every power-on).
 *
 * Outside access is user-mode networking only, restricted to the host's loopback: `hostfwd` maps
 * 127.0.0.1 ports to guest ports, `guestfwd` maps guest connections to 10.0.2.100:<port> to
 * `socat` connected to 127.0.0.1:<port> on the host (one per connection); `restrict=on` cuts
 * everything else off. A root shell on a virtio serial port (started by `systemd.run=` on the kernel
 * command line, so the image itself stays as built) runs the tests' commands; QMP reports the
 * disk's block statistics. The console goes to a log file that is kept.
 *
 * The disk uses `cache=none`: the guest's writes go to the image file with O_DIRECT, and its
 * flushes are passed on. A power cut is SIGKILL of qemu: what the guest kernel had not yet written
 * (its page cache, unflushed journal) is lost, what it had written is on the "card".
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killOnTestExit } from './daemon.js';
import { toolSkip } from './deploy.js';
import { tool } from './disk-image.js';

/** Debian's qemu-system-aarch64 (package qemu-system-arm). */
export const QEMU_SYSTEM_AARCH64 = process.env.QEMU_SYSTEM_AARCH64 ?? '/usr/bin/qemu-system-aarch64';
/** The relay guestfwd runs per connection. */
export const SOCAT = process.env.SOCAT ?? '/usr/bin/socat';

/** A skip reason when qemu-system-aarch64 or socat is missing, except under CI=true. */
export function qemuSkip(): string | false {
  return toolSkip(QEMU_SYSTEM_AARCH64, 'Debian: qemu-system-arm') || toolSkip(SOCAT, 'Debian: socat');
}

/** What the Pi's firmware loads from the boot partition. */
export interface BootFiles {
  kernel: string;
  initrd: string;
  cmdline: string;
}

/** Copies kernel8.img and initramfs8 out of the FAT partition at `bootOffset` into `dir` and reads cmdline.txt. */
export function readBootFiles(image: string, bootOffset: number, dir: string): BootFiles {
  mkdirSync(dir, { recursive: true });
  const drive = `${image}@@${bootOffset}`;
  const kernel = join(dir, 'kernel8.img');
  const initrd = join(dir, 'initramfs8');
  tool('mcopy', ['-o', '-n', '-i', drive, '::kernel8.img', kernel]);
  tool('mcopy', ['-o', '-n', '-i', drive, '::initramfs8', initrd]);
  const cmdline = tool('mtype', ['-i', drive, '::cmdline.txt']).toString().trim();
  return { kernel, initrd, cmdline };
}

/** One guest port reachable from the host at 127.0.0.1:hostPort. */
export interface HostForward { hostPort: number; guestPort: number }
/** Guest connections to 10.0.2.100:guestPort go to 127.0.0.1:hostPort on the host. */
export interface GuestForward { guestPort: number; hostPort: number }

/** The address guestfwd answers on inside the guest. */
export const GUEST_FORWARD_IP = '10.0.2.100';

/** How to start a machine. */
export interface MachineOptions {
  image: string;
  boot: BootFiles;
  /** Directory for the console log and sockets (kept; the log is `<dir>/<name>-console.log`). */
  dir: string;
  /** Names this power-on in file names and messages. */
  name: string;
  hostForwards?: readonly HostForward[];
  guestForwards?: readonly GuestForward[];
  /** Added to cmdline.txt (e.g. `systemd.mask=` for a measurement). */
  extraCmdline?: string;
  memoryMiB?: number;
  cpus?: number;
}

/** Block statistics of the disk (QMP query-blockstats). */
export interface BlockStats {
  wrBytes: number;
  wrOperations: number;
  flushOperations: number;
  rdBytes: number;
}

/** A running machine. */
export interface Machine {
  readonly pid: number;
  /** Date.now() when qemu was started: the power-on. */
  readonly poweredOnAt: number;
  readonly consoleLog: string;
  /** The console so far. */
  console(): string;
  /** Resolves once the root shell answers; rejects after `timeoutMs`. */
  waitForShell(timeoutMs: number): Promise<void>;
  /** Runs `command` with /bin/sh as root in the guest; resolves with its exit code and output (stdout and stderr). */
  shell(command: string, timeoutMs?: number): Promise<{ code: number; output: string }>;
  blockStats(): Promise<BlockStats>;
  /** SIGKILL to qemu: the power cut. Resolves once it has exited; idempotent. */
  powerCut(): Promise<void>;
  /** Resolves when qemu has exited, for whatever reason. */
  readonly exited: Promise<void>;
}

// The root shell, from the kernel command line. systemd.run= makes a oneshot service and makes
// its target the default target, so the first command starts multi-user.target as the image's own
// default would; the second starts the shell as a service of its own (the oneshot then ends), which
// waits for the virtio port udev names after the port's name and runs sh on it, opened once for
// reading and writing (a port allows one open).
const SHELL_PORT = 'outpost.test.shell';
const SHELL_CMDLINE = [
  // Without these the machine powers off once the oneshot is done.
  'systemd.run_success_action=none', 'systemd.run_failure_action=none',
  'systemd.run="systemctl --no-block start multi-user.target"',
  `systemd.run="systemd-run --unit=outpost-test-shell -p Restart=always /bin/sh -c 'while [ ! -e /dev/virtio-ports/${SHELL_PORT} ]; do sleep 0.2; done; exec sh 0<>/dev/virtio-ports/${SHELL_PORT} 1>&0 2>&0'"`,
].join(' ');

/** Powers on a machine with `options`; resolves once qemu runs (not once the guest has booted). */
export async function startMachine(options: MachineOptions): Promise<Machine> {
  mkdirSync(options.dir, { recursive: true });
  const consoleLog = join(options.dir, `${options.name}-console.log`);
  const shellSock = join(options.dir, `${options.name}-shell.sock`);
  const qmpSock = join(options.dir, `${options.name}-qmp.sock`);
  const forwards = [
    ...(options.hostForwards ?? []).map((f) => `hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`),
    ...(options.guestForwards ?? []).map((f) => `guestfwd=tcp:${GUEST_FORWARD_IP}:${f.guestPort}-cmd:${SOCAT} STDIO TCP:127.0.0.1:${f.hostPort}`),
  ];
  const args = [
    '-M', 'virt', '-cpu', 'cortex-a53', '-smp', String(options.cpus ?? 2), '-m', String(options.memoryMiB ?? 512),
    '-nodefaults', '-no-user-config', '-display', 'none',
    '-kernel', options.boot.kernel, '-initrd', options.boot.initrd,
    '-append', `${options.boot.cmdline} ${SHELL_CMDLINE}${options.extraCmdline === undefined ? '' : ' ' + options.extraCmdline}`,
    '-drive', `file=${options.image},format=raw,if=none,id=sd,cache=none`,
    '-device', 'virtio-blk-device,drive=sd',
    '-netdev', ['user', 'id=net', 'restrict=on', ...forwards].join(','),
    '-device', 'virtio-net-device,netdev=net',
    '-chardev', `socket,id=shell,path=${shellSock},server=on,wait=off`,
    '-device', 'virtio-serial-device',
    '-device', `virtserialport,chardev=shell,name=${SHELL_PORT}`,
    '-serial', `file:${consoleLog}`,
    '-qmp', `unix:${qmpSock},server=on,wait=off`,
    '-rtc', 'base=utc',
  ];
  const poweredOnAt = Date.now();
  const child = spawn(QEMU_SYSTEM_AARCH64, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnTestExit(child);
  let qemuOutput = '';
  child.stdout!.on('data', (d: Buffer) => (qemuOutput += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (qemuOutput += d.toString()));
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('close', () => {
    gone = true;
    resolve();
  }));
  child.once('error', (error) => (qemuOutput += `cannot run ${QEMU_SYSTEM_AARCH64}: ${error.message}\n`));

  const readConsole = (): string => {
    try {
      return readFileSync(consoleLog, 'latin1');
    } catch {
      return '';
    }
  };
  const describeExit = (): string => `qemu exited: ${qemuOutput.trim() || '(no output)'}`;

  // The sockets appear once qemu has set its devices up.
  const socketDeadline = Date.now() + 15_000;
  let shellSocket: Socket | undefined;
  for (;;) {
    if (gone) throw new Error(describeExit());
    shellSocket = await connectUnix(shellSock).catch(() => undefined);
    if (shellSocket !== undefined) break;
    if (Date.now() > socketDeadline) {
      child.kill('SIGKILL');
      throw new Error(`qemu did not open ${shellSock} within 15 s: ${qemuOutput}`);
    }
    await sleep(100);
  }
  const shell = createShell(shellSocket, () => gone, describeExit);

  return {
    pid: child.pid!,
    poweredOnAt,
    consoleLog,
    console: readConsole,
    waitForShell: shell.waitForReady,
    shell: shell.run,
    async blockStats() {
      const reply = await qmp(qmpSock, 'query-blockstats') as Array<{ device: string; stats: Record<string, number> }>;
      const disk = reply.find((d) => d.device === 'sd');
      if (disk === undefined) throw new Error(`query-blockstats has no device sd: ${JSON.stringify(reply)}`);
      return { wrBytes: disk.stats.wr_bytes!, wrOperations: disk.stats.wr_operations!, flushOperations: disk.stats.flush_operations!, rdBytes: disk.stats.rd_bytes! };
    },
    async powerCut() {
      if (!gone) child.kill('SIGKILL');
      await exited;
      shellSocket?.destroy();
    },
    exited,
  };
}

function connectUnix(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

interface Shell {
  waitForReady(timeoutMs: number): Promise<void>;
  run(command: string, timeoutMs?: number): Promise<{ code: number; output: string }>;
}

/**
 * The host end of the guest's root shell. Each command is framed by unique start and end markers
 * (the end one carrying the exit code), so output of earlier commands never mixes in; commands run
 * one at a time. What the host writes before the guest opens the port waits in the socket.
 */
function createShell(socket: Socket, gone: () => boolean, describeExit: () => string): Shell {
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => undefined);
  let counter = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const waitFor = async (pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(received);
      if (match !== null) return match;
      if (gone()) throw new Error(`${what}: ${describeExit()}`);
      if (Date.now() > deadline) throw new Error(`${what}: no answer within ${timeoutMs} ms`);
      await sleep(50);
    }
  };

  return {
    async waitForReady(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const token = `__ready_${process.pid}__`;
      // Probes queue up until the guest opens the port; each that runs answers.
      for (;;) {
        socket.write(`echo ${token}\n`);
        const found = await waitFor(new RegExp(token), 2_000, 'guest shell').then(() => true, (error: Error) => {
          if (gone() || Date.now() > deadline) throw new Error(`the guest's root shell did not answer within ${timeoutMs} ms (${error.message})`);
          return false;
        });
        if (found) return;
      }
    },
    run(command, timeoutMs = 60_000) {
      const id = `${process.pid}_${++counter}`;
      const task = queue.then(async () => {
        socket.write(`echo __start_${id}__; { ${command}\n} 2>&1; echo __end_${id}_$?__\n`);
        const match = await waitFor(new RegExp(`__start_${id}__\\n([\\s\\S]*?)__end_${id}_(\\d+)__`), timeoutMs, `guest command ${JSON.stringify(command)}`);
        return { code: Number(match[2]), output: match[1]! };
      });
      queue = task.catch(() => undefined);
      return task;
    },
  };
}

/** One QMP command on a fresh connection; resolves with its `return`. */
async function qmp(path: string, command: string): Promise<unknown> {
  const socket = await connectUnix(path);
  try {
    let buffer = '';
    const lines: unknown[] = [];
    socket.setEncoding('utf8');
    const next = (): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
      const take = (): boolean => {
        const end = buffer.indexOf('\n');
        if (end < 0) return false;
        const line = JSON.parse(buffer.slice(0, end)) as Record<string, unknown>;
        buffer = buffer.slice(end + 1);
        lines.push(line);
        // Asynchronous events interleave with replies.
        if ('event' in line) return take();
        resolve(line);
        return true;
      };
      if (take()) return;
      const onData = (d: string): void => {
        buffer += d;
        if (take()) socket.removeListener('data', onData);
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`QMP closed: ${JSON.stringify(lines)}`)));
    });
    await next(); // greeting
    socket.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
    await next();
    socket.write(JSON.stringify({ execute: command }) + '\n');
    const reply = await next();
    if (!('return' in reply)) throw new Error(`QMP ${command}: ${JSON.stringify(reply)}`);
    return reply.return;
  } finally {
    socket.destroy();
  }
}
