import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHostRound, KernelFiles, type HostCollector, type HostPaths } from '../../src/inputs/host/collector.js';
import { labelsKey, normalizeLabels, type Labels } from '../../src/model/labels.js';
import { familyOf, type MetricMetadata } from '../../src/model/metadata.js';
import type { WalAppender } from '../../src/wal/wal.js';

/**
 * Writes a fixture tree under `root`: each key is a relative path; a string value is the file's
 * text, `{ link }` makes a symlink to `link` (relative links resolve as in sysfs), `{ dir: true }`
 * an empty directory.
 */
export function writeTree(root: string, files: Record<string, string | { link: string } | { dir: true }>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof content === 'string') writeFileSync(full, content);
    else if ('link' in content) symlinkSync(content.link, full);
    else mkdirSync(full, { recursive: true });
  }
}

/** A recorded sample: labels as `readAll` renders them (`__name__=x,a=b`), value and time. */
export interface RecordedSample {
  key: string;
  labels: Labels;
  value: number;
  timestampMs: number;
}

/**
 * An appender that records every sample and every family's metadata, and rejects a label set
 * that is not already what `normalizeLabels` makes of it (sorted, no empty values): collectors
 * must build them that way.
 */
export function recordingAppender(): WalAppender & { samples: RecordedSample[]; metadata: Map<string, MetricMetadata> } {
  const labelsByRef: Labels[] = [];
  const refs = new Map<string, number>();
  const samples: RecordedSample[] = [];
  const metadata = new Map<string, MetricMetadata>();
  const seriesRef = (labels: Labels): number => {
    const normalized = normalizeLabels(labels);
    if (typeof normalized === 'string' || labelsKey(normalized) !== labelsKey(labels) || normalized.length !== labels.length) {
      throw new Error(`label set is not normalized: ${JSON.stringify(labels)}`);
    }
    const key = labelsKey(labels);
    let ref = refs.get(key);
    if (ref === undefined) {
      refs.set(key, (ref = labelsByRef.length + 1));
      labelsByRef.push(labels);
    }
    return ref;
  };
  return {
    samples,
    metadata,
    setMetadata: (family, m) => void metadata.set(family, m),
    seriesRef,
    seriesRefByKey: (_key, labels) => seriesRef(labels()),
    append(ref, timestampMs, value) {
      const labels = labelsByRef[ref - 1]!;
      samples.push({ key: labels.map((l) => `${l.name}=${l.value}`).join(','), labels, value, timestampMs });
    },
    afterCommit: (fn) => fn(),
    seriesGeneration: () => 0,
  };
}

/** Fixture paths: proc/, sys/ and rootfs/ under `root`. */
export function fixturePaths(root: string): HostPaths {
  return { procPath: join(root, 'proc'), sysPath: join(root, 'sys'), rootfsPath: join(root, 'rootfs') };
}

/**
 * The metric names among `samples` whose family has no metadata in `metadata` (looked up as the
 * sender does, through `familyOf`), sorted.
 */
export function namesWithoutMetadata(samples: readonly RecordedSample[], metadata: ReadonlyMap<string, MetricMetadata>): string[] {
  const names = new Set(samples.map((s) => s.labels[0]!.value));
  return [...names].filter((name) => familyOf(name, (f) => metadata.has(f)) === undefined).sort();
}

/**
 * Runs one collector round against `paths`; returns the samples as key → value. Throws when a
 * series is written twice, or when a family written has no metadata from the collector.
 */
export async function collectOnce(collector: HostCollector, paths: HostPaths, nowMs = 1_700_000_000_000): Promise<Map<string, number>> {
  const appender = recordingAppender();
  await collector.collect(createHostRound(paths, new KernelFiles(), appender, nowMs, collector.metadata));
  const missing = namesWithoutMetadata(appender.samples, appender.metadata);
  if (missing.length > 0) throw new Error(`${collector.name} wrote families without metadata: ${missing.join(', ')}`);
  const out = new Map<string, number>();
  for (const s of appender.samples) {
    if (out.has(s.key)) throw new Error(`series written twice in one round: ${s.key}`);
    out.set(s.key, s.value);
  }
  return out;
}

/** The keys of `samples` whose metric name is `name`, sorted. */
export function keysOf(samples: Map<string, number>, name: string): string[] {
  return [...samples.keys()].filter((k) => k === `__name__=${name}` || k.startsWith(`__name__=${name},`)).sort();
}
