import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LAUNCHER = join(process.cwd(), 'scripts', 'package', 'launcher.sh');

/**
 * Runs the launcher in a bundle-shaped directory whose `node/bin/node` records its arguments
 * instead of running anything; returns those arguments.
 */
function nodeArgs(memoryLimit: string | undefined): string[] {
  const root = mkdtempSync(join(tmpdir(), 'outpost-launcher-'));
  try {
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'node', 'bin'), { recursive: true });
    mkdirSync(join(root, 'app', 'dist'), { recursive: true });
    writeFileSync(join(root, 'app', 'dist', 'main.js'), '');
    copyFileSync(LAUNCHER, join(root, 'bin', 'outpost'));
    const node = join(root, 'node', 'bin', 'node');
    writeFileSync(node, `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(root, 'args')}"\n`);
    chmodSync(node, 0o755);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    if (memoryLimit !== undefined) env.OUTPOST_MEMORY_LIMIT = memoryLimit;
    execFileSync('sh', [join(root, 'bin', 'outpost'), 'check-config'], { env });
    return readFileSync(join(root, 'args'), 'utf8').trim().split('\n').map((a) => a.replace(root, '<root>'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the launcher runs the bundle app on the bundle runtime with a 2 MiB young generation by default', () => {
  assert.deepEqual(nodeArgs(undefined), ['--single-threaded-gc', '--max-semi-space-size=2', '<root>/app/dist/main.js', 'check-config']);
});

test('the launcher caps the heap at half of OUTPOST_MEMORY_LIMIT in any unit Outpost reads', () => {
  for (const [limit, old] of [['96MiB', 48], ['1GiB', 512], ['128MB', 61], ['100663296', 48]] as const) {
    assert.deepEqual(nodeArgs(limit), ['--single-threaded-gc', '--max-semi-space-size=1', `--max-old-space-size=${old}`, '<root>/app/dist/main.js', 'check-config'], limit);
  }
});

test('the launcher leaves a limit it cannot read, or one too small, to Outpost to report', () => {
  for (const limit of ['lots', '1.5GiB', '12MiB', 'MiB']) {
    assert.deepEqual(nodeArgs(limit), ['--single-threaded-gc', '--max-semi-space-size=2', '<root>/app/dist/main.js', 'check-config'], limit);
  }
});
