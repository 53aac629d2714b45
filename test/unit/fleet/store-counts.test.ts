import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsonNumbers } from '../../../scripts/fleet/store-counts.js';

describe('fleet store counts', () => {
  it('reads an export line with bare NaN and Inf values: NaN as null, Inf as Infinity', () => {
    const line = '{"metric":{"__name__":"m"},"values":[NaN,59.2,Inf,-Inf,+Inf,1],"timestamps":[1,1,2,3,4,5]}';
    assert.deepEqual(JSON.parse(jsonNumbers(line)).values, [null, 59.2, Infinity, -Infinity, Infinity, 1]);
  });

  it('leaves a label value that spells NaN or Inf as it is', () => {
    const line = '{"metric":{"__name__":"m","v":"NaN","w":"[Inf]"},"values":[1],"timestamps":[1]}';
    assert.deepEqual(JSON.parse(jsonNumbers(line)).metric, { __name__: 'm', v: 'NaN', w: '[Inf]' });
  });
});
