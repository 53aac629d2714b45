/**
 * Series as the sender puts them on the wire, prepared once per series instead of once per request.
 *
 * Every request needs, per series, its labels merged with the external labels and, for 1.0, those
 * labels written as protobuf Label fields. In steady state the same series go out in every round,
 * so building that each round (parse the WAL's label key, merge, UTF-8 encode) was a large part of
 * the sender's CPU and most of its garbage. A `WireSeries`
 * holds it all, and the metadata of its family (for 2.0), looked up once; the cache keeps the
 * ones in use, shared by the endpoints.
 */
import type { Clock } from '../lib/clock.js';
import { getLabel, type Label, type Labels } from '../model/labels.js';
import { sameMetadata, type MetricMetadata } from '../model/metadata.js';
import { encodeLabelsV1 } from './rw-messages.js';

/** One series ready for the wire. */
export class WireSeries {
  /** Own labels merged with the external ones: sorted by name, unique, no empty value. */
  readonly labels: Labels;
  /** The metadata of the series' family, sent on each 2.0 TimeSeries; undefined: none is sent. */
  readonly metadata: MetricMetadata | undefined;
  private v1: Uint8Array | null = null;

  /**
   * `own` sorted by name with unique names, as `normalizeLabels` leaves them; `external` in any
   * order; `metadata` that of the series' family, if known.
   */
  constructor(own: Labels, external: Labels, metadata?: MetricMetadata) {
    this.labels = mergeLabels(own, sortedByName(external));
    this.metadata = metadata;
  }

  /** The labels as the Label fields of a 1.0 TimeSeries, encoded at the first call. */
  v1Labels(): Uint8Array {
    return (this.v1 ??= encodeLabelsV1(this.labels));
  }
}

/** `WireSeries` by WAL ref. */
export interface WireSeriesCache {
  /** The series of `ref`, or undefined when the WAL has no labels for it. */
  get(ref: number): WireSeries | undefined;
}

/**
 * A cache of `WireSeries` built from `labelsOf` and `external`. It keeps what was
 * used in the last one or two periods of `generationMs`: series that stop being sent (collected,
 * relabelled away, churned) leave it, so it stays the size of what is in flight.
 *
 * `metadataOf`, when given, maps a series' metric name to its family's metadata (e.g.
 * `(name) => metadataOfMetric(name, (f) => wal.metadata(f))`); it is asked when a series is built
 * and again once per period for a series still in use, so a family's changed help reaches the
 * wire within one or two periods, at the cost of one lookup per series per period. Without it no
 * series carries metadata.
 */
export function createWireSeriesCache(
  labelsOf: (ref: number) => Labels | undefined,
  external: Labels,
  clock: Clock,
  generationMs = 10 * 60_000,
  metadataOf?: (metricName: string) => MetricMetadata | undefined,
): WireSeriesCache {
  let current = new Map<number, WireSeries>();
  let previous = new Map<number, WireSeries>();
  let rotatedAt = clock.now();
  let hits = 0;
  const metadataOfSeries = (labels: Labels): MetricMetadata | undefined => {
    const name = getLabel(labels, '__name__');
    return name === undefined ? undefined : metadataOf!(name);
  };
  return {
    get(ref) {
      let series = current.get(ref);
      // The clock is read on a miss and on every 1024th hit, not for every series of every round:
      // a time read is a boxed number, garbage per call.
      if (series === undefined || ++hits === 1024) {
        hits = 0;
        const now = clock.now();
        if (now - rotatedAt >= generationMs) {
          previous = current;
          current = new Map();
          rotatedAt = now;
          series = undefined; // now in `previous`, moved back below
        }
      }
      if (series !== undefined) return series;
      series = previous.get(ref);
      if (series !== undefined && metadataOf !== undefined) {
        const metadata = metadataOfSeries(series.labels);
        // Labels already merged: merging them with no external label leaves them as they are.
        if (!sameOrNone(metadata, series.metadata)) series = new WireSeries(series.labels, [], metadata);
      }
      if (series === undefined) {
        const labels = labelsOf(ref);
        if (labels === undefined) return undefined;
        series = new WireSeries(labels, external, metadataOf === undefined ? undefined : metadataOfSeries(labels));
      }
      current.set(ref, series);
      return series;
    },
  };
}

function sameOrNone(a: MetricMetadata | undefined, b: MetricMetadata | undefined): boolean {
  return a === undefined || b === undefined ? a === b : sameMetadata(a, b);
}

/**
 * Merges a series' labels with the external ones, both sorted by name. The series' own label wins
 * a name clash (Prometheus's external_labels rule); empty values are left out, since an empty value
 * means "no such label" and both specs forbid sending one.
 */
function mergeLabels(own: Labels, external: Labels): Labels {
  const merged: Label[] = [];
  let i = 0;
  let j = 0;
  while (i < own.length || j < external.length) {
    let label: Label;
    if (j === external.length || (i < own.length && own[i]!.name <= external[j]!.name)) {
      label = own[i++]!;
      if (j < external.length && external[j]!.name === label.name) j++;
    } else {
      label = external[j++]!;
    }
    if (label.value !== '') merged.push(label);
  }
  return merged;
}

/** `labels` sorted by name: external labels come from configuration, where order is the user's. */
function sortedByName(labels: Labels): Labels {
  for (let i = 1; i < labels.length; i++) {
    if (labels[i - 1]!.name > labels[i]!.name) return [...labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  return labels;
}
