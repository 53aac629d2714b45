import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { hostname, machine, release, type, version } from 'node:os';
import { createOsReleaseCollector, parseOsRelease } from '../../../src/inputs/host/os-release.js';
import { createTimeCollector, parsePosixTz } from '../../../src/inputs/host/time.js';
import { createUnameCollector } from '../../../src/inputs/host/uname.js';
import { collectOnce, fixturePaths, keysOf, writeTree } from '../../helpers/host-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

const RASPBIAN = `PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"
NAME="Raspbian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=raspbian
ID_LIKE=debian
HOME_URL="http://www.raspbian.org/"
`;

describe('os collector', () => {
  it('exports node_os_info with the os-release fields and node_os_version as major.minor', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'rootfs/etc/os-release': RASPBIAN });
    const s = await collectOnce(createOsReleaseCollector(), fixturePaths(dir.path));
    assert.deepEqual(Object.fromEntries(s), {
      '__name__=node_os_info,id=raspbian,id_like=debian,name=Raspbian GNU/Linux,pretty_name=Raspbian GNU/Linux 12 (bookworm),version=12 (bookworm),version_codename=bookworm,version_id=12': 1,
      '__name__=node_os_version,id=raspbian,id_like=debian,name=Raspbian GNU/Linux': 12,
    });
  });

  it('falls back to /usr/lib/os-release and reports nothing without either', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const paths = fixturePaths(dir.path);
    assert.equal((await collectOnce(createOsReleaseCollector(), paths)).size, 0);
    writeTree(dir.path, { 'rootfs/usr/lib/os-release': 'ID=alpine\nVERSION_ID=3.19.1\nIMAGE_ID=gw\nIMAGE_VERSION=7\nBUILD_ID=2024-01\nVARIANT=Edge\nVARIANT_ID=edge\n' });
    const s = await collectOnce(createOsReleaseCollector(), paths);
    assert.deepEqual(keysOf(s, 'node_os_info'), ['__name__=node_os_info,build_id=2024-01,id=alpine,image_id=gw,image_version=7,variant=Edge,variant_id=edge,version_id=3.19.1']);
    assert.equal(s.get('__name__=node_os_version,id=alpine'), 3.19);
  });

  it('parses the file again when its mtime changes (an upgrade)', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const paths = fixturePaths(dir.path);
    writeTree(dir.path, { 'rootfs/etc/os-release': 'ID=raspbian\nVERSION_ID=11\n' });
    const collector = createOsReleaseCollector();
    assert.deepEqual(keysOf(await collectOnce(collector, paths), 'node_os_info'), ['__name__=node_os_info,id=raspbian,version_id=11']);
    writeTree(dir.path, { 'rootfs/etc/os-release': 'ID=raspbian\nVERSION_ID=12\n' });
    utimesSync(`${paths.rootfsPath}/etc/os-release`, new Date(), new Date(Date.now() + 60_000));
    assert.deepEqual(keysOf(await collectOnce(collector, paths), 'node_os_info'), ['__name__=node_os_info,id=raspbian,version_id=12']);
  });

  it('parses quoting as os-release(5) defines it', () => {
    const env = parseOsRelease(`# comment\nA="say \\"hi\\" \\$x"\nB='lit \\n'\nC=plain\n\nD=""\n`);
    assert.deepEqual(Object.fromEntries(env), { A: 'say "hi" $x', B: 'lit \\n', C: 'plain', D: '' });
  });
});

describe('uname collector', () => {
  it('exports node_uname_info from uname(2) with the domain name from /proc/sys/kernel', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/sys/kernel/domainname': '(none)\n' });
    const s = await collectOnce(createUnameCollector(), fixturePaths(dir.path));
    assert.deepEqual(Object.fromEntries(s), {
      [`__name__=node_uname_info,domainname=(none),machine=${machine()},nodename=${hostname()},release=${release()},sysname=${type()},version=${version()}`]: 1,
    });
  });
});

describe('time collector', () => {
  it('exports the round time in seconds, the zone offset and the clock sources', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, {
      'sys/devices/system/clocksource/clocksource0/available_clocksource': 'arch_sys_counter \n',
      'sys/devices/system/clocksource/clocksource0/current_clocksource': 'arch_sys_counter\n',
    });
    const s = await collectOnce(createTimeCollector(), fixturePaths(dir.path), 1_700_000_000_123);
    assert.equal(s.get('__name__=node_time_seconds'), 1_700_000_000.123);
    assert.equal(s.get('__name__=node_time_clocksource_available_info,clocksource=arch_sys_counter,device=0'), 1);
    assert.equal(s.get('__name__=node_time_clocksource_current_info,clocksource=arch_sys_counter,device=0'), 1);
    const [zone] = keysOf(s, 'node_time_zone_offset_seconds');
    assert.match(zone!, /^__name__=node_time_zone_offset_seconds,time_zone=\S+$/);
    assert.equal(s.get(zone!), new Date(1_700_000_000_123).getTimezoneOffset() * -60 + 0);
  });

  it('reads zone names from POSIX TZ strings', () => {
    assert.deepEqual(parsePosixTz('UTC0'), { std: 'UTC', dst: undefined, stdOffsetSeconds: 0 });
    assert.deepEqual(parsePosixTz('CET-1CEST,M3.5.0,M10.5.0/3'), { std: 'CET', dst: 'CEST', stdOffsetSeconds: 3600 });
    assert.deepEqual(parsePosixTz('EST5EDT,M3.2.0,M11.1.0'), { std: 'EST', dst: 'EDT', stdOffsetSeconds: -18000 });
    assert.deepEqual(parsePosixTz('<+0530>-5:30'), { std: '+0530', dst: undefined, stdOffsetSeconds: 19800 });
    assert.equal(parsePosixTz(''), undefined);
  });
});
