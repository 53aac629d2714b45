import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY_DIR, describeRun, run, toolSkip } from '../helpers/deploy.js';
import { tempDir } from '../helpers/temp-dir.js';

const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const SYSTEMD_SYSUSERS = '/usr/bin/systemd-sysusers';
const UNIT = join(DEPLOY_DIR, 'systemd', 'outpost.service');
const SYSUSERS = join(DEPLOY_DIR, 'systemd', 'outpost.sysusers');
const EXEC_START = '/opt/outpost/bin/outpost';
// Debian keeps the distribution's units in /usr/lib/systemd/system (/lib is a symlink to /usr/lib).
const SYSTEM_UNITS = existsSync('/usr/lib/systemd/system') ? '/usr/lib/systemd/system' : '/lib/systemd/system';

/**
 * A throwaway root for `systemd-analyze --root`: the distribution's units (the targets the unit's
 * default dependencies name), a stub executable at the real ExecStart path, and `unitText`
 * installed byte for byte as /etc/systemd/system/outpost.service. Verifying inside it checks the
 * unit as shipped, ExecStart included, without touching the machine's /opt or /etc.
 */
function makeRoot(unitText: string): { path: string; remove: () => void } {
  const root = tempDir('outpost-systemd-root-');
  cpSync(SYSTEM_UNITS, join(root.path, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root.path, 'opt/outpost/bin'), { recursive: true });
  writeFileSync(join(root.path, EXEC_START), '#!/bin/sh\nexit 0\n');
  chmodSync(join(root.path, EXEC_START), 0o755);
  mkdirSync(join(root.path, 'etc/systemd/system'), { recursive: true });
  writeFileSync(join(root.path, 'etc/systemd/system/outpost.service'), unitText);
  return root;
}

/** The unit's [Service] settings, key → values in order (a key may repeat). */
function serviceSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

function seconds(value: string): number {
  const m = /^(\d+)(s|min)?$/.exec(value);
  assert.ok(m, `a duration in seconds or minutes: ${value}`);
  return Number(m[1]) * (m[2] === 'min' ? 60 : 1);
}

describe('systemd unit', { skip: toolSkip(SYSTEMD_ANALYZE) }, () => {
  const unitText = readFileSync(UNIT, 'utf8');

  it('passes systemd-analyze verify with no warning, ExecStart path as shipped', async (t) => {
    const root = makeRoot(unitText);
    t.after(root.remove);
    const result = await run(SYSTEMD_ANALYZE, ['verify', `--root=${root.path}`, 'outpost.service']);
    assert.equal(result.code, 0, describeRun(result));
    assert.equal((result.stdout + result.stderr).trim(), '', `systemd-analyze verify printed warnings:\n${describeRun(result)}`);
  });

  it('would report a misspelt directive (the check above is not vacuous)', async (t) => {
    const root = makeRoot(unitText.replace(/^ProtectSystem=/m, 'ProtectSystm='));
    t.after(root.remove);
    const result = await run(SYSTEMD_ANALYZE, ['verify', `--root=${root.path}`, 'outpost.service']);
    assert.match(result.stdout + result.stderr, /Unknown key 'ProtectSystm'/, describeRun(result));
  });

  it('keeps its hardening: systemd-analyze security rates the exposure 2.5 or lower', async (t) => {
    const root = makeRoot(unitText);
    t.after(root.remove);
    const result = await run(SYSTEMD_ANALYZE, ['security', '--offline=true', '--threshold=25', `--root=${root.path}`, 'outpost.service']);
    const overall = /Overall exposure level for outpost\.service: .*/.exec(result.stdout)?.[0] ?? '';
    t.diagnostic(overall);
    assert.equal(result.code, 0, `exposure above 2.5:\n${describeRun(result)}`);
  });

  it('runs /opt/outpost/bin/outpost as user outpost with its state in /var/lib/outpost and both env files', () => {
    const s = serviceSettings(unitText);
    assert.deepEqual(s.get('ExecStart'), [EXEC_START]);
    assert.deepEqual(s.get('User'), ['outpost']);
    assert.deepEqual(s.get('Group'), ['outpost']);
    assert.deepEqual(s.get('DynamicUser'), ['no']);
    assert.deepEqual(s.get('StateDirectory'), ['outpost']);
    assert.deepEqual(s.get('Environment'), ['OUTPOST_DATA_DIR=/var/lib/outpost']);
    assert.deepEqual(s.get('EnvironmentFile'), ['-/etc/outpost/outpost.env', '-/boot/firmware/outpost.env']);
    assert.deepEqual(s.get('Restart'), ['always']);
    assert.ok(seconds(s.get('RestartSec')![0]!) > 0);
  });

  it('stops with SIGTERM and waits longer than the default OUTPOST_SHUTDOWN_TIMEOUT (10s)', () => {
    const s = serviceSettings(unitText);
    assert.deepEqual(s.get('KillSignal'), ['SIGTERM']);
    assert.ok(seconds(s.get('TimeoutStopSec')![0]!) > 10, `TimeoutStopSec=${s.get('TimeoutStopSec')}`);
  });

  it('is sandboxed as the operations issue asks', () => {
    const s = serviceSettings(unitText);
    const expected: Record<string, string> = {
      ProtectSystem: 'strict', ProtectHome: 'true', PrivateTmp: 'true', NoNewPrivileges: 'true',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6', ProtectKernelTunables: 'true', ProtectKernelModules: 'true',
      ProtectControlGroups: 'true', RestrictNamespaces: 'true', LockPersonality: 'true', MemoryDenyWriteExecute: 'no',
      SystemCallArchitectures: 'native', CapabilityBoundingSet: '',
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(s.get(key), [value], key);
  });
});

describe('sysusers.d file', { skip: toolSkip(SYSTEMD_SYSUSERS) }, () => {
  it('creates the system user and group outpost', async (t) => {
    const root = tempDir('outpost-sysusers-root-');
    t.after(root.remove);
    mkdirSync(join(root.path, 'etc'));
    writeFileSync(join(root.path, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(root.path, 'etc/group'), 'root:x:0:\n');
    const result = await run(SYSTEMD_SYSUSERS, ['--dry-run', `--root=${root.path}`, SYSUSERS]);
    assert.equal(result.code, 0, describeRun(result));
    const output = result.stdout + result.stderr;
    assert.match(output, /Creating group '?outpost'?/, describeRun(result));
    assert.match(output, /Creating user '?outpost'?/, describeRun(result));
    assert.doesNotMatch(output, /ignoring|failed|invalid/i, describeRun(result));
  });
});
