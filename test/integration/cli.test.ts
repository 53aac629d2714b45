import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The compiled test lives at dist-test/test/integration/cli.test.js; the repository root is three levels up.
const root = new URL('../../../', import.meta.url);
const main = fileURLToPath(new URL('dist/main.js', root));
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };

/** Runs `node dist/main.js ...args` with the test's environment minus every OUTPOST_* variable, plus `env`. */
function outpost(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OUTPOST_')));
  return spawnSync(process.execPath, [main, ...args], { env: { ...base, ...env }, encoding: 'utf8', timeout: 30_000 });
}

test('outpost check-config exits 1 naming every bad variable', () => {
  const result = outpost(['check-config'], { OUTPOST_WAL_RETENTION: 'abc', OUTPOST_REMOTE_WRITE_URL: 'ftp://x' });
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, /OUTPOST_WAL_RETENTION/);
  assert.match(result.stderr, /OUTPOST_REMOTE_WRITE_URL/);
});

test('outpost check-config exits 0 with a valid environment and prints JSON', () => {
  const result = outpost(['check-config'], { OUTPOST_WAL_RETENTION: '48h' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal((JSON.parse(result.stdout) as { wal: { retentionMs: number } }).wal.retentionMs, 48 * 3_600_000);
});

test('outpost --version exits 0 printing the version', () => {
  const result = outpost(['--version']);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), `outpost ${version}`);
});
