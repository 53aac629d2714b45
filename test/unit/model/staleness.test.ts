import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isStaleNaN, STALE_NAN } from '../../../src/model/staleness.js';

function fromBits(hi: number, lo: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return view.getFloat64(0);
}

describe('staleness markers', () => {
  it('is the NaN with bits 0x7ff0000000000002, as Prometheus writes it', () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, STALE_NAN);
    assert.equal(view.getBigUint64(0), 0x7ff0000000000002n);
    assert.ok(Number.isNaN(STALE_NAN));
  });

  it('tells markers from ordinary NaNs and numbers by their bits', () => {
    assert.equal(isStaleNaN(STALE_NAN), true);
    assert.equal(isStaleNaN(fromBits(0x7ff00000, 2)), true);
    assert.equal(isStaleNaN(NaN), false);
    assert.equal(isStaleNaN(Number('NaN')), false);
    assert.equal(isStaleNaN(fromBits(0x7ff80000, 2)), false, 'a quieted marker is no marker');
    assert.equal(isStaleNaN(fromBits(0xfff00000, 2)), false, 'nor one with the sign bit set');
    for (const v of [0, -0, 1, Infinity, -Infinity, Number.MIN_VALUE]) assert.equal(isStaleNaN(v), false);
  });

  it('survives a Float64Array', () => {
    const column = new Float64Array(2);
    column[1] = STALE_NAN;
    assert.equal(isStaleNaN(column[1]!), true);
  });
});
