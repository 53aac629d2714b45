import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { familyOf, metadataOfMetric, metricMetadata, sameMetadata } from '../../../src/model/metadata.js';

const has = (...families: string[]) => (f: string) => families.includes(f);

describe('familyOf', () => {
  it('finds a series name that is itself a known family', () => {
    assert.equal(familyOf('node_cpu_seconds_total', has('node_cpu_seconds_total')), 'node_cpu_seconds_total');
    assert.equal(familyOf('up', has('up')), 'up');
  });

  it('strips each suffix a family adds to its series', () => {
    for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created', '_info', '_gcount', '_gsum']) {
      assert.equal(familyOf(`rpc${suffix}`, has('rpc')), 'rpc', suffix);
    }
  });

  it('prefers the exact name to a shorter family', () => {
    assert.equal(familyOf('requests_total', has('requests', 'requests_total')), 'requests_total');
  });

  it('strips one suffix only, and only a whole one', () => {
    assert.equal(familyOf('rpc_sum_count', has('rpc')), undefined);
    assert.equal(familyOf('rpc_sum_count', has('rpc_sum')), 'rpc_sum');
    assert.equal(familyOf('rpc_gsum', has('rpc_g', 'rpc')), 'rpc', '`_gsum` is its own suffix, not `g` + `_sum`');
    assert.equal(familyOf('checksum', has('check')), undefined);
    assert.equal(familyOf('_total', has('')), undefined, 'a suffix alone names no family');
  });

  it('returns undefined when no family is known', () => {
    assert.equal(familyOf('mystery_bucket', has('other')), undefined);
    assert.equal(familyOf('mystery', () => false), undefined);
  });
});

describe('metadataOfMetric', () => {
  it('gives the metadata of the family a series name belongs to', () => {
    const histogram = metricMetadata('histogram', 'Latency.', 'seconds');
    const table = new Map([['latency_seconds', histogram]]);
    assert.equal(metadataOfMetric('latency_seconds_bucket', (f) => table.get(f)), histogram);
    assert.equal(metadataOfMetric('latency_seconds', (f) => table.get(f)), histogram);
    assert.equal(metadataOfMetric('latency', (f) => table.get(f)), undefined);
  });
});

describe('sameMetadata', () => {
  it('compares type, help and unit, not object identity', () => {
    assert.ok(sameMetadata(metricMetadata('gauge', 'h'), { type: 'gauge', help: 'h', unit: '' }));
    assert.ok(!sameMetadata(metricMetadata('gauge', 'h'), metricMetadata('counter', 'h')));
    assert.ok(!sameMetadata(metricMetadata('gauge', 'h', 'bytes'), metricMetadata('gauge', 'h')));
  });
});
