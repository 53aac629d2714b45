import { normalizeLabels, type Label } from '../model/labels.js';
import type { MetricsRegistry } from '../status/self-metrics.js';
import type { PollingInput } from './input.js';

/**
 * Outpost's own metrics as an input (OUTPOST_SELF_METRICS): each round writes every sample of the
 * registry into the WAL with `job="outpost"` and `instance=<hostname>`, as a Prometheus scraping
 * /metrics would label them, so a fleet's dashboards see each gateway's buffer state.
 */
export function createSelfMetricsInput(registry: MetricsRegistry, instance: string): PollingInput {
  return {
    name: 'self',
    collect(appender, nowMs) {
      registry.forEachSample((name, labels, value) => {
        const all: Label[] = [{ name: '__name__', value: name }, ...labels, { name: 'job', value: 'outpost' }, { name: 'instance', value: instance }];
        const normalized = normalizeLabels(all);
        if (typeof normalized === 'string') throw new Error(`own metric ${name}: ${normalized}`);
        const ref = appender.seriesRef(normalized);
        if (ref !== 0) appender.append(ref, nowMs, value);
      });
    },
  };
}
