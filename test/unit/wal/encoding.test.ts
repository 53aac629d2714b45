import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeChunk, encodeChunk, MAX_CHUNK_SAMPLES, SeriesState, type SampleColumns } from '../../../src/wal/encoding.js';

function columns(samples: Array<[number, number, number]>): SampleColumns {
  return {
    refs: Uint32Array.from(samples.map((s) => s[0])),
    timestamps: Float64Array.from(samples.map((s) => s[1])),
    values: Float64Array.from(samples.map((s) => s[2])),
  };
}

function out(): SampleColumns {
  return { refs: new Uint32Array(MAX_CHUNK_SAMPLES), timestamps: new Float64Array(MAX_CHUNK_SAMPLES), values: new Float64Array(MAX_CHUNK_SAMPLES) };
}

function bits(v: number): bigint {
  return new BigUint64Array(new Float64Array([v]).buffer)[0]!;
}

/** Encodes `chunks` in sequence with one state and decodes them with another. */
function roundTrip(chunks: Array<Array<[number, number, number]>>): Array<Array<[number, number, bigint]>> {
  const writer = new SeriesState();
  const reader = new SeriesState();
  return chunks.map((samples) => {
    const blob = encodeChunk(columns(samples), 0, samples.length, writer);
    const o = out();
    const n = decodeChunk(blob, reader, o);
    return Array.from({ length: n }, (_, i) => [o.refs[i]!, o.timestamps[i]!, bits(o.values[i]!)] as [number, number, bigint]);
  });
}

const staleNaN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;

describe('WAL chunk encoding', () => {
  it('round-trips every value bit-exactly, including -0, infinities and the staleness NaN', () => {
    const special = [0, -0, 1, -1, 0.1, 1e300, -1e-300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN, staleNaN, 2 ** 53 + 2, 123456.789];
    const chunk = special.map((v, i) => [1 + (i % 3), 1_700_000_000_000 + i * 1000, v] as [number, number, number]);
    const [decoded] = roundTrip([chunk]);
    assert.deepEqual(decoded, chunk.map(([r, t, v]) => [r, t, bits(v)]));
  });

  it('round-trips arbitrary samples across chunks of one segment (property)', () => {
    const sample = fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: -1e13, max: 1e13 }), fc.oneof(fc.double(), fc.integer().map((i) => i / 100)));
    fc.assert(
      fc.property(fc.array(fc.array(sample, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 6 }), (chunks) => {
        const decoded = roundTrip(chunks);
        assert.deepEqual(decoded, chunks.map((c) => c.map(([r, t, v]) => [r, t, bits(v)])));
      }),
      { numRuns: 300 },
    );
  });

  it('stores a steady scrape of counters and idle gauges in under 3 bytes a sample', () => {
    const writer = new SeriesState();
    let bytes = 0;
    let samples = 0;
    for (let scrape = 0; scrape < 40; scrape++) {
      const s: Array<[number, number, number]> = [];
      for (let ref = 1; ref <= 1000; ref++) {
        const value = ref % 2 === 0 ? ref * 1000 + scrape * (ref % 7) * 512 : 21.5;
        s.push([ref, 1_700_000_000_000 + scrape * 15_000, value]);
      }
      bytes += encodeChunk(columns(s), 0, s.length, writer).length;
      samples += s.length;
    }
    assert.ok(bytes / samples < 3, `${bytes / samples} bytes per sample`);
  });

  it('rejects a chunk with a flipped byte instead of decoding wrong values', () => {
    const blob = encodeChunk(columns([[1, 1000, 1.5], [2, 1000, 2.5], [3, 1000, 3.5]]), 0, 3, new SeriesState());
    for (let i = 2; i < blob.length; i++) {
      const bad = Buffer.from(blob);
      bad[i] ^= 0x5a;
      assert.throws(() => decodeChunk(bad, new SeriesState(), out()), Error, `flip at byte ${i}`);
    }
  });

  it('refuses to encode more samples than a chunk may hold', () => {
    const n = MAX_CHUNK_SAMPLES + 1;
    const c = { refs: new Uint32Array(n).fill(1), timestamps: new Float64Array(n), values: new Float64Array(n) };
    assert.throws(() => encodeChunk(c, 0, n, new SeriesState()), /out of range/);
  });
});
