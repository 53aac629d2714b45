import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout (tests run from dist-test/test/...). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The deploy/ directory of the checkout. */
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');

/** A skip reason when `bin` is missing (with `hint`, e.g. how to install it, in parentheses), except under CI=true, where the test must fail. */
export function toolSkip(bin: string, hint?: string): string | false {
  if (existsSync(bin) || process.env.CI === 'true') return false;
  return hint === undefined ? `${bin} is not installed` : `${bin} is not installed (${hint})`;
}

/** The outcome of a finished command. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin args` to completion with stdin closed; never throws for a non-zero exit. */
export function run(bin: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Both streams of a result, for assertion messages. */
export function describeRun(result: RunResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}
