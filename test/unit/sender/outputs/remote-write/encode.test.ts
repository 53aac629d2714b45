import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Label, Labels } from '../../../../../src/model/labels.js';
import { STALE_NAN, isStaleNaN } from '../../../../../src/model/staleness.js';
import { readWrittenCounts } from '../../../../../src/sender/outputs/remote-write/answers.js';
import { encodeProtobuf, encodeRequest, remoteWriteHeaders, type RemoteWriteVersion } from '../../../../../src/sender/outputs/remote-write/encode.js';
import type { SeriesSamples } from '../../../../../src/sender/series-samples.js';
import { SeriesGrouper } from '../../../../../src/sender/series-group.js';
import { WireSeries } from '../../../../../src/sender/wire-series.js';
import { decodeRemoteWrite, type DecodedRequest } from '../../../../helpers/remote-write-schema.js';

const PROTOCOLS: RemoteWriteVersion[] = ['1.0', '2.0'];
const T0 = 1_700_000_000_000;

/** A sample value, or 'stale' for the marker (kept out of plain arrays, which may rewrite NaN bits). */
type Value = number | 'stale';

function labels(record: Record<string, string>): Label[] {
  return Object.entries(record)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Puts every series' samples into one shared pair of columns, as `SeriesGrouper` does, each series
 * merged with `external` as the sender's `WireSeriesCache` does.
 */
function seriesOf(list: Array<{ labels: Labels; samples: Array<[number, Value]> }>, external: Labels = []): SeriesSamples[] {
  const total = list.reduce((n, s) => n + s.samples.length, 0);
  const timestamps = new Float64Array(total);
  const values = new Float64Array(total);
  let at = 0;
  return list.map((s) => {
    const start = at;
    for (const [t, v] of s.samples) {
      timestamps[at] = t;
      values[at] = v === 'stale' ? STALE_NAN : v;
      at++;
    }
    return { series: new WireSeries(s.labels, external), timestamps, values, start, count: s.samples.length };
  });
}

function bitsOf(values: Float64Array): bigint[] {
  return Array.from(new BigUint64Array(values.buffer, values.byteOffset, values.length));
}

function expectedBits(samples: Array<[number, Value]>): bigint[] {
  const values = new Float64Array(samples.length);
  samples.forEach(([, v], i) => { values[i] = v === 'stale' ? STALE_NAN : v; });
  return bitsOf(values);
}

function roundTrip(protocol: RemoteWriteVersion, series: SeriesSamples[]): DecodedRequest {
  const decoded = decodeRemoteWrite(protocol, encodeRequest(protocol, series));
  assert.equal(decoded.canonical, true, 'protobufjs re-encodes the body to the same bytes');
  return decoded;
}

/** The 2.0 symbols table as the spec demands it: "" first, no repeats, every other entry used. */
function assertSymbolsTable(decoded: DecodedRequest): void {
  const symbols = decoded.symbols!;
  assert.equal(symbols[0], '');
  assert.equal(new Set(symbols).size, symbols.length, 'symbols are deduplicated');
  const used = new Set(decoded.series.flatMap((s) => s.labelsRefs!));
  for (let i = 1; i < symbols.length; i++) assert.ok(used.has(i), `symbol ${i} is referenced`);
}

describe('remote-write encoding', () => {
  for (const protocol of PROTOCOLS) {
    describe(`RW ${protocol}`, () => {
      it('decodes with the spec schema: one TimeSeries per series, labels once, samples in the order given', () => {
        const input = [
          { labels: labels({ __name__: 'node_load1', instance: 'gw01:9100', job: 'node' }), samples: [[T0, 0.5], [T0 + 15_000, 0.75], [T0 + 30_000, 0.25]] as Array<[number, Value]> },
          { labels: labels({ __name__: 'up', instance: 'gw01:9100', job: 'node' }), samples: [[T0, 1]] as Array<[number, Value]> },
        ];
        const decoded = roundTrip(protocol, seriesOf(input));
        assert.equal(decoded.series.length, 2);
        decoded.series.forEach((s, i) => {
          assert.deepEqual(s.labels, input[i]!.labels);
          assert.deepEqual(s.timestamps, input[i]!.samples.map(([t]) => t));
          assert.deepEqual(bitsOf(s.values), expectedBits(input[i]!.samples));
        });
        if (protocol === '2.0') assertSymbolsTable(decoded);
      });

      it('sends values bit-exactly: the staleness NaN, another NaN, ±Inf, -0, +0, extremes', () => {
        const values: Value[] = ['stale', NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE, -1e-300, 0.1];
        const samples = values.map((v, i) => [T0 + i, v] as [number, Value]);
        const [series] = roundTrip(protocol, seriesOf([{ labels: labels({ __name__: 'x' }), samples }])).series;
        assert.deepEqual(bitsOf(series!.values), expectedBits(samples));
        assert.ok(isStaleNaN(series!.values[0]!));
        assert.ok(!isStaleNaN(series!.values[1]!), 'an ordinary NaN stays ordinary');
        assert.ok(Object.is(series!.values[4], -0));
      });

      it('sends timestamps exactly: 0, negative, and up to the largest safe integer', () => {
        const times = [-(2 ** 53 - 1), -1, 0, 1, 127, 128, 2 ** 31, 2 ** 32 + 5, T0, 2 ** 53 - 1];
        const [series] = roundTrip(protocol, seriesOf([{ labels: labels({ __name__: 'x' }), samples: times.map((t) => [t, 1]) }])).series;
        assert.deepEqual(series!.timestamps, times);
      });

      it('adds external labels only where the series lacks the name; result sorted, unique, no empty values', () => {
        // Given out of order, as configuration may list them, with an empty value that means "none".
        const external = [{ name: 'zone', value: '' }, { name: 'site', value: 'farm7' }, { name: 'gateway', value: 'gw01' }];
        const series = seriesOf([
          { labels: labels({ __name__: 'up', job: 'node', site: 'own' }), samples: [[T0, 1]] },
          { labels: labels({ __name__: 'up', zone: 'z1' }), samples: [[T0, 1]] },
        ], external);
        const decoded = roundTrip(protocol, series);
        assert.deepEqual(decoded.series.map((s) => s.labels), [
          labels({ __name__: 'up', gateway: 'gw01', job: 'node', site: 'own' }),
          labels({ __name__: 'up', gateway: 'gw01', site: 'farm7', zone: 'z1' }),
        ]);
      });

      it('leaves out series without samples', () => {
        const series = seriesOf([
          { labels: labels({ __name__: 'a' }), samples: [] },
          { labels: labels({ __name__: 'b' }), samples: [[T0, 2]] },
        ]);
        const decoded = roundTrip(protocol, series);
        assert.deepEqual(decoded.series.map((s) => s.labels), [labels({ __name__: 'b' })]);
        if (protocol === '2.0') assertSymbolsTable(decoded);
      });

      it('writes UTF-8 label values, a lone surrogate as U+FFFD', () => {
        const series = seriesOf([{ labels: labels({ __name__: 'x', a: 'é€😀日本', b: 'bad\ud800end' }), samples: [[T0, 1]] }]);
        const [decoded] = roundTrip(protocol, series).series;
        assert.deepEqual(decoded!.labels, labels({ __name__: 'x', a: 'é€😀日本', b: 'bad\ufffdend' }));
      });

      it('encodes a request larger than its initial buffer, and a small one after it', () => {
        const big = seriesOf(Array.from({ length: 3000 }, (_, i) => ({
          labels: labels({ __name__: 'node_cpu_seconds_total', cpu: String(i), mode: 'idle', instance: 'gw01:9100' }),
          samples: [[T0, i], [T0 + 15_000, i + 0.5]] as Array<[number, Value]>,
        })));
        const decoded = roundTrip(protocol, big);
        assert.equal(decoded.series.length, 3000);
        assert.deepEqual(decoded.series[2999]!.labels, big[2999]!.series.labels);
        assert.deepEqual(decoded.series[2999]!.timestamps, [T0, T0 + 15_000]);
        assert.equal(roundTrip(protocol, seriesOf([{ labels: labels({ __name__: 'y' }), samples: [[T0, 3]] }])).series.length, 1);
      });

      it('refuses a timestamp that is not an integer number of milliseconds', () => {
        for (const t of [1.5, NaN, Infinity, 2 ** 53]) {
          assert.throws(() => encodeProtobuf(protocol, seriesOf([{ labels: labels({ __name__: 'x' }), samples: [[t, 1]] }])), /not an integer/);
        }
      });

      it('refuses a sample range outside its columns', () => {
        const series = { series: new WireSeries(labels({ __name__: 'x' }), []), timestamps: new Float64Array(2), values: new Float64Array(2), start: 1, count: 2 };
        assert.throws(() => encodeProtobuf(protocol, [series]), RangeError);
      });
    });
  }

  it('RW 2.0 interns each string once, "" first, and every ref resolves', () => {
    const series = seriesOf([
      { labels: labels({ __name__: 'node_cpu_seconds_total', cpu: '0', mode: 'idle' }), samples: [[T0, 1]] },
      { labels: labels({ __name__: 'node_cpu_seconds_total', cpu: '0', mode: 'user' }), samples: [[T0, 2]] },
      { labels: labels({ __name__: 'node_cpu_seconds_total', cpu: '1', mode: 'idle' }), samples: [[T0, 3]] },
    ], [{ name: 'site', value: 'farm7' }]);
    const decoded = roundTrip('2.0', series);
    assertSymbolsTable(decoded);
    assert.deepEqual([...decoded.symbols!].sort(), ['', '0', '1', '__name__', 'cpu', 'farm7', 'idle', 'mode', 'node_cpu_seconds_total', 'site', 'user']);
    for (const s of decoded.series) assert.equal(s.labelsRefs!.length, 8);
  });

  it('round-trips random series, labels and external labels in both protocols (property)', () => {
    const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,5}$/);
    const value = fc.string({ unit: 'binary', minLength: 1, maxLength: 6 });
    const labelSet = fc.uniqueArray(fc.record({ name, value }), { selector: (l) => l.name, minLength: 1, maxLength: 5 })
      .map((ls) => ls.sort((a, b) => (a.name < b.name ? -1 : 1)));
    const sample = fc.tuple(fc.maxSafeInteger(), fc.oneof(fc.double(), fc.constant<Value>('stale')));
    const seriesList = fc.array(fc.record({ labels: labelSet, samples: fc.array(sample, { maxLength: 4 }) }), { maxLength: 6 });
    const external = fc.uniqueArray(fc.record({ name, value: fc.oneof(value, fc.constant('')) }), { selector: (l) => l.name, maxLength: 3 });
    fc.assert(
      fc.property(fc.constantFrom(...PROTOCOLS), seriesList, external, (protocol, list, ext) => {
        const decoded = roundTrip(protocol, seriesOf(list, ext));
        const expected = list.filter((s) => s.samples.length > 0);
        assert.equal(decoded.series.length, expected.length);
        decoded.series.forEach((got, i) => {
          const want = new Map(expected[i]!.labels.map((l) => [l.name, l.value]));
          for (const l of ext) if (!want.has(l.name) && l.value !== '') want.set(l.name, l.value);
          assert.deepEqual(got.labels, labels(Object.fromEntries(want)));
          assert.deepEqual(got.timestamps, expected[i]!.samples.map(([t]) => t));
          assert.deepEqual(bitsOf(got.values), expectedBits(expected[i]!.samples));
        });
        if (protocol === '2.0') assertSymbolsTable(decoded);
      }),
      { numRuns: 300 },
    );
  });
});

