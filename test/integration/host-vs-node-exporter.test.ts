import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHostInput } from '../../src/inputs/host/index.js';
import { nodeExporterSkip, parseExposition, sampleKey, startNodeExporter } from '../helpers/node-exporter.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openTestWal, readAll } from '../helpers/wal-fixture.js';

const MiB = 1024 * 1024;
const MEMORY = ['MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree'].map((f) => `node_memory_${f}_bytes`);
const NETWORK = ['receive', 'transmit'].flatMap((d) => ['bytes', 'packets', 'errs', 'drop'].map((c) => `node_network_${d}_${c}_total`));

/** How close our value must be to node_exporter's, read a few milliseconds apart. */
interface Tolerance {
  /** Allowed difference as a fraction of node_exporter's value. */
  relative: number;
  /** Allowed difference in the family's unit, for values near zero. */
  absolute: number;
}
const EXACT: Tolerance = { relative: 0, absolute: 0 };

// The contract's host families (docs/reference.md, "Host metrics") with their tolerances. Unit mistakes
// (sectors for bytes, ms for s, kB for bytes, ticks for seconds) are factors of 100 to 1024 and
// fail these; other tests and processes on the machine moving counters between the two reads do
// not. Values that cannot move in that time must be equal.
const CONTRACT = new Map<string, Tolerance>([
  ['node_cpu_seconds_total', { relative: 0.02, absolute: 2 }],
  ['node_load1', { relative: 0.5, absolute: 1 }],
  ['node_load5', { relative: 0.5, absolute: 1 }],
  ['node_load15', { relative: 0.5, absolute: 1 }],
  ...MEMORY.map((f): [string, Tolerance] => [f, f.includes('Total') ? EXACT : { relative: 0.1, absolute: 256 * MiB }]),
  ['node_filesystem_size_bytes', EXACT],
  ['node_filesystem_free_bytes', { relative: 0.05, absolute: 256 * MiB }],
  ['node_filesystem_avail_bytes', { relative: 0.05, absolute: 256 * MiB }],
  ['node_disk_read_bytes_total', { relative: 0.05, absolute: 256 * MiB }],
  ['node_disk_written_bytes_total', { relative: 0.05, absolute: 256 * MiB }],
  ['node_disk_reads_completed_total', { relative: 0.05, absolute: 10_000 }],
  ['node_disk_writes_completed_total', { relative: 0.05, absolute: 10_000 }],
  ['node_disk_io_time_seconds_total', { relative: 0.05, absolute: 5 }],
  ...NETWORK.map((f): [string, Tolerance] => [f, f.includes('bytes') ? { relative: 0.05, absolute: 32 * MiB } : { relative: 0.05, absolute: 20_000 }]),
  ['node_boot_time_seconds', { relative: 0, absolute: 1 }],
  ['node_time_seconds', { relative: 0, absolute: 5 }],
  ['node_uname_info', EXACT],
  ['node_os_info', EXACT],
  ['node_thermal_zone_temp', { relative: 0.1, absolute: 5 }],
  ['node_hwmon_temp_celsius', { relative: 0.1, absolute: 5 }],
]);

// node_exporter's own families, not host metrics.
const NOT_HOST = /^(go_|process_|promhttp_|node_exporter_build_info|node_scrape_collector_)/;

function familyOf(key: string): string {
  return key.slice('__name__='.length, key.includes(',') ? key.indexOf(',') : undefined);
}

/** Keys grouped by family. */
function byFamily(keys: Iterable<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const key of keys) {
    const family = familyOf(key);
    out.set(family, [...(out.get(family) ?? []), key]);
  }
  return out;
}

describe('host input against node_exporter 1.5 on this machine', () => {
  it('matches node_exporter for every contract family it exposes: label sets, units, values and types', { skip: nodeExporterSkip() }, async (t) => {
    if (process.platform !== 'linux') return t.skip('the host collectors read Linux /proc and /sys');
    const exporter = await startNodeExporter();
    t.after(() => exporter.stop());
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    t.after(() => wal.close());
    const consumer = wal.consumer('test');
    const input = createHostInput();

    // Devices and mounts come and go (other tests mount tmpfs), so a difference may be a race
    // between the two reads: compare up to three snapshots, pass on the first clean one.
    let problems: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const nowMs = Date.now();
      const [, text] = await Promise.all([input.collect(wal, nowMs), fetch(exporter.url).then((r) => r.text())]);
      assert.equal(wal.commit().error, undefined);
      const read = readAll(wal, consumer, true);
      assert.ok(read.every((s) => s.t === nowMs), 'every sample carries the round timestamp');
      const ours = new Map(read.map((s) => [s.labels, s.v]));
      const theirs = parseExposition(text);
      const theirValues = new Map(theirs.samples.map((s) => [sampleKey(s), s.value]));
      problems = compare(ours, theirValues, theirs.types);
      if (problems.length === 0) {
        const missing = [...byFamily(theirValues.keys()).keys()].filter((f) => !NOT_HOST.test(f) && !byFamily(ours.keys()).has(f));
        t.diagnostic(`node_exporter families the host input does not produce here: ${missing.join(' ') || 'none'}`);
        const contractHere = [...CONTRACT.keys()].filter((f) => theirs.types.has(f));
        t.diagnostic(`contract families compared: ${contractHere.length} of ${CONTRACT.size} (the rest has no hardware here)`);
        break;
      }
      t.diagnostic(`attempt ${attempt}:\n${problems.join('\n')}`);
    }
    assert.deepEqual(problems, []);
  });
});

/** Differences between our samples and node_exporter's, as readable lines; empty when they agree. */
function compare(ours: Map<string, number>, theirs: Map<string, number>, types: Map<string, string>): string[] {
  const problems: string[] = [];
  const ourFamilies = byFamily(ours.keys());
  for (const [family, theirKeys] of byFamily(theirs.keys())) {
    const ourKeys = ourFamilies.get(family);
    const inContract = CONTRACT.has(family);
    if (ourKeys === undefined) {
      if (inContract) problems.push(`${family}: missing`);
      continue;
    }
    const type = types.get(family);
    if ((type === 'counter') !== family.endsWith('_total')) problems.push(`${family}: node_exporter says ${type}, the name says otherwise`);
    const a = [...theirKeys].sort();
    const b = [...ourKeys].sort();
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      problems.push(`${family}: label sets differ\n  node_exporter only: ${a.filter((k) => !ours.has(k)).join(' | ')}\n  ours only: ${b.filter((k) => !theirs.has(k)).join(' | ')}`);
      continue;
    }
    // Outside the contract: info metrics must agree; other values are not compared.
    const tolerance = CONTRACT.get(family) ?? (family.endsWith('_info') ? EXACT : undefined);
    if (tolerance === undefined) continue;
    for (const key of a) {
      const want = theirs.get(key)!;
      const got = ours.get(key)!;
      if (Math.abs(got - want) > Math.max(tolerance.absolute, tolerance.relative * Math.abs(want))) problems.push(`${key}: ours ${got}, node_exporter ${want}`);
    }
  }
  return problems;
}
