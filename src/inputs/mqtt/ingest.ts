/**
 * One MQTT message → samples in the WAL's pending batch: topic template match, payload mapping,
 * series lookup, append. Separate from the MQTT client so it can be tested without a broker.
 *
 * Per sample the only allocation is the series key string (the registry's map needs one): the
 * label set is a per-message scratch array whose `__name__` value is overwritten for each sample,
 * and a fresh copy is made only if the appender asks for labels of a series it does not know.
 *
 * Every family MQTT writes is a gauge without help (a payload says nothing more about its
 * numbers). That is stated to the WAL once per family, then again only after the WAL collected
 * series (its series generation changed), as it may have forgotten the family then.
 */
import type { TopicTemplate } from '../../config/templates.js';
import type { Clock } from '../../lib/clock.js';
import { labelsKey, normalizeLabels, type Label, type Labels } from '../../model/labels.js';
import { metricMetadata } from '../../model/metadata.js';
import type { WalAppender } from '../../wal/wal.js';
import { parsePayload, PayloadSamples, type Rejection } from './payload.js';
import { matchTopic } from './topic-match.js';

/** What an ingester needs: the parsed `OUTPOST_MQTT_TOPICS`, where samples go, the payload limit and the clock for receipt times. */
export interface IngesterOptions {
  templates: readonly TopicTemplate[];
  appender: WalAppender;
  maxPayloadBytes: number;
  clock: Clock;
}

const MQTT_METADATA = metricMetadata('gauge', '');

/** Maps messages to samples; holds reusable buffers, so one ingester serves one input (not re-entrant). */
export interface MqttIngester {
  /**
   * Appends the samples of one message to the WAL's pending batch (durable after the next
   * commit). Returns how many were appended (fewer than the payload held when the cardinality cap
   * refused series; those are counted by the WAL), or the rejection, in which case nothing was
   * appended. Never throws on any topic or payload.
   */
  ingest(topic: string, payload: Uint8Array): number | Rejection;
}

/** Creates the ingester of one MQTT input. */
export function createMqttIngester(options: IngesterOptions): MqttIngester {
  const { templates, appender, maxPayloadBytes, clock } = options;
  const samples = new PayloadSamples();
  // The label set of the sample being appended; rebuilt per message, `nameLabel` edited per sample.
  let scratch: Label[] = [];
  const nameLabel = { name: '__name__', value: '' };
  const copyLabels = (): Labels => scratch.map((l) => ({ name: l.name, value: l.value }));
  // Families whose metadata the WAL has been given since `generation`.
  const stated = new Set<string>();
  let generation = appender.seriesGeneration();

  return {
    ingest(topic, payload) {
      // Size first: a huge payload is refused before any work is spent on it.
      if (payload.length > maxPayloadBytes) return { reason: 'too_large', detail: `payload of ${payload.length} bytes exceeds the limit of ${maxPayloadBytes}` };
      const match = matchTopic(templates, topic);
      if (match === null) return { reason: 'bad_topic', detail: 'no topic template matches' };
      if (match.name === '') return { reason: 'bad_topic', detail: 'the {__name__} level of the topic is empty' };
      const captured = normalizeLabels(match.labels);
      if (typeof captured === 'string') return { reason: 'bad_topic', detail: captured };
      const rejection = parsePayload(payload, match.name, maxPayloadBytes, samples);
      if (rejection !== null) return rejection;

      scratch = withName(captured);
      const timestampMs = samples.timestampMs ?? clock.now();
      if (appender.seriesGeneration() !== generation) {
        generation = appender.seriesGeneration();
        stated.clear();
      }
      let appended = 0;
      for (let i = 0; i < samples.count; i++) {
        const name = samples.names[i]!;
        nameLabel.value = name;
        const ref = appender.seriesRefByKey(labelsKey(scratch), copyLabels);
        if (ref === 0) continue;
        appender.append(ref, timestampMs, samples.values[i]!);
        appended++;
        if (!stated.has(name)) {
          stated.add(name);
          appender.setMetadata(name, MQTT_METADATA);
        }
      }
      return appended;
    },
  };

  /** `labels` (sorted) with `nameLabel` in its sorted place. */
  function withName(labels: Labels): Label[] {
    const out: Label[] = [];
    let placed = false;
    for (const label of labels) {
      if (!placed && label.name > '__name__') {
        out.push(nameLabel);
        placed = true;
      }
      out.push(label);
    }
    if (!placed) out.push(nameLabel);
    return out;
  }
}
