import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SeriesSamples } from '../../../src/sender/series-samples.js';
import { splitIntoShards } from '../../../src/sender/sender.js';
import { WireSeries } from '../../../src/sender/wire-series.js';

const columns = new Float64Array(0);
function seriesWithCounts(counts: number[]): SeriesSamples[] {
  let start = 0;
  return counts.map((count, i) => {
    const s = { series: new WireSeries([{ name: '__name__', value: `m${i}` }], []), timestamps: columns, values: columns, start, count };
    start += count;
    return s;
  });
}
const total = (list: SeriesSamples[]): number => list.reduce((n, s) => n + s.count, 0);

describe('splitIntoShards', () => {
  it('puts every series, whole, in exactly one shard, in batch order, with shares that differ by at most the largest series', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (counts, shards) => {
      const series = seriesWithCounts(counts);
      const runs = splitIntoShards(series, total(series), shards);
      assert.equal(runs.length, shards);
      assert.deepEqual(runs.flat(), series);
      const share = total(series) / shards;
      const largest = Math.max(0, ...counts);
      for (const run of runs) assert.ok(Math.abs(total(run) - share) <= largest, `run of ${total(run)} for a share of ${share}`);
    }));
  });

  it('keeps neighbours together: 8 equal series over 4 shards go two by two', () => {
    const series = seriesWithCounts([4, 4, 4, 4, 4, 4, 4, 4]);
    assert.deepEqual(splitIntoShards(series, 32, 4), [series.slice(0, 2), series.slice(2, 4), series.slice(4, 6), series.slice(6, 8)]);
  });

  it('hands one shard the whole list', () => {
    const series = seriesWithCounts([3, 1]);
    assert.equal(splitIntoShards(series, 4, 1)[0], series);
  });
});
