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
import { Generations } from '../lib/generations.js';
import { getLabel, type Label, type Labels } from '../model/labels.js';
import { sameMetadata, type MetricMetadata } from '../model/metadata.js';
import { decodeLabelsV1, encodeLabelsV1, metricNameV1 } from './outputs/remote-write/rw-messages.js';

/**
 * Where the 1.0 label bytes of the series live: chunks of `CHUNK_BYTES`, filled one after the
 * other. A series' bytes stay in the chunk they were written to; a chunk is freed when no series
 * points into it any more, and the cache copies the series it keeps into the current chunk at
 * every generation, so chunks full of forgotten series do not outlive two generations. One
 * allocation per 64 KiB instead of one ArrayBuffer per series: at 10,000 series the per-buffer
 * overhead alone (about 0.7 KiB each, outside the JS heap) was 7 MiB.
 */
const CHUNK_BYTES = 64 * 1024;
let chunk = new Uint8Array(CHUNK_BYTES);
let chunkUsed = 0;

/** Copies `bytes` into the current chunk (a new one when it is full); returns where they went. */
function store(bytes: Uint8Array): number {
  if (chunkUsed + bytes.length > chunk.length) {
    chunk = new Uint8Array(Math.max(CHUNK_BYTES, bytes.length));
    chunkUsed = 0;
  }
  chunk.set(bytes, chunkUsed);
  chunkUsed += bytes.length;
  return chunkUsed - bytes.length;
}

/**
 * One series ready for the wire: its merged labels kept only as the Label fields of a 1.0
 * TimeSeries, the form every request of the default protocol copies. The labels as strings (for
 * 2.0, and to look metadata up) are decoded from those bytes when first asked for.
 */
export class WireSeries {
  /** The metadata of the series' family, sent on each 2.0 TimeSeries; undefined: none is sent. */
  readonly metadata: MetricMetadata | undefined;
  /** The chunk holding the 1.0 Label fields, at [v1Start, v1Start + v1Length). */
  v1Chunk: Uint8Array;
  v1Start: number;
  readonly v1Length: number;
  private decoded: Labels | null = null;

  /**
   * `own` sorted by name with unique names, as `normalizeLabels` leaves them; `external` in any
   * order; `metadata` that of the series' family, if known.
   */
  constructor(own: Labels, external: Labels, metadata?: MetricMetadata) {
    const bytes = encodeLabelsV1(mergeLabels(own, sortedByName(external)));
    this.v1Start = store(bytes);
    this.v1Chunk = chunk;
    this.v1Length = bytes.length;
    this.metadata = metadata;
  }

  /** Own labels merged with the external ones: sorted by name, unique, no empty value. */
  get labels(): Labels {
    return (this.decoded ??= decodeLabelsV1(this.v1Chunk, this.v1Start, this.v1Start + this.v1Length));
  }

  /** The series' metric name, read from its label bytes without decoding the other labels. */
  metricName(): string | undefined {
    return this.decoded === null ? metricNameV1(this.v1Chunk, this.v1Start, this.v1Start + this.v1Length) : getLabel(this.decoded, '__name__');
  }

  /** Moves the label bytes into the current chunk, so the chunk they were in can be freed. */
  moveToCurrentChunk(): void {
    if (this.v1Chunk === chunk) return;
    const start = store(this.v1Chunk.subarray(this.v1Start, this.v1Start + this.v1Length));
    this.v1Chunk = chunk;
    this.v1Start = start;
  }
}

/** `WireSeries` by WAL ref. */
export interface WireSeriesCache {
  /** The series of `ref`, or undefined when the WAL has no labels for it. */
  get(ref: number): WireSeries | undefined;
  /** Forgets every series (OUTPOST_MEMORY_LIMIT): they are built again from the WAL when sent. */
  clear(): void;
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
  const kept = new Generations<WireSeries>(clock, generationMs);
  let hits = 0;
  const metadataOfSeries = (name: string | undefined): MetricMetadata | undefined => (name === undefined ? undefined : metadataOf!(name));
  return {
    get(ref) {
      let series = kept.current.get(ref);
      // The clock is read on a miss and on every 1024th hit, not for every series of every round.
      if (series === undefined || ++hits === 1024) {
        hits = 0;
        if (kept.rotateIfDue()) series = undefined; // now in `previous`, moved back below
      }
      if (series !== undefined) return series;
      series = kept.takePrevious(ref);
      if (series !== undefined) {
        series.moveToCurrentChunk();
        if (metadataOf !== undefined) {
          const metadata = metadataOfSeries(series.metricName());
          // Labels already merged: merging them with no external label leaves them as they are.
          if (!sameOrNone(metadata, series.metadata)) series = new WireSeries(series.labels, [], metadata);
        }
      }
      if (series === undefined) {
        const labels = labelsOf(ref);
        if (labels === undefined) return undefined;
        series = new WireSeries(labels, external, metadataOf === undefined ? undefined : metadataOfSeries(getLabel(labels, '__name__')));
      }
      kept.current.set(ref, series);
      return series;
    },
    clear: () => kept.clear(),
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
