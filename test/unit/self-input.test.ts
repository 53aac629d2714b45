import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSelfMetricsInput } from '../../src/inputs/self-input.js';
import { createMetricsRegistry, type MetricsRegistry } from '../../src/status/self-metrics.js';
import { recordingAppender } from '../helpers/host-fixture.js';

/** `registry` with its renders counted. */
function countingRenders(registry: MetricsRegistry): MetricsRegistry & { renders: number } {
  const counted = { ...registry, renders: 0, render: () => (counted.renders++, registry.render()) };
  return counted;
}

describe('own metrics input', () => {
  it('writes each family with the type and help /metrics shows for it', async () => {
    const registry = createMetricsRegistry();
    registry.counter('outpost_things_total', 'Things counted,\nwith a \\ in the help.', ['kind']).labels('a').inc(2);
    registry.gauge('outpost_level', 'Current level.').set(5);
    const appender = recordingAppender();
    await createSelfMetricsInput(registry, 'gw01').collect(appender, 1_700_000_000_000);
    assert.deepEqual(Object.fromEntries(appender.metadata), {
      outpost_things_total: { type: 'counter', help: 'Things counted,\nwith a \\ in the help.', unit: '' },
      outpost_level: { type: 'gauge', help: 'Current level.', unit: '' },
    });
    assert.deepEqual(appender.samples.map((s) => s.key), ['__name__=outpost_things_total,instance=gw01,job=outpost,kind=a', '__name__=outpost_level,instance=gw01,job=outpost']);
  });

  it('reads the metadata from the rendering only when a family it has not seen appears', async () => {
    const registry = countingRenders(createMetricsRegistry());
    registry.gauge('outpost_level', 'Current level.').set(1);
    const input = createSelfMetricsInput(registry, 'gw01');
    const appender = recordingAppender();
    await input.collect(appender, 1);
    await input.collect(appender, 2);
    assert.equal(registry.renders, 1);
    registry.counter('outpost_late_total', 'Registered later.').inc();
    await input.collect(appender, 3);
    assert.equal(registry.renders, 2);
    assert.equal(appender.metadata.get('outpost_late_total')?.type, 'counter');
  });
});
