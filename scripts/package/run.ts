import { spawn } from 'node:child_process';

/** How to run one command of the build. */
export interface RunOptions {
  cwd?: string;
  /** The whole environment of the command (not merged with process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `command` and resolves with its standard output once it exits 0. Otherwise rejects with an
 * error that names the command and carries the end of its output: a failed compile is explained
 * by its last lines, and a build log of thousands of lines helps nobody.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let both = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      both += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (both += d.toString()));
    child.once('error', (error) => reject(new Error(`cannot run ${command}`, { cause: error })));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      const tail = both.trimEnd().split('\n').slice(-40).join('\n');
      const line = [command, ...args].map((a) => (a.length > 80 ? a.slice(0, 77) + '...' : a)).join(' ');
      reject(new Error(`${line} failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}

/** The environment minus npm's `npm_config_*` variables (nodedir, arch, target…), which node-gyp obeys. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith('npm_config_')) env[name] = value;
  }
  return { ...env, ...extra };
}
