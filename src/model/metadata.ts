/**
 * Metric metadata (TYPE, HELP, UNIT) per metric family, as Prometheus keeps it for a scrape and
 * sends it over remote write: 1.0 as `MetricMetadata` entries by family name, 2.0 on each
 * TimeSeries. A family is what the exposition's `# TYPE` line names; its series may carry a suffix
 * (`http_request_duration_seconds_bucket` belongs to `http_request_duration_seconds`).
 */

/**
 * The OpenMetrics metric types, as Prometheus's `model.MetricType` names them. The text format
 * 0.0.4's `untyped` is `unknown`.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

/** What a family's `# TYPE`, `# HELP` and `# UNIT` lines said; '' when a line was absent. */
export interface MetricMetadata {
  readonly type: MetricType;
  /** Unescaped help text (`\\` and `\n` decoded). */
  readonly help: string;
  readonly unit: string;
}

/** Every MetricType, e.g. to validate one read back from storage. */
export const METRIC_TYPES: ReadonlySet<MetricType> = new Set<MetricType>(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown']);

// The suffixes by which a family's series differ from the family name: histogram and summary parts,
// OpenMetrics counters (_total, _created), info metrics and gauge histograms (_gcount, _gsum). Two
// of them never overlap (`_gsum` does not end in `_sum`), so at most one can match a name.
const FAMILY_SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_info', '_gcount', '_gsum'];

/**
 * The family `metricName` (a series' `__name__`) belongs to, among those `has` knows, as Prometheus
 * looks up a scrape's metadata: the name itself first, then the name without one known suffix.
 * Undefined when neither is known. Pure; `has` is called at most twice.
 */
export function familyOf(metricName: string, has: (family: string) => boolean): string | undefined {
  if (has(metricName)) return metricName;
  for (const suffix of FAMILY_SUFFIXES) {
    if (metricName.length > suffix.length && metricName.endsWith(suffix)) {
      const family = metricName.slice(0, metricName.length - suffix.length);
      return has(family) ? family : undefined;
    }
  }
  return undefined;
}

/**
 * The metadata of the family `metricName` belongs to (see `familyOf`), looked up through `lookup`
 * (e.g. `(family) => wal.metadata(family)`), or undefined when the family has none.
 */
export function metadataOfMetric(metricName: string, lookup: (family: string) => MetricMetadata | undefined): MetricMetadata | undefined {
  const exact = lookup(metricName);
  if (exact !== undefined) return exact;
  const family = familyOf(metricName, (f) => f !== metricName && lookup(f) !== undefined);
  return family === undefined ? undefined : lookup(family);
}

/** True when `a` and `b` say the same (identical objects compare without reading the strings). */
export function sameMetadata(a: MetricMetadata, b: MetricMetadata): boolean {
  return a === b || (a.type === b.type && a.help === b.help && a.unit === b.unit);
}

/** A frozen MetricMetadata, for tables of constants that are compared by identity first. */
export function metricMetadata(type: MetricType, help: string, unit = ''): MetricMetadata {
  return Object.freeze({ type, help, unit });
}