describe('SeriesGrouper', () => {
  const byRef = new Map<number, WireSeries>([
    [1, new WireSeries(labels({ __name__: 'a' }), [])],
    [2, new WireSeries(labels({ __name__: 'b' }), [])],
    [3, new WireSeries(labels({ __name__: 'c' }), [])],
  ]);

  function batch(samples: Array<[number, number, Value]>): { refs: Uint32Array; timestamps: Float64Array; values: Float64Array; count: number } {
    const values = new Float64Array(samples.length);
    samples.forEach(([, , v], i) => { values[i] = v === 'stale' ? STALE_NAN : v; });
    return { refs: Uint32Array.from(samples, (s) => s[0]), timestamps: Float64Array.from(samples, (s) => s[1]), values, count: samples.length };
  }

  it('gathers each series in batch order, so one request has one TimeSeries per series', () => {
    const input = batch([[1, T0, 10], [2, T0, 20], [1, T0 + 1, 11], [3, T0, 'stale'], [2, T0 + 1, 21], [1, T0 + 2, 12]]);
    const { series, unlabelled } = new SeriesGrouper().group(input, (ref) => byRef.get(ref));
    assert.equal(unlabelled, 0);
    assert.deepEqual(series.map((s) => [s.series, s.start, s.count]), [[byRef.get(1), 0, 3], [byRef.get(2), 3, 2], [byRef.get(3), 5, 1]]);
    for (const protocol of PROTOCOLS) {
      const decoded = roundTrip(protocol, series);
      assert.deepEqual(decoded.series.map((s) => s.timestamps), [[T0, T0 + 1, T0 + 2], [T0, T0 + 1], [T0]]);
      assert.deepEqual(decoded.series.map((s) => Array.from(s.values.subarray(0, 2))).slice(0, 2), [[10, 11], [20, 21]]);
      assert.ok(isStaleNaN(decoded.series[2]!.values[0]!));
    }
  });

  it('looks labels up once per series, leaves out and counts samples of unknown series', () => {
    const asked: number[] = [];
    const input = batch([[1, T0, 1], [9, T0, 2], [1, T0 + 1, 3], [9, T0 + 1, 4]]);
    const { series, unlabelled } = new SeriesGrouper().group(input, (ref) => { asked.push(ref); return byRef.get(ref); });
    assert.deepEqual(asked, [1, 9]);
    assert.equal(unlabelled, 2);
    assert.deepEqual(series.map((s) => [s.series, s.count]), [[byRef.get(1), 2]]);
    assert.deepEqual(Array.from(series[0]!.values.subarray(series[0]!.start, series[0]!.start + series[0]!.count)), [1, 3]);
  });

  it('copies the columns: the result survives the WAL reusing its buffers', () => {
    const input = batch([[2, T0, 5], [1, T0, 'stale']]);
    const { series } = new SeriesGrouper().group({ ...input, count: 2 }, (ref) => byRef.get(ref));
    input.timestamps.fill(0);
    input.values.fill(0);
    assert.deepEqual([series[0]!.timestamps[series[0]!.start], series[1]!.timestamps[series[1]!.start]], [T0, T0]);
    assert.equal(series[0]!.values[series[0]!.start], 5);
    assert.ok(isStaleNaN(series[1]!.values[series[1]!.start]!));
  });

  it('groups batch after batch with one grouper, each result right until the next, beyond its first sizes', () => {
    const grouper = new SeriesGrouper();
    const many = new Map<number, WireSeries>();
    for (let ref = 1; ref <= 3000; ref++) many.set(ref, new WireSeries(labels({ __name__: `m${ref}` }), []));
    for (const [first, seriesCount, perSeries] of [[1, 3, 2], [500, 2500, 2], [2, 2, 3]] as const) {
      const samples: Array<[number, number, Value]> = [];
      for (let k = 0; k < perSeries; k++) for (let r = first; r < first + seriesCount; r++) samples.push([r, T0 + k, r * 10 + k]);
      const { series, unlabelled } = grouper.group(batch(samples), (ref) => many.get(ref));
      assert.equal(unlabelled, 0);
      assert.equal(series.length, seriesCount);
      series.forEach((s, i) => {
        assert.equal(s.series, many.get(first + i));
        assert.equal(s.count, perSeries);
        assert.deepEqual(Array.from(s.values.subarray(s.start, s.start + s.count)), Array.from({ length: perSeries }, (_, k) => (first + i) * 10 + k));
        assert.deepEqual(Array.from(s.timestamps.subarray(s.start, s.start + s.count)), Array.from({ length: perSeries }, (_, k) => T0 + k));
      });
    }
  });

  it('reads only the first `count` samples of longer columns', () => {
    const input = batch([[1, T0, 1], [2, T0, 2], [3, T0, 3]]);
    const { series } = new SeriesGrouper().group({ ...input, count: 2 }, (ref) => byRef.get(ref));
    assert.deepEqual(series.map((s) => s.series), [byRef.get(1), byRef.get(2)]);
  });
});

describe('remote-write headers', () => {
  it('sends the 1.0 headers', () => {
    assert.deepEqual(remoteWriteHeaders('1.0', '1.2.3'), {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': 'outpost/1.2.3',
    });
  });

  it('sends the 2.0 headers, naming the message in Content-Type', () => {
    assert.deepEqual(remoteWriteHeaders('2.0', '1.2.3'), {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
      'X-Prometheus-Remote-Write-Version': '2.0.0',
      'User-Agent': 'outpost/1.2.3',
    });
  });

  it('reads the 2.0 Written headers; missing or malformed ones count 0; none at all is null', () => {
    const from = (h: Record<string, string>) => (name: string) => new Headers(h).get(name);
    assert.deepEqual(readWrittenCounts(from({ 'x-prometheus-remote-write-samples-written': '2000', 'X-Prometheus-Remote-Write-Exemplars-Written': 'many' })), {
      samples: 2000, histograms: 0, exemplars: 0,
    });
    assert.equal(readWrittenCounts(from({ 'content-type': 'text/plain' })), null);
  });
});
