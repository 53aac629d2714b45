import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatLabels, labelsKey, normalizeLabels, parseLabelsKey, type Labels } from '../../../src/model/labels.js';
import { sanitizeMetricName } from '../../../src/model/metric-name.js';

describe('labels', () => {
  it('sorts by name and drops empty values', () => {
    assert.deepEqual(normalizeLabels([{ name: 'b', value: '2' }, { name: '__name__', value: 'm' }, { name: 'a', value: '' }]), [
      { name: '__name__', value: 'm' },
      { name: 'b', value: '2' },
    ]);
  });

  it('rejects invalid names, repeated names and values that are not valid UTF-8', () => {
    assert.match(normalizeLabels([{ name: '1x', value: 'v' }]) as string, /invalid label name/);
    assert.match(normalizeLabels([{ name: 'a', value: '1' }, { name: 'a', value: '2' }]) as string, /twice/);
    assert.match(normalizeLabels([{ name: 'a', value: 'bad\ud800' }]) as string, /UTF-8/);
  });

  it('gives equal keys to equal sets and parses every key back to its labels', () => {
    const label = fc.record({ name: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), value: fc.string({ minLength: 1, maxLength: 12 }).filter((v) => !v.includes('\0')) });
    fc.assert(
      fc.property(fc.uniqueArray(label, { selector: (l) => l.name, maxLength: 6 }), (generated) => {
        const labels = generated.map((l) => ({ name: l.name, value: l.value }));
        const normalized = normalizeLabels(labels) as Labels;
        const shuffled = normalizeLabels([...labels].reverse()) as Labels;
        assert.equal(labelsKey(normalized), labelsKey(shuffled));
        assert.deepEqual(parseLabelsKey(labelsKey(normalized)), normalized);
      }),
    );
  });

  it('keeps keys of different sets apart even when values contain separators', () => {
    const a = labelsKey([{ name: 'a', value: 'x\u0000b' }]);
    const b = labelsKey([{ name: 'a', value: 'x' }, { name: 'b', value: '' }]);
    assert.notEqual(a, b);
  });

  it('formats labels the way Prometheus prints a series', () => {
    assert.equal(formatLabels([{ name: '__name__', value: 'up' }, { name: 'job', value: 'a"b' }]), 'up{job="a\\"b"}');
  });
});

describe('metric names', () => {
  it('sanitises any string into a valid metric name', () => {
    assert.equal(sanitizeMetricName('temp-°C/room 1'), 'temp__C_room_1');
    assert.equal(sanitizeMetricName('1wire'), '_1wire');
    assert.equal(sanitizeMetricName('a:b'), 'a:b');
    fc.assert(fc.property(fc.string({ minLength: 1 }), (s) => /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(sanitizeMetricName(s))));
  });
});
