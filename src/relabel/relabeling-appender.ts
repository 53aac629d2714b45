import { labelsKey, parseLabelsKey, type Labels } from '../model/labels.js';
import type { WalAppender } from '../wal/wal.js';
import { relabel } from './relabel.js';
import type { RelabelRule } from './rules.js';

/**
 * Puts OUTPOST_RELABEL_CONFIG_FILE's rules in front of the WAL: every input's series is relabelled
 * before it gets a ref, and a dropped series (or one left without a metric name) gets ref 0, which
 * inputs skip. Results are cached per input series, so the regexes run once per series, not once
 * per sample; the cache is cleared when it outgrows `maxEntries` (series churn) to stay bounded.
 */
export function createRelabelingAppender(inner: WalAppender, rules: readonly RelabelRule[], maxEntries: number): WalAppender {
  if (rules.length === 0) return inner;
  const cache = new Map<string, string | null>();
  const resolve = (key: string, labels: () => Labels): number => {
    let out = cache.get(key);
    if (out === undefined) {
      const result = relabel(labels(), rules);
      out = result === null || !result.some((l) => l.name === '__name__') ? null : labelsKey(result);
      if (cache.size >= maxEntries) cache.clear();
      cache.set(key, out);
    }
    if (out === null) return 0;
    const outKey = out;
    return inner.seriesRefByKey(outKey, () => parseLabelsKey(outKey));
  };
  return {
    seriesRef: (labels) => resolve(labelsKey(labels), () => labels),
    seriesRefByKey: resolve,
    // Rules are fixed, so an input key keeps its output key: refs age only with the WAL's series.
    seriesGeneration: () => inner.seriesGeneration(),
    append: (ref, timestampMs, value) => inner.append(ref, timestampMs, value),
    afterCommit: (fn) => inner.afterCommit(fn),
    // Metadata is keyed by the family the input exposed, as Prometheus keeps a scrape's metadata:
    // rules rewrite series, not families, and a family whose series were all dropped costs one row.
    setMetadata: (family, metadata) => inner.setMetadata(family, metadata),
  };
}
