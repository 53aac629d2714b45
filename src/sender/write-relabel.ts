/**
 * An endpoint's write relabel rules (OUTPOST_ENDPOINT_<NAME>_RELABEL_CONFIG_FILE), Prometheus's
 * `write_relabel_configs`: applied on the way to that endpoint only, to the labels as they go on
 * the wire (external labels merged in, as Prometheus does).
 *
 * The rules run once per series, not once per sample: the outcome is kept by WAL ref (refs are
 * never reused) next to the wire series it was computed from, and computed again only when that
 * wire series is rebuilt (its family's metadata changed) or has left the shared cache. Outcomes of
 * series not asked for over a generation leave, as in the wire-series cache.
 */
import type { Clock } from '../lib/clock.js';
import { Generations } from '../lib/generations.js';
import { getLabel } from '../model/labels.js';
import type { MetricMetadata } from '../model/metadata.js';
import { relabel } from '../relabel/relabel.js';
import type { RelabelRule } from '../relabel/rules.js';
import { WireSeries, type WireSeriesCache } from './wire-series.js';

/** The series one endpoint sends, by WAL ref. */
export interface EndpointSeries {
  /** The series of `ref` as this endpoint gets it; null when its rules drop it; undefined when the WAL has no labels for it. */
  get(ref: number): WireSeries | null | undefined;
}

interface Outcome {
  readonly from: WireSeries;
  readonly to: WireSeries | null;
}

/**
 * `wire` seen through `rules`; `wire` itself when there are none. `metadataOf` gives the metadata
 * of a series whose metric name the rules change (as for `createWireSeriesCache`).
 */
export function withWriteRelabel(
  wire: WireSeriesCache,
  rules: readonly RelabelRule[],
  clock: Clock,
  metadataOf?: (metricName: string) => MetricMetadata | undefined,
  generationMs = 10 * 60_000,
): EndpointSeries {
  if (rules.length === 0) return wire;
  const outcomes = new Generations<Outcome>(clock, generationMs);
  let misses = 0;

  function decide(from: WireSeries): WireSeries | null {
    const labels = relabel(from.labels, rules);
    if (labels === null || labels.length === 0) return null;
    if (labels === from.labels) return from;
    const name = getLabel(labels, '__name__');
    // Labels are final: merging them with no external label leaves them as they are.
    return new WireSeries(labels, [], name === undefined || metadataOf === undefined ? undefined : metadataOf(name));
  }

  return {
    get(ref) {
      const from = wire.get(ref);
      if (from === undefined) return undefined;
      let outcome = outcomes.current.get(ref);
      if (outcome !== undefined && outcome.from === from) return outcome.to;
      if (outcome === undefined) {
        // The clock is read on misses only; a steady stream asks for the same series every round.
        if (++misses >= 1024) {
          misses = 0;
          outcomes.rotateIfDue();
        }
        outcome = outcomes.takePrevious(ref);
      }
      if (outcome === undefined || outcome.from !== from) outcome = { from, to: decide(from) };
      outcomes.current.set(ref, outcome);
      return outcome.to;
    },
  };
}
