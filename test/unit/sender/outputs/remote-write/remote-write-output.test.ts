import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../../../src/lib/log.js';
import { metricMetadata } from '../../../../../src/model/metadata.js';
import type { Output } from '../../../../../src/sender/outputs/output.js';
import { createOutput } from '../../../../../src/sender/outputs/outputs.js';
import { encodeMetadataRequest, encodeRequest, remoteWriteHeaders } from '../../../../../src/sender/outputs/remote-write/encode.js';
import type { SeriesSamples } from '../../../../../src/sender/series-samples.js';
import type { SendResult } from '../../../../../src/sender/transport.js';
import { WireSeries } from '../../../../../src/sender/wire-series.js';

const T0 = 1_700_000_000_000;
const SERIES: SeriesSamples[] = [0, 1, 2].map((i) => ({
  series: new WireSeries([{ name: '__name__', value: 'm' }, { name: 'i', value: String(i) }], [{ name: 'site', value: 'farm7' }]),
  timestamps: Float64Array.of(T0, T0 + 15_000),
  values: Float64Array.of(i, i + 0.5),
  start: 0,
  count: 2,
}));
const ENTRIES = [{ family: 'm', metadata: metricMetadata('gauge', 'A gauge.') }];

const ok = (headers?: Record<string, string>): SendResult => ({ kind: 'ok', status: 204, durationMs: 1, ...(headers === undefined ? {} : { headers }) });
const reject = (status: number, body: string): SendResult => ({ kind: 'reject', status, body, error: `HTTP ${status}: ${body}`, durationMs: 1 });
const WROTE_ALL = { 'x-prometheus-remote-write-samples-written': '6' };

/** An output of `protocol`, and a judge of the answer to one request of SERIES (6 samples). */
function output(protocol: '1.0' | '2.0'): { output: Output; answer: (result: SendResult) => ReturnType<Output['judge']> } {
  const out = createOutput(protocol, '1.2.3', silentLogger);
  return { output: out, answer: (result) => out.judge(out.encode(SERIES), result, 6) };
}

describe('remote-write output', () => {
  for (const protocol of ['1.0', '2.0'] as const) {
    it(`encodes ${protocol} requests byte for byte as encodeRequest, with the spec's headers`, () => {
      const request = createOutput(protocol, '1.2.3', silentLogger).encode(SERIES);
      assert.equal(request.protocol, protocol);
      assert.deepEqual(request.body, encodeRequest(protocol, SERIES));
      assert.deepEqual(request.headers, remoteWriteHeaders(protocol, '1.2.3'));
    });
  }

  it('sends metadata apart under 1.0 only, in a 1.0 metadata request', () => {
    const request = createOutput('1.0', '1.2.3', silentLogger).encodeMetadata!(ENTRIES);
    assert.deepEqual(request.body, encodeMetadataRequest(ENTRIES));
    assert.deepEqual(request.headers, remoteWriteHeaders('1.0', '1.2.3'));
    assert.equal(createOutput('2.0', '1.2.3', silentLogger).encodeMetadata, null, '2.0 series carry their metadata');
  });

  it('names the refusal a receiver words, and takes a 1.0 answer as it is', () => {
    const { answer } = output('1.0');
    assert.deepEqual(answer(reject(400, 'err: out of order sample')), { kind: 'as-is', notWritten: 0, reason: 'out_of_order' });
    assert.deepEqual(answer(reject(400, 'Out Of Bounds')), { kind: 'as-is', notWritten: 0, reason: 'out_of_bounds' });
    assert.deepEqual(answer(reject(400, 'sample too old')), { kind: 'as-is', notWritten: 0, reason: 'too_old' });
    assert.deepEqual(answer(reject(415, 'unsupported')), { kind: 'as-is', notWritten: 0, reason: 'other' });
    assert.deepEqual(answer(ok()), { kind: 'as-is', notWritten: 0, reason: 'other' });
  });

  it('falls back from 2.0 to 1.0 on a 2xx without written counts, then encodes and sends metadata as 1.0', () => {
    const { output: out, answer } = output('2.0');
    assert.deepEqual(out.protocols, ['1.0', '2.0']);
    assert.deepEqual(answer(ok()), { kind: 'resend' });
    assert.equal(out.protocol, '1.0');
    assert.deepEqual(out.encode(SERIES).body, encodeRequest('1.0', SERIES));
    assert.notEqual(out.encodeMetadata, null);
  });

  it('counts what a 2.0 receiver did not write, and keeps 2.0 once it confirmed it', () => {
    const { output: out, answer } = output('2.0');
    assert.deepEqual(answer(ok({ 'x-prometheus-remote-write-samples-written': '4' })), { kind: 'as-is', notWritten: 2, reason: 'other' });
    assert.deepEqual(answer(reject(400, 'cannot decode')), { kind: 'as-is', notWritten: 0, reason: 'other' }, 'a 400 after 2.0 was confirmed');
    assert.equal(out.protocol, '2.0');
  });

  it('falls back on a 400 to an unconfirmed 2.0 request unless it refuses samples', () => {
    const refusingSamples = output('2.0');
    assert.deepEqual(refusingSamples.answer(reject(400, 'out of bounds')), { kind: 'as-is', notWritten: 0, reason: 'out_of_bounds' });
    assert.equal(refusingSamples.output.protocol, '2.0');
    const notSpeaking = output('2.0');
    assert.deepEqual(notSpeaking.answer(reject(400, 'cannot unmarshal')), { kind: 'resend' });
    assert.equal(notSpeaking.output.protocol, '1.0');
    assert.deepEqual(output('2.0').answer(ok(WROTE_ALL)), { kind: 'as-is', notWritten: 0, reason: 'other' });
  });
});
