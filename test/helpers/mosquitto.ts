/**
 * A real Debian mosquitto on 127.0.0.1 for integration tests and benchmarks: port chosen at run
 * time, config and persistence in a directory of the caller's, killed by PID. Persistence is on,
 * so stopping it with SIGTERM (which saves the database) and starting it again keeps persistent
 * sessions with their queued QoS 1 messages.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { killOnTestExit } from './daemon.js';
import { toolSkip } from './deploy.js';
import { freePort } from './outpost-process.js';

const execFileAsync = promisify(execFile);

/** The broker binary (Debian's path; MOSQUITTO overrides). */
export const MOSQUITTO_BIN = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';

/** The publishing client {@link mosquittoPub} runs (Debian's path; MOSQUITTO_PUB overrides). */
export const MOSQUITTO_PUB_BIN = process.env.MOSQUITTO_PUB ?? '/usr/bin/mosquitto_pub';

/** The password file tool (Debian's path, in package mosquitto; MOSQUITTO_PASSWD overrides). */
export const MOSQUITTO_PASSWD_BIN = process.env.MOSQUITTO_PASSWD ?? '/usr/bin/mosquitto_passwd';

/**
 * The `skip` option for tests that need mosquitto: a reason when the broker or mosquitto_pub is
 * missing, except under CI=true, where a missing tool must fail the test rather than hide it.
 */
export function mosquittoSkip(): string | false {
  return toolSkip(MOSQUITTO_BIN, 'apt-get install mosquitto') || toolSkip(MOSQUITTO_PUB_BIN, 'apt-get install mosquitto-clients');
}

/** Settings of one broker. `extraConfig` lines are appended to the generated mosquitto.conf. */
export interface MosquittoOptions {
  dataDir: string;
  port?: number;
  extraConfig?: string[];
  /** Replaces the default plain `listener <port> 127.0.0.1` + anonymous access (e.g. for TLS). */
  listenerConfig?: (port: number) => string[];
}

/** A running (or stopped) broker; `start()` again reuses its port, config and persistence. */
export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly pid: number | undefined;
  /** Everything the broker logged so far (for failure messages). */
  log(): string;
  /** Stops the broker by PID (SIGTERM saves persistence; SIGKILL does not) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again after `stop()`, on the same port with the same config and persistence dir. */
  start(): Promise<void>;
}

/** Starts a broker and resolves once it accepts connections. */
export async function startMosquitto(options: MosquittoOptions): Promise<Mosquitto> {
  const port = options.port ?? (await freePort());
  const conf = join(options.dataDir, 'mosquitto.conf');
  const listener = options.listenerConfig?.(port) ?? [`listener ${port} 127.0.0.1`, 'allow_anonymous true'];
  writeFileSync(conf, [
    ...listener,
    'persistence true',
    `persistence_location ${options.dataDir}/`,
    // As root, mosquitto would switch to user "mosquitto", who cannot write the temp dir.
    `user ${userInfo().username}`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    ...(options.extraConfig ?? []),
    '',
  ].join('\n'));

  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  async function start(): Promise<void> {
    if (child !== null) throw new Error('mosquitto is already running');
    const proc = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // Killed with the test process if still running, so no broker outlives its test file.
    killOnTestExit(proc);
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let gone = false;
    exited = new Promise((resolve) => proc.once('close', () => {
      gone = true;
      if (child === proc) child = null;
      resolve();
    }));
    proc.once('error', (error) => (output += `spawn error: ${error.message}\n`));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (gone) throw new Error(`mosquitto exited at start:\n${output}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`mosquitto did not listen on ${port} within 10 s:\n${output}`);
      }
      await sleep(20);
    }
  }

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dataDir: options.dataDir,
    get pid() {
      return child?.pid;
    },
    log: () => output,
    async stop(signal = 'SIGTERM') {
      if (child === null) return;
      child.kill(signal);
      await exited;
    },
    start,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Publishes one message with `mosquitto_pub` (QoS 1 unless told), resolving once it exits. */
export async function mosquittoPub(port: number, topic: string, payload: string, qos: 0 | 1 | 2 = 1): Promise<void> {
  await execFileAsync(MOSQUITTO_PUB_BIN, ['-h', '127.0.0.1', '-p', String(port), '-q', String(qos), '-t', topic, '-m', payload]);
}
