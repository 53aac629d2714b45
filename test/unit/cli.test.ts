import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCli } from '../../src/cli.js';
import { VARIABLES } from '../../src/config/variables.js';
import { readVersion } from '../../src/lib/version.js';

// The compiled test lives at dist-test/test/unit/cli.test.js; the repository root is three levels up.
const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, env, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('no command means run the collector', () => {
  assert.equal(run([]).code, null);
});

test('--version prints the version of package.json', () => {
  assert.equal(readVersion(), packageJson.version);
  assert.deepEqual(run(['--version']), { code: 0, out: `outpost ${packageJson.version}`, err: '' });
});

test('--help prints the usage with every command', () => {
  const { code, out, err } = run(['--help']);
  assert.equal(code, 0);
  assert.equal(err, '');
  for (const word of ['usage: outpost', 'check-config', '--version']) assert.ok(out.includes(word), word);
});

test('--help lists every variable by group with its default', () => {
  const { out } = run(['--help']);
  for (const [name, info] of Object.entries(VARIABLES)) {
    assert.match(out, new RegExp(`^  ${name} +${(info.default === '' ? '(unset)' : info.default).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), name);
  }
  for (const group of ['Process:', 'Storage (the WAL):', 'Sending (Prometheus remote_write):', 'Inputs:']) assert.match(out, new RegExp(`^${group.replace(/[()]/g, '\\$&')}$`, 'm'));
});

test('an unknown command or extra argument prints the usage to stderr and exits 2', () => {
  for (const argv of [['serve'], ['--verbose'], ['check-config', 'extra']]) {
    const { code, out, err } = run(argv);
    assert.equal(code, 2, argv.join(' '));
    assert.equal(out, '');
    assert.match(err, /usage: outpost/);
  }
});

test('check-config prints the effective config with secrets redacted and exits 0', () => {
  const { code, out, err } = run(['check-config'], {
    OUTPOST_REMOTE_WRITE_URL: 'https://gw:url-pass@prom.example/api/v1/write',
    OUTPOST_REMOTE_WRITE_BEARER_TOKEN: 'tok-secret',
    OUTPOST_WAL_RETENTION: '48h',
  });
  assert.equal(code, 0);
  assert.equal(err, '');
  assert.ok(!out.includes('url-pass') && !out.includes('tok-secret'), out);
  const printed = JSON.parse(out) as { wal: { retentionMs: number }; remoteWrite: { urls: string[]; auth: object } };
  assert.equal(printed.wal.retentionMs, 48 * 3_600_000);
  assert.deepEqual(printed.remoteWrite.urls, ['https://<redacted>@prom.example/api/v1/write']);
  assert.deepEqual(printed.remoteWrite.auth, { kind: 'bearer', token: '<redacted>' });
});

test('check-config reports every bad variable on stderr and exits 1', () => {
  const { code, out, err } = run(['check-config'], { OUTPOST_WAL_RETENTION: 'abc', OUTPOST_REMOTE_WRITE_URL: 'ftp://x' });
  assert.equal(code, 1);
  assert.equal(out, '');
  assert.match(err, /^OUTPOST_WAL_RETENTION: not a duration.*\(got "abc"\); example: OUTPOST_WAL_RETENTION=48h$/m);
  assert.match(err, /^OUTPOST_REMOTE_WRITE_URL: .*scheme ftp is not supported.*example: OUTPOST_REMOTE_WRITE_URL=https:/m);
});

test('check-config warns about unknown variables, also when the config is bad', () => {
  const good = run(['check-config'], { OUTPOST_WAL_RETENTON: '48h' });
  assert.equal(good.code, 0);
  assert.match(good.err, /warning: OUTPOST_WAL_RETENTON .*did you mean OUTPOST_WAL_RETENTION\?/);
  const bad = run(['check-config'], { OUTPOST_REMOTE_WRITE_USERNAME: 'gw', OUTPOST_REMOTE_WRITE_PASSWROD: 'pw' });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /warning: OUTPOST_REMOTE_WRITE_PASSWROD .*did you mean OUTPOST_REMOTE_WRITE_PASSWORD\?/);
  assert.ok(!bad.err.includes('pw\n') && !bad.err.endsWith('pw'));
});
