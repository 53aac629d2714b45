import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCpuCollector } from '../../../src/inputs/host/cpu.js';
import { createStatCollector } from '../../../src/inputs/host/stat.js';
import { collectOnce, fixturePaths, keysOf, writeTree } from '../../helpers/host-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

// A Pi Zero 2 W's /proc/stat (four A53 cores), cpu1 with some guest time.
const STAT = `cpu  10132 13 5231 1234567 2345 0 120 0 57 7
cpu0 2533 0 1307 308641 586 0 90 0 0 0
cpu1 2533 13 1308 308642 587 0 10 0 57 7
cpu2 2533 0 1308 308642 586 0 10 0 0 0
cpu3 2533 0 1308 308642 586 0 10 5 0 0
intr 5133434 0 0 1204 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
ctxt 9876543
btime 1700000000
processes 12345
procs_running 2
procs_blocked 1
softirq 4453543 1 1203944 60 58913 0 0 1012 1645130 0 1544473
`;

function cpuLine(id: number, user: number, idle: number): string {
  return `cpu${id} ${user} 0 100 ${idle} 0 0 0 0 0 0`;
}

describe('cpu collector', () => {
  it('exports node_cpu_seconds_total per cpu and mode in seconds (USER_HZ 100), guest time apart', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const paths = fixturePaths(dir.path);
    writeTree(dir.path, { 'proc/stat': STAT });
    const s = await collectOnce(createCpuCollector(), paths);
    assert.equal(keysOf(s, 'node_cpu_seconds_total').length, 4 * 8);
    assert.equal(s.get('__name__=node_cpu_seconds_total,cpu=0,mode=user'), 25.33);
    assert.equal(s.get('__name__=node_cpu_seconds_total,cpu=0,mode=idle'), 3086.41);
    assert.equal(s.get('__name__=node_cpu_seconds_total,cpu=0,mode=softirq'), 0.9);
    assert.equal(s.get('__name__=node_cpu_seconds_total,cpu=1,mode=nice'), 0.13);
    assert.equal(s.get('__name__=node_cpu_seconds_total,cpu=3,mode=steal'), 0.05);
    const modes = keysOf(s, 'node_cpu_seconds_total').filter((k) => k.includes('cpu=2,')).map((k) => k.split('mode=')[1]);
    assert.deepEqual(modes, ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user']);
    assert.equal(s.get('__name__=node_cpu_guest_seconds_total,cpu=1,mode=user'), 0.57);
    assert.equal(s.get('__name__=node_cpu_guest_seconds_total,cpu=1,mode=nice'), 0.07);
    assert.ok(![...s.keys()].some((k) => k.includes('mode=guest')), 'guest is not a mode of node_cpu_seconds_total');
  });

  it('never lets a counter go down, and starts over after an idle jump back of 3 s or a change in CPU count', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const paths = fixturePaths(dir.path);
    const file = join(paths.procPath, 'stat');
    writeTree(dir.path, { 'proc/stat': '' });
    const cpu = createCpuCollector();
    const user = async () => (await collectOnce(cpu, paths)).get('__name__=node_cpu_seconds_total,cpu=0,mode=user');

    writeFileSync(file, `${cpuLine(0, 500, 100_000)}\n${cpuLine(1, 1, 1)}\n`);
    assert.equal(await user(), 5);
    writeFileSync(file, `${cpuLine(0, 499, 99_900)}\n${cpuLine(1, 1, 1)}\n`); // 1 s back: kept
    assert.equal(await user(), 5);
    writeFileSync(file, `${cpuLine(0, 510, 99_600)}\n${cpuLine(1, 1, 1)}\n`); // idle 4 s back: hotplug
    assert.equal(await user(), 5.1);
    writeFileSync(file, `${cpuLine(0, 400, 99_700)}\n`); // one CPU fewer: cache dropped
    assert.equal(await user(), 4);
  });

  it('fails when /proc/stat cannot be read', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    await assert.rejects(collectOnce(createCpuCollector(), fixturePaths(dir.path)), { code: 'ENOENT' });
  });
});

describe('stat collector', () => {
  it('exports boot time, context switches, forks, interrupts and process counts from /proc/stat', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/stat': STAT });
    const s = await collectOnce(createStatCollector(), fixturePaths(dir.path));
    assert.deepEqual(Object.fromEntries(s), {
      '__name__=node_intr_total': 5133434,
      '__name__=node_context_switches_total': 9876543,
      '__name__=node_boot_time_seconds': 1700000000,
      '__name__=node_forks_total': 12345,
      '__name__=node_procs_running': 2,
      '__name__=node_procs_blocked': 1,
    });
  });
});
