import { normalizeLabels, type Label } from '../model/labels.js';
import type { MetricMetadata } from '../model/metadata.js';
import type { MetricsRegistry } from '../status/self-metrics.js';
import type { PollingInput } from './input.js';
import { PageMetadata } from './scrape/page-metadata.js';
import { parseExposition } from './scrape/parser.js';

/**
 * Outpost's own metrics as an input (OUTPOST_SELF_METRICS): each round writes every sample of the
 * registry into the WAL with `job="outpost"` and `instance=<hostname>`, as a Prometheus scraping
 * /metrics would label them, so a fleet's dashboards see each gateway's buffer state.
 *
 * Each family written also gets the type and help /metrics shows for it. They are read from the
 * registry's own text rendering, parsed as a scrape of /metrics would parse it: the registry hands
 * out samples without their family's TYPE and HELP, and the text is what it promises about them.
 * The rendering is parsed only when a family not seen before appears (at the first round, and
 * when a component registers families later), not every round.
 */
export function createSelfMetricsInput(registry: MetricsRegistry, instance: string): PollingInput {
  const metadata = new Map<string, MetricMetadata>();
  const learnMetadata = (): void => {
    const page = new PageMetadata();
    const parsed = parseExposition(registry.render(), () => {}, Infinity, undefined, page);
    // The registry renders what it validated at registration; a failure is a broken invariant.
    if (!parsed.ok) throw new Error(`own metrics render a malformed page at line ${parsed.line}: ${parsed.problem}`);
    page.forEach((family, m) => metadata.set(family, m));
  };
  return {
    name: 'self',
    collect(appender, nowMs) {
      // Families written this round, each once, in registration order.
      const written: string[] = [];
      registry.forEachSample((name, labels, value) => {
        const all: Label[] = [{ name: '__name__', value: name }, ...labels, { name: 'job', value: 'outpost' }, { name: 'instance', value: instance }];
        const normalized = normalizeLabels(all);
        if (typeof normalized === 'string') throw new Error(`own metric ${name}: ${normalized}`);
        const ref = appender.seriesRef(normalized);
        if (ref === 0) return;
        appender.append(ref, nowMs, value);
        if (written.at(-1) !== name) written.push(name);
      });
      if (written.some((name) => !metadata.has(name))) learnMetadata();
      for (const name of written) {
        const m = metadata.get(name);
        if (m !== undefined) appender.setMetadata(name, m);
      }
    },
  };
}
