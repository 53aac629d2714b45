/**
 * A server program started by a test (redis-server, mariadbd, an exporter): its output kept for
 * failure messages, readiness polled, stopped by PID, and killed with the test process when a
 * failed or interrupted test never got to stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** A running program; `stop` ends it. */
export interface Daemon {
  readonly pid: number;
  /** Sends SIGTERM to its PID (SIGKILL after 15 s) and resolves once it has exited; idempotent. */
  stop(): Promise<void>;
}

/** What to start and how to tell it is ready. */
export interface DaemonOptions {
  /** Names it in messages. */
  name: string;
  bin: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the program serves; polled every 100 ms. */
  ready: () => Promise<boolean>;
  /** How long `ready` may take; 30 s unless told (mariadbd on a busy CI machine takes a few). */
  timeoutMs?: number;
}

// Children still running when the test process exits (a failed assertion, an interrupted run)
// are killed with it.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Kills `child` with SIGKILL if it is still running when the test process exits. */
export function killOnTestExit(child: ChildProcess): void {
  running.add(child);
  // 'close' also follows a failed spawn ('error'), so no child stays registered.
  child.once('close', () => running.delete(child));
}

/** Starts the program and resolves once `ready` says so; on a failed start it is killed and the error carries its log. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const child = spawn(options.bin, options.args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnTestExit(child);
  let output = '';
  const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-8192));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('close', () => {
    gone = true;
    resolve();
  }));
  // A missing binary (ENOENT) arrives here rather than as an exit.
  child.once('error', (error) => {
    output += `\ncannot run ${options.bin}: ${error.message}`;
    gone = true;
  });

  const stop = async (): Promise<void> => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (gone) throw new Error(`${options.name} exited while starting:\n${output}`);
    if (await options.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} was not ready within ${options.timeoutMs ?? 30_000} ms:\n${output}`);
    }
    await sleep(100);
  }
  return { pid: child.pid!, stop };
}

/** A `ready` check for an exporter: its metrics page answers 200. */
export function answers200(url: string): () => Promise<boolean> {
  return async () => {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.ok;
  };
}
