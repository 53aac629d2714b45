import { formatLabels, parseLabelsKey, type Labels } from '../../src/model/labels.js';
import type { MetricMetadata } from '../../src/model/metadata.js';
import type { WalAppender } from '../../src/wal/wal.js';

/** One appended sample, labels rendered as `name{a="b"}`. */
export interface RecordedSample {
  series: string;
  t: number;
  v: number;
}

/**
 * A WalAppender that records what it is given: series by key (labels from the thunk, checked to
 * agree with the key), samples in order, metadata by family (`metadataCalls` counts the calls),
 * and afterCommit callbacks that `commit()` runs.
 * `maxSeries` makes it refuse new series like the WAL's cardinality cap.
 */
export function createRecordingAppender(maxSeries = Infinity): WalAppender & {
  samples: RecordedSample[];
  labelsOf: Map<number, Labels>;
  callbacks: Array<() => void>;
  metadata: Map<string, MetricMetadata>;
  metadataCalls: number;
  commit(): void;
} {
  const refs = new Map<string, number>();
  const labelsOf = new Map<number, Labels>();
  const samples: RecordedSample[] = [];
  const callbacks: Array<() => void> = [];
  const refFor = (key: string, labels: () => Labels): number => {
    const known = refs.get(key);
    if (known !== undefined) return known;
    if (refs.size >= maxSeries) return 0;
    const l = labels();
    if (JSON.stringify(parseLabelsKey(key)) !== JSON.stringify(l)) throw new Error(`key ${JSON.stringify(key)} does not match labels ${JSON.stringify(l)}`);
    const ref = refs.size + 1;
    refs.set(key, ref);
    labelsOf.set(ref, l);
    return ref;
  };
  const recorder = {
    samples,
    labelsOf,
    callbacks,
    metadata: new Map<string, MetricMetadata>(),
    metadataCalls: 0,
    setMetadata(family: string, metadata: MetricMetadata) {
      recorder.metadataCalls++;
      recorder.metadata.set(family, metadata);
    },
    seriesRef: () => {
      throw new Error('the MQTT input resolves series by key');
    },
    seriesRefByKey: refFor,
    append(ref: number, t: number, v: number) {
      samples.push({ series: formatLabels(labelsOf.get(ref)!), t, v });
    },
    afterCommit(fn: () => void) {
      callbacks.push(fn);
    },
    // It never forgets a series, so refs never age.
    seriesGeneration: () => 0,
    commit() {
      for (const fn of callbacks.splice(0)) fn();
    },
  };
  return recorder;
}
