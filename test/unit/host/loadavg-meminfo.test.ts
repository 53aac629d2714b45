import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadavgCollector } from '../../../src/inputs/host/loadavg.js';
import { createMeminfoCollector } from '../../../src/inputs/host/meminfo.js';
import { collectOnce, fixturePaths, writeTree } from '../../helpers/host-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

const MEMINFO = `MemTotal:         439428 kB
MemFree:          112612 kB
MemAvailable:     301044 kB
Buffers:           21552 kB
Cached:           181728 kB
SwapTotal:        102396 kB
SwapFree:         102396 kB
Active(anon):      10240 kB
Inactive(file):   123904 kB
HugePages_Total:       0
Hugepagesize:       2048 kB

`;

describe('loadavg collector', () => {
  it('exports node_load1, node_load5 and node_load15', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/loadavg': '0.52 0.58 0.59 1/189 4321\n' });
    const s = await collectOnce(createLoadavgCollector(), fixturePaths(dir.path));
    assert.deepEqual(Object.fromEntries(s), { '__name__=node_load1': 0.52, '__name__=node_load5': 0.58, '__name__=node_load15': 0.59 });
  });

  it('fails on a file it does not understand', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/loadavg': 'garbage\n' });
    await assert.rejects(collectOnce(createLoadavgCollector(), fixturePaths(dir.path)), /unexpected/);
  });
});

describe('meminfo collector', () => {
  it('names every field as node_exporter does, kB in bytes, plain counts as they are', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/meminfo': MEMINFO });
    const s = await collectOnce(createMeminfoCollector(), fixturePaths(dir.path));
    assert.deepEqual(Object.fromEntries(s), {
      '__name__=node_memory_MemTotal_bytes': 439428 * 1024,
      '__name__=node_memory_MemFree_bytes': 112612 * 1024,
      '__name__=node_memory_MemAvailable_bytes': 301044 * 1024,
      '__name__=node_memory_Buffers_bytes': 21552 * 1024,
      '__name__=node_memory_Cached_bytes': 181728 * 1024,
      '__name__=node_memory_SwapTotal_bytes': 102396 * 1024,
      '__name__=node_memory_SwapFree_bytes': 102396 * 1024,
      '__name__=node_memory_Active_anon_bytes': 10240 * 1024,
      '__name__=node_memory_Inactive_file_bytes': 123904 * 1024,
      '__name__=node_memory_HugePages_Total': 0,
      '__name__=node_memory_Hugepagesize_bytes': 2048 * 1024,
    });
  });

  it('fails on a value that is not a number', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    writeTree(dir.path, { 'proc/meminfo': 'MemTotal: lots kB\n' });
    await assert.rejects(collectOnce(createMeminfoCollector(), fixturePaths(dir.path)), /invalid value in meminfo/);
  });
});
