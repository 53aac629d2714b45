import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compress } from 'snappyjs';
import { snappyFloor } from '../../../scripts/bench/snappy-floor.js';

/** Bytes of the uncompressed-length varint that starts every Snappy block (the floor leaves it out). */
function headerBytes(length: number): number {
  let n = 1;
  while (length >= 128) { length = Math.floor(length / 128); n++; }
  return n;
}

describe('snappyFloor', () => {
  it('never exceeds what snappyjs produces, for text, repeats and random bytes', () => {
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      fc.array(fc.constantFrom(...['node_cpu', '{cpu="0"}', ' 1.5', '\n', 'instance', 'xyz']), { maxLength: 400 }).map((parts) => new TextEncoder().encode(parts.join(''))),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 100 })).map(([unit, times]) => {
        const out = new Uint8Array(unit.length * times);
        for (let i = 0; i < times; i++) out.set(unit, i * unit.length);
        return out;
      }),
    );
    fc.assert(fc.property(inputs, (bytes) => {
      const floor = snappyFloor(bytes);
      assert.ok(floor <= compress(bytes).length - headerBytes(bytes.length), `floor ${floor} above snappyjs for ${bytes.length} bytes`);
    }), { numRuns: 300 });
  });

  it('costs a run of bytes that never repeat as one literal: tag plus bytes', () => {
    const bytes = Uint8Array.from({ length: 50 }, (_, i) => i);
    assert.equal(snappyFloor(bytes), 51);
  });

  it('covers a long repeat with copies of at most 64 bytes at 2 bytes each', () => {
    // One literal zero, then 640 zeros copied from one byte back (copies may overlap).
    const bytes = new Uint8Array(1 + 64 * 10);
    assert.equal(snappyFloor(bytes), 1 + 1 + 2 * 10);
  });
});
