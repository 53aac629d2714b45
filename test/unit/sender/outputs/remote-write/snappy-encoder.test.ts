import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compress, uncompress } from 'snappyjs';
import type { Label } from '../../../../../src/model/labels.js';
import { encodeProtobuf, type RemoteWriteVersion } from '../../../../../src/sender/outputs/remote-write/encode.js';
import { snappyCompress, type SnappyEffort } from '../../../../../src/sender/outputs/remote-write/snappy-encoder.js';
import type { SeriesSamples } from '../../../../../src/sender/series-samples.js';
import { WireSeries } from '../../../../../src/sender/wire-series.js';
import { decodeRemoteWrite } from '../../../../helpers/remote-write-schema.js';

/** snappyjs's bound on a compressed block, which a worst case must stay within. */
const bound = (n: number): number => 32 + n + Math.floor(n / 6);

function assertRoundTrip(input: Uint8Array, effort: SnappyEffort): Uint8Array {
  const compressed = snappyCompress(input, effort);
  assert.ok(compressed.length <= bound(input.length), `${compressed.length} bytes for ${input.length}, over the bound`);
  const back = uncompress(compressed);
  assert.equal(back.length, input.length);
  assert.ok(Buffer.from(back).equals(Buffer.from(input)), `round trip of ${input.length} bytes differs`);
  return compressed;
}

/** `unit` repeated to `length` bytes: copies whose offset is shorter than their length. */
function periodic(unit: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = unit[i % unit.length]!;
  return out;
}

/** Deterministic pseudo-random bytes (xorshift), so big inputs need no fast-check shrinking. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Text like an exposition page: labels repeated with varying numbers, matches at many offsets. */
function exposition(length: number): Uint8Array {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const line = `node_cpu_seconds_total{cpu="${i % 64}",mode="${['idle', 'user', 'system'][i % 3]}",instance="gw${i % 7}:9100"} ${(i * 7919) % 100_003}.${i % 100}\n`;
    parts.push(line);
    size += line.length;
  }
  return new TextEncoder().encode(parts.join('')).slice(0, length);
}

/**
 * A request of `seriesCount` node_exporter-like series with `perSeries` samples each, values
 * wandering as a scrape's do: what the encoder compresses in production.
 */
function requestBody(protocol: RemoteWriteVersion, seriesCount: number, perSeries: number): Uint8Array {
  const timestamps = new Float64Array(seriesCount * perSeries);
  const values = new Float64Array(seriesCount * perSeries);
  const series: SeriesSamples[] = [];
  let x = 12345;
  for (let s = 0; s < seriesCount; s++) {
    const labels: Label[] = [
      { name: '__name__', value: 'node_cpu_seconds_total' },
      { name: 'cpu', value: String(s >> 3) },
      { name: 'instance', value: `127.0.0.1:${9100 + (s % 4)}` },
      { name: 'job', value: 'node' },
      { name: 'mode', value: ['idle', 'user', 'system', 'iowait', 'irq', 'softirq', 'steal', 'nice'][s & 7]! },
    ];
    let v = s * 1000;
    for (let k = 0; k < perSeries; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      v += Math.round((x / 2 ** 32) * 10_000) / 100;
      timestamps[s * perSeries + k] = 1_767_225_600_000 + k * 15_000;
      values[s * perSeries + k] = v;
    }
    series.push({ series: new WireSeries(labels, []), timestamps, values, start: s * perSeries, count: perSeries });
  }
  return encodeProtobuf(protocol, series).slice();
}

