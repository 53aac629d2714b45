import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../../src/lib/clock.js';
import type { Labels } from '../../../src/model/labels.js';
import { metadataOfMetric, metricMetadata } from '../../../src/model/metadata.js';
import { createWireSeriesCache, WireSeries } from '../../../src/sender/wire-series.js';
import { decodeRemoteWrite } from '../../helpers/remote-write-schema.js';
import { encodeRequest } from '../../../src/sender/outputs/remote-write/encode.js';

const up = (job: string): Labels => [{ name: '__name__', value: 'up' }, { name: 'job', value: job }];

describe('WireSeries', () => {
  it('merges external labels in, keeps the series own value on a clash, drops empty values', () => {
    const own: Labels = [{ name: '__name__', value: 'up' }, { name: 'site', value: 'own' }, { name: 'zone', value: '' }];
    const series = new WireSeries(own, [{ name: 'zone', value: 'z1' }, { name: 'site', value: 'farm7' }, { name: 'gw', value: 'gw01' }]);
    assert.deepEqual(series.labels, [{ name: '__name__', value: 'up' }, { name: 'gw', value: 'gw01' }, { name: 'site', value: 'own' }]);
  });

  it('encodes the 1.0 labels once and sends the same bytes in every request', () => {
    const series = new WireSeries(up('node'), [{ name: 'site', value: 'farm7' }]);
    const { v1Chunk, v1Start } = series;
    for (const t of [1_000, 2_000]) {
      const body = encodeRequest('1.0', [{ series, timestamps: Float64Array.of(t), values: Float64Array.of(1), start: 0, count: 1 }]);
      const [decoded] = decodeRemoteWrite('1.0', body).series;
      assert.deepEqual(decoded!.labels, [{ name: '__name__', value: 'up' }, { name: 'job', value: 'node' }, { name: 'site', value: 'farm7' }]);
      assert.deepEqual(decoded!.timestamps, [t]);
    }
    assert.equal(series.v1Chunk, v1Chunk);
    assert.equal(series.v1Start, v1Start);
  });

  it('gives back labels with any UTF-8 text and its metric name from the encoded bytes', () => {
    const own: Labels = [{ name: '__name__', value: 'temperature_celsius' }, { name: 'room', value: 'Küche 🌡' }];
    const series = new WireSeries(own, [{ name: 'site', value: 'farm7' }]);
    assert.equal(series.metricName(), 'temperature_celsius');
    assert.deepEqual(series.labels, [...own, { name: 'site', value: 'farm7' }]);
    assert.equal(new WireSeries([{ name: 'job', value: 'x' }], []).metricName(), undefined);
  });

  it('keeps the series it moves to a new chunk byte for byte', () => {
    const kept = new WireSeries(up('kept'), []);
    // Fill the chunk past its end so the next store starts a new one.
    for (let i = 0; i < 2_000; i++) new WireSeries(up(`filler-${i}`), []);
    const before = kept.v1Chunk;
    kept.moveToCurrentChunk();
    assert.notEqual(kept.v1Chunk, before);
    assert.deepEqual(kept.labels, up('kept'));
  });
});

describe('createWireSeriesCache', () => {
  function setup() {
    const clock = createManualClock();
    const asked: number[] = [];
    const known = new Map<number, Labels>([[1, up('a')], [2, up('b')]]);
    const cache = createWireSeriesCache((ref) => { asked.push(ref); return known.get(ref); }, [], clock, 1_000);
    return { clock, asked, cache };
  }

  it('reads a series labels from the WAL once while it keeps being sent', () => {
    const { clock, asked, cache } = setup();
    const first = cache.get(1);
    for (let i = 0; i < 10; i++) {
      clock.advance(600);
      assert.equal(cache.get(1), first);
    }
    assert.deepEqual(asked, [1]);
  });

  it('answers undefined for a ref the WAL has no labels for', () => {
    const { cache } = setup();
    assert.equal(cache.get(9), undefined);
  });

  it('forgets a series not sent for two generations, so churned series do not pile up', () => {
    const { clock, asked, cache } = setup();
    const before = cache.get(2);
    clock.advance(1_000);
    cache.get(1);
    clock.advance(1_000);
    cache.get(1);
    const after = cache.get(2);
    assert.notEqual(after, before);
    assert.deepEqual(after!.labels, before!.labels);
    assert.deepEqual(asked, [2, 1, 2]);
  });
});

describe('createWireSeriesCache with metadata', () => {
  const histogram = metricMetadata('histogram', 'Latency.', 'seconds');

  it('gives each series the metadata of its family, looked up once while it keeps being sent', () => {
    const clock = createManualClock();
    const table = new Map([['latency_seconds', histogram]]);
    const lookups: string[] = [];
    const metadataOf = (name: string) => metadataOfMetric(name, (f) => { lookups.push(f); return table.get(f); });
    const labels = new Map<number, Labels>([[1, [{ name: '__name__', value: 'latency_seconds_bucket' }, { name: 'le', value: '1' }]], [2, up('a')]]);
    const cache = createWireSeriesCache((ref) => labels.get(ref), [], clock, 1_000, metadataOf);
    assert.equal(cache.get(1)!.metadata, histogram);
    assert.equal(cache.get(2)!.metadata, undefined);
    const asked = lookups.length;
    for (let i = 0; i < 10; i++) cache.get(1);
    assert.equal(lookups.length, asked);
  });

  it('picks up a family\'s changed metadata within two periods, keeping the series object otherwise', () => {
    const clock = createManualClock();
    const table = new Map([['up', metricMetadata('gauge', 'Old help.')]]);
    const cache = createWireSeriesCache(() => up('a'), [{ name: 'site', value: 'farm7' }], clock, 1_000, (name) => table.get(name));
    const first = cache.get(1)!;
    // The cache reads the clock on a miss (ref 9, 8): that starts a new period.
    clock.advance(1_000);
    cache.get(9);
    assert.equal(cache.get(1), first, 'unchanged metadata: the same series');
    table.set('up', metricMetadata('gauge', 'New help.'));
    clock.advance(1_000);
    cache.get(8);
    const second = cache.get(1)!;
    assert.equal(second.metadata?.help, 'New help.');
    assert.deepEqual(second.labels, first.labels, 'external labels stay merged');
  });

  it('sends no metadata without a lookup', () => {
    const cache = createWireSeriesCache(() => up('a'), [], createManualClock());
    assert.equal(cache.get(1)!.metadata, undefined);
  });
});
