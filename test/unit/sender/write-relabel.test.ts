import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../../src/lib/clock.js';
import type { Labels } from '../../../src/model/labels.js';
import { compileRelabelConfigs, type RelabelRule } from '../../../src/relabel/rules.js';
import { createWireSeriesCache } from '../../../src/sender/wire-series.js';
import { withWriteRelabel } from '../../../src/sender/write-relabel.js';

function rules(raw: unknown[]): RelabelRule[] {
  const compiled = compileRelabelConfigs(raw);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.errors.join('; '));
  return compiled.rules;
}

const SERIES: Record<number, Labels> = {
  1: [{ name: '__name__', value: 'node_load1' }],
  2: [{ name: '__name__', value: 'redis_up' }],
  3: [{ name: '__name__', value: 'node_cpu_seconds_total' }, { name: 'cpu', value: '0' }],
};

describe('write relabel', () => {
  it('drops the series its rules drop (null), keeps the others, and sees the external labels', () => {
    const clock = createManualClock();
    const wire = createWireSeriesCache((ref) => SERIES[ref], [{ name: 'site', value: 'farm7' }], clock);
    const series = withWriteRelabel(wire, rules([
      { source_labels: ['__name__'], regex: 'node_.*', action: 'keep' },
      { source_labels: ['site'], target_label: 'tenant', replacement: 'farm-$1' },
    ]), clock);
    assert.equal(series.get(2), null);
    assert.deepEqual(series.get(1)!.labels, [{ name: '__name__', value: 'node_load1' }, { name: 'site', value: 'farm7' }, { name: 'tenant', value: 'farm-farm7' }]);
    assert.equal(series.get(99), undefined, 'a ref without labels stays unknown, not filtered');
  });

  it('runs the rules once per series, not once per sample or round', () => {
    const clock = createManualClock();
    let looked = 0;
    const wire = createWireSeriesCache((ref) => { looked++; return SERIES[ref]; }, [], clock);
    let ran = 0;
    // The keep rule's regex, counting its runs.
    class CountingRegExp extends RegExp {
      override test(text: string): boolean {
        ran++;
        return super.test(text);
      }
    }
    const [keep] = rules([{ source_labels: ['__name__'], regex: 'node_.*', action: 'keep' }]);
    const counting: RelabelRule = { ...keep!, matcher: new CountingRegExp(keep!.matcher.source, keep!.matcher.flags) };
    const series = withWriteRelabel(wire, [counting], clock);
    for (let round = 0; round < 50; round++) for (const ref of [1, 2, 3]) series.get(ref);
    assert.equal(ran, 3, 'one decision per series');
    assert.equal(looked, 3);
    assert.equal(series.get(1), series.get(1), 'the same wire series every round');
  });

  it('is the shared wire series itself when an endpoint has no rules', () => {
    const clock = createManualClock();
    const wire = createWireSeriesCache((ref) => SERIES[ref], [], clock);
    assert.equal(withWriteRelabel(wire, [], clock), wire);
  });
});
