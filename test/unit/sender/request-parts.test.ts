import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SeriesSamples } from '../../../src/sender/series-samples.js';
import { requestsOf, sampleCount, splitByTime, withoutOlderThan } from '../../../src/sender/request-parts.js';
import { WireSeries } from '../../../src/sender/wire-series.js';

/** Series `i` with the given timestamps, all views into one pair of columns. */
function columns(perSeries: number[][]): SeriesSamples[] {
  const all = perSeries.flat();
  const timestamps = Float64Array.from(all);
  const values = new Float64Array(all.length);
  let start = 0;
  return perSeries.map((ts, i) => {
    const s = { series: new WireSeries([{ name: '__name__', value: `m${i}` }], []), timestamps, values, start, count: ts.length };
    start += ts.length;
    return s;
  });
}

function times(series: SeriesSamples[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of series) out.set(s.series.labels[0]!.value, [...(out.get(s.series.labels[0]!.value) ?? []), ...s.timestamps.subarray(s.start, s.start + s.count)]);
  return out;
}

const sortedTimes = fc.array(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 8 }).map((a) => [...new Set(a)].sort((x, y) => x - y)), { minLength: 1, maxLength: 10 });

describe('request parts', () => {
  it('splits by time into an older and a newer part that together hold every sample once, each series in order', () => {
    fc.assert(fc.property(sortedTimes, (perSeries) => {
      const series = columns(perSeries);
      const halves = splitByTime(series, 1000);
      const all = perSeries.flat();
      if (Math.max(...all) - Math.min(...all) <= 1000) return halves === null;
      assert.ok(halves !== null);
      const [older, newer] = halves;
      assert.ok(sampleCount(older) > 0 && sampleCount(newer) > 0, 'both parts hold samples');
      const newestOlder = Math.max(...[...times(older).values()].flat());
      const oldestNewer = Math.min(...[...times(newer).values()].flat());
      assert.ok(newestOlder < oldestNewer, 'every older sample precedes every newer one');
      const joined = times([...older, ...newer]);
      perSeries.forEach((ts, i) => assert.deepEqual(joined.get(`m${i}`) ?? [], ts));
      return true;
    }));
  });

  it('isolates a series an hour behind the others at the first split', () => {
    const series = columns([[3_600_000, 3_601_000], [3_600_500], [0, 1000]]);
    const [older, newer] = splitByTime(series, 1000)!;
    assert.deepEqual([...times(older).keys()], ['m2']);
    assert.deepEqual([...times(newer).keys()], ['m0', 'm1']);
  });

  it('leaves out samples at or before a cutoff and counts them', () => {
    const { kept, dropped } = withoutOlderThan(columns([[1, 2, 3], [5]]), 2);
    assert.equal(dropped, 2);
    assert.deepEqual([...times(kept)], [['m0', [3]], ['m1', [5]]]);
  });

  it('cuts requests of at most the given samples, keeping each series in order', () => {
    fc.assert(fc.property(sortedTimes, fc.integer({ min: 1, max: 7 }), (perSeries, max) => {
      const requests = requestsOf(columns(perSeries), max);
      for (const r of requests) assert.ok(r.samples <= max && r.samples === sampleCount(r.series));
      const joined = times(requests.flatMap((r) => r.series));
      perSeries.forEach((ts, i) => assert.deepEqual(joined.get(`m${i}`), ts));
    }));
  });
});
