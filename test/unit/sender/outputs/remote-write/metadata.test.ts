import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { uncompress } from 'snappyjs';
import type { Labels } from '../../../../../src/model/labels.js';
import { metricMetadata, type MetricMetadata, type MetricType } from '../../../../../src/model/metadata.js';
import { encodeMetadataRequest, encodeProtobuf, encodeRequest } from '../../../../../src/sender/outputs/remote-write/encode.js';
import { encodeV1Metadata } from '../../../../../src/sender/outputs/remote-write/rw-messages.js';
import type { SeriesSamples } from '../../../../../src/sender/series-samples.js';
import { WireSeries } from '../../../../../src/sender/wire-series.js';
import { decodeRemoteWrite, decodeV1MetadataRequest } from '../../../../helpers/remote-write-schema.js';

const T0 = 1_700_000_000_000;
const TYPES: MetricType[] = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

const named = (name: string, extra: Record<string, string> = {}): Labels => [{ name: '__name__', value: name }, ...Object.entries(extra).map(([n, value]) => ({ name: n, value }))];

/** One sample per series, at T0 + i, each series with the metadata given (or none). */
function requestOf(list: Array<[Labels, MetricMetadata | undefined]>): SeriesSamples[] {
  const timestamps = Float64Array.from(list, (_, i) => T0 + i);
  const values = Float64Array.from(list, (_, i) => i + 0.5);
  return list.map(([labels, metadata], i) => ({ series: new WireSeries(labels, [{ name: 'site', value: 'farm7' }], metadata), timestamps, values, start: i, count: 1 }));
}

describe('1.0 metadata request', () => {
  it('holds one MetricMetadata per family, with every type, as Prometheus\'s schema reads it', () => {
    const entries = TYPES.map((type, i) => ({ family: `family_${type}`, metadata: metricMetadata(type, i % 2 === 0 ? `Help of ${type}, with ünïcode\nand a line break.` : '', i === 3 ? 'seconds' : '') }));
    const { metadata, canonical } = decodeV1MetadataRequest(encodeMetadataRequest(entries));
    assert.equal(canonical, true, 'protobufjs re-encodes the body to the same bytes: fields in order, defaults left out');
    assert.deepEqual(metadata, entries.map(({ family, metadata: m }) => ({ type: m.type.toUpperCase(), metric_family_name: family, help: m.help, unit: m.unit })));
  });

  it('is the Snappy block of encodeV1Metadata, and an empty list is an empty message', () => {
    const entries = [{ family: 'up', metadata: metricMetadata('gauge', 'Health of the scrape target.') }];
    assert.deepEqual(uncompress(encodeMetadataRequest(entries)), encodeV1Metadata(entries).slice());
    assert.deepEqual(decodeV1MetadataRequest(encodeMetadataRequest([])).metadata, []);
  });
});

describe('2.0 metadata on each series', () => {
  const counter = metricMetadata('counter', 'Requests served.', 'requests');
  const histogram = metricMetadata('histogram', 'Latency of requests.', 'seconds');

  it('carries type, help and unit through the symbols table, as the spec schema reads it', () => {
    const decoded = decodeRemoteWrite('2.0', encodeRequest('2.0', requestOf([
      [named('http_requests_total', { code: '200' }), counter],
      [named('latency_seconds_bucket', { le: '0.5' }), histogram],
      [named('latency_seconds_count'), histogram],
      [named('no_metadata'), undefined],
    ])));
    assert.equal(decoded.canonical, true);
    assert.deepEqual(decoded.series.map((s) => s.metadata), [
      { type: 'METRIC_TYPE_COUNTER', help: 'Requests served.', unit: 'requests' },
      { type: 'METRIC_TYPE_HISTOGRAM', help: 'Latency of requests.', unit: 'seconds' },
      { type: 'METRIC_TYPE_HISTOGRAM', help: 'Latency of requests.', unit: 'seconds' },
      undefined,
    ]);
    const symbols = decoded.symbols!;
    assert.equal(new Set(symbols).size, symbols.length, 'each help and unit text once');
    assert.deepEqual(symbols.slice(-4), ['Requests served.', 'requests', 'Latency of requests.', 'seconds'], 'metadata texts after every label string');
  });

  it('maps every type to the v2 enum, unknown to UNSPECIFIED, and sends no field for metadata that is all defaults', () => {
    const decoded = decodeRemoteWrite('2.0', encodeRequest('2.0', requestOf(TYPES.map((type) => [named(`m_${type}`), metricMetadata(type, type === 'unknown' ? '' : 'h')]))));
    assert.equal(decoded.canonical, true);
    assert.deepEqual(decoded.series.map((s) => s.metadata?.type), [undefined, ...TYPES.slice(1).map((t) => `METRIC_TYPE_${t.toUpperCase()}`)]);
    const onlyHelp = decodeRemoteWrite('2.0', encodeRequest('2.0', requestOf([[named('m'), metricMetadata('unknown', 'just help')]])));
    assert.deepEqual(onlyHelp.series[0]!.metadata, { type: 'METRIC_TYPE_UNSPECIFIED', help: 'just help', unit: '' });
  });

  it('leaves label refs as they are without metadata, and a request without metadata unchanged', () => {
    const list: Array<[Labels, MetricMetadata | undefined]> = [[named('a_total', { x: '1' }), counter], [named('b', { y: '2' }), undefined]];
    const withMetadata = decodeRemoteWrite('2.0', encodeRequest('2.0', requestOf(list)));
    const without = requestOf(list.map(([labels]) => [labels, undefined]));
    const plain = decodeRemoteWrite('2.0', encodeRequest('2.0', without));
    assert.deepEqual(withMetadata.series.map((s) => s.labelsRefs), plain.series.map((s) => s.labelsRefs));
    assert.deepEqual(withMetadata.symbols!.slice(0, plain.symbols!.length), plain.symbols);
    assert.ok(plain.series.every((s) => s.metadata === undefined));
    // All-default metadata is no metadata on the wire: the very same bytes.
    const defaults = requestOf(list.map(([labels]) => [labels, metricMetadata('unknown', '')]));
    assert.deepEqual(encodeProtobuf('2.0', defaults).slice(), encodeProtobuf('2.0', without).slice());
  });

  it('never puts metadata into a 1.0 sample request', () => {
    const list: Array<[Labels, MetricMetadata | undefined]> = [[named('a_total'), counter], [named('b'), histogram]];
    const withMetadata = encodeProtobuf('1.0', requestOf(list)).slice();
    assert.deepEqual(withMetadata, encodeProtobuf('1.0', requestOf(list.map(([labels]) => [labels, undefined]))).slice());
    assert.equal(decodeRemoteWrite('1.0', encodeRequest('1.0', requestOf(list))).canonical, true);
  });
});