for (const effort of ['fast', 'dense'] as const) describe(`snappyCompress, ${effort}`, () => {
  it('round-trips random bytes through snappyjs, within the size bound', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), (input) => { assertRoundTrip(input, effort); }), { numRuns: 300 });
  });

  it('round-trips text with repeats at many offsets', () => {
    const words = ['node_cpu', '{cpu="0"}', ' 1.5', '\n', 'instance', 'xyz', 'a', 'aaaa'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...words), { maxLength: 1500 }), (parts) => {
      assertRoundTrip(new TextEncoder().encode(parts.join('')), effort);
    }), { numRuns: 300 });
  });

  it('round-trips runs and short periods, which need copies overlapping their own output', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.integer({ min: 0, max: 20_000 }), (unit, length) => {
      assertRoundTrip(periodic(unit, length), effort);
    }), { numRuns: 300 });
    for (const length of [4, 5, 11, 12, 63, 64, 65, 66, 67, 68, 69, 127, 128, 129, 200_000]) {
      const compressed = assertRoundTrip(new Uint8Array(length).fill(0x41), effort);
      if (length >= 1000) assert.ok(compressed.length < length / 15, `a run of ${length} takes ${compressed.length} bytes`);
    }
  });

  it('encodes the empty input as its zero length alone, and round-trips every tiny input', () => {
    assert.deepEqual(snappyCompress(new Uint8Array(0), effort), Uint8Array.of(0));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 20 }), (input) => { assertRoundTrip(input, effort); }), { numRuns: 500 });
    // Few distinct bytes, so tiny inputs hold matches near the end, where the 4-byte hash stops.
    fc.assert(fc.property(fc.array(fc.constantFrom(0, 1), { maxLength: 20 }), (bits) => { assertRoundTrip(Uint8Array.from(bits), effort); }), { numRuns: 500 });
  });

  it('round-trips inputs beyond 64 KiB and 1 MiB, with matches reaching across 64 KiB boundaries', () => {
    for (const input of [exposition(70_000), exposition(1_500_000), noise(1_200_000, 7), periodic(noise(70_000, 3), 300_000)]) {
      assertRoundTrip(input, effort);
    }
    // A repeat exactly 64 KiB back is out of reach (offsets are 16 bits); one byte nearer is not.
    assertRoundTrip(periodic(noise(65_536, 5), 200_000), effort);
    assert.ok(assertRoundTrip(periodic(noise(65_535, 5), 200_000), effort).length < 80_000);
    // The same edge where a run between two tokens keeps the search matching, so the fast effort
    // reaches the second token with the first one's position still in its table.
    const token = noise(8, 11);
    const tokenAfter = (distance: number): Uint8Array => {
      const input = new Uint8Array(distance + 8 + 100).fill(0x41);
      input.set(token, 0);
      input.set(token, distance);
      input.set(noise(100, 13), distance + 8);
      return input;
    };
    assertRoundTrip(tokenAfter(65_536), effort);
    assertRoundTrip(tokenAfter(65_535), effort);
    // Random bytes are incompressible: little over their own size, far from the bound.
    assert.ok(snappyCompress(noise(1_200_000, 9), effort).length < 1_200_000 * 1.01);
  });

  it('round-trips remote-write bodies, which the spec schema then decodes', () => {
    for (const protocol of ['1.0', '2.0'] as const) {
      for (const [seriesCount, perSeries] of [[1, 1], [2000, 1], [33, 60], [400, 5]] as const) {
        const body = requestBody(protocol, seriesCount, perSeries);
        const compressed = assertRoundTrip(body, effort);
        const decoded = decodeRemoteWrite(protocol, compressed);
        assert.equal(decoded.series.length, seriesCount);
      }
    }
  });

  it(effort === 'dense' ? 'makes realistic request bodies smaller than snappyjs and the fast effort do' : 'makes realistic request bodies no larger than snappyjs does', () => {
    for (const protocol of ['1.0', '2.0'] as const) {
      for (const [seriesCount, perSeries] of [[2000, 1], [33, 60]] as const) {
        const body = requestBody(protocol, seriesCount, perSeries);
        const ours = snappyCompress(body, effort).length;
        const theirs = compress(body).length;
        if (effort === 'fast') {
          assert.ok(ours <= theirs, `RW ${protocol}, ${perSeries} per series: ${ours} bytes, snappyjs ${theirs}`);
        } else {
          const fast = snappyCompress(body, 'fast').length;
          assert.ok(ours < Math.min(theirs, fast), `RW ${protocol}, ${perSeries} per series: ${ours} bytes, snappyjs ${theirs}, fast ${fast}`);
        }
      }
    }
  });

  it('returns a new array each call, not a view of its reused buffer', () => {
    const first = snappyCompress(exposition(5000), effort);
    const copy = first.slice();
    snappyCompress(noise(5000, 1), effort);
    assert.deepEqual(first, copy);
    assert.equal(first.byteOffset, 0);
    assert.equal(first.buffer.byteLength, first.length);
  });
});
