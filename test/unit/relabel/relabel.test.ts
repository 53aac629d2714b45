import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { normalizeLabels, type Labels } from '../../../src/model/labels.js';
import { relabel } from '../../../src/relabel/relabel.js';
import { compileRelabelConfigs, type RelabelRule } from '../../../src/relabel/rules.js';

function labels(map: Record<string, string>): Labels {
  const result = normalizeLabels(Object.entries(map).map(([name, value]) => ({ name, value })));
  assert.ok(typeof result !== 'string', result as string);
  return result;
}

function compile(raw: object[]): RelabelRule[] {
  const result = compileRelabelConfigs(raw);
  assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
  return result.rules;
}

/** Prometheus's hashmod computed independently: MD5, last 16 hex digits as an unsigned integer, modulo. */
function md5Bucket(value: string, modulus: bigint): string {
  const hex = createHash('md5').update(value).digest('hex');
  return (BigInt(`0x${hex.slice(16)}`) % modulus).toString();
}

interface Case {
  name: string;
  input: Record<string, string>;
  rules: object[];
  /** null: the series is dropped. */
  output: Record<string, string> | null;
}

const CASES: Case[] = [
  // replace and its defaults
  {
    name: 'replace copies the source value with the default regex (.*) and replacement $1',
    input: { a: 'foo' }, rules: [{ source_labels: ['a'], target_label: 'b' }], output: { a: 'foo', b: 'foo' },
  },
  {
    name: 'source values are joined with the default separator ;',
    input: { a: 'x', b: 'y' }, rules: [{ source_labels: ['a', 'b'], target_label: 'c' }], output: { a: 'x', b: 'y', c: 'x;y' },
  },
  {
    name: 'a custom separator joins the source values',
    input: { a: 'x', b: 'y' }, rules: [{ source_labels: ['a', 'b'], separator: '/', target_label: 'c' }], output: { a: 'x', b: 'y', c: 'x/y' },
  },
  {
    name: 'the regex must match the whole value: a partial match leaves the labels unchanged',
    input: { a: 'foo' }, rules: [{ source_labels: ['a'], regex: 'o', target_label: 'b', replacement: 'hit' }], output: { a: 'foo' },
  },
  {
    name: 'no match leaves the labels unchanged for replace',
    input: { a: 'boo' }, rules: [{ source_labels: ['a'], regex: 'f', target_label: 'b', replacement: 'bar' }], output: { a: 'boo' },
  },
  {
    name: 'replacement expands ${1}',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    rules: [{ source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch${1}-ch${1}' }],
    output: { a: 'foo', b: 'bar', c: 'baz', d: 'choo-choo' },
  },
  {
    name: 'later rules see what earlier rules wrote',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    rules: [
      { source_labels: ['a', 'b'], regex: 'f(.*);(.*)r', target_label: 'a', replacement: 'b${1}${2}m' },
      { source_labels: ['c', 'a'], regex: '(b).*b(.*)ba(.*)', target_label: 'd', replacement: '$1$2$2$3' },
    ],
    output: { a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' },
  },
  {
    name: 'named groups are referenced as $name and ${name}, (?P<…>) and (?<…>) alike',
    input: { addr: 'db1:9100' },
    rules: [
      { source_labels: ['addr'], regex: '(?P<host>[^:]+):(?<port>\\d+)', target_label: 'host', replacement: '$host' },
      { source_labels: ['addr'], regex: '(?P<host>[^:]+):(?<port>\\d+)', target_label: 'port', replacement: 'p${port}' },
    ],
    output: { addr: 'db1:9100', host: 'db1', port: 'p9100' },
  },
  {
    name: '$1x names a group "1x", which does not exist, so it expands to nothing; ${1}x does not',
    input: { a: 'foo', b: 'old' },
    rules: [
      { source_labels: ['a'], target_label: 'b', replacement: '$1x' },
      { source_labels: ['a'], target_label: 'c', replacement: '${1}x' },
    ],
    output: { a: 'foo', c: 'foox' },
  },
  {
    name: '$$ is a literal dollar and a $ that starts no reference stays as text',
    input: { a: 'foo' }, rules: [{ source_labels: ['a'], target_label: 'b', replacement: '$$1-$-${x' }], output: { a: 'foo', b: '$1-$-${x' },
  },
  {
    name: 'an empty replacement deletes the target label',
    input: { a: 'foo', b: 'bar' }, rules: [{ source_labels: ['a'], target_label: 'b', replacement: '' }], output: { a: 'foo' },
  },
  {
    name: 'a missing source label counts as the empty string, so replace deletes the target',
    input: { b: 'bar' }, rules: [{ source_labels: ['missing'], target_label: 'b' }], output: {},
  },
  {
    name: 'a templated target_label names the label from the match',
    input: { a: 'some-name-value' },
    rules: [{ source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', target_label: '${1}', replacement: '${2}' }],
    output: { a: 'some-name-value', name: 'value' },
  },
  {
    name: 'a templated target_label that expands to no valid label name skips the rule',
    input: { a: 'some-name-0' },
    rules: [
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', target_label: '${3}', replacement: '${1}' },
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', target_label: 'x${2}', replacement: '${1}' },
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', target_label: '${2}x', replacement: '${1}' },
    ],
    output: { a: 'some-name-0', x0: 'name' },
  },
  {
    name: 'a leading (?i) makes the whole regex case-insensitive',
    input: { m: 'GET' }, rules: [{ source_labels: ['m'], regex: '(?i)get|post', target_label: 'read', replacement: 'yes' }],
    output: { m: 'GET', read: 'yes' },
  },
  // keep and drop
  {
    name: 'keep keeps a series whose value matches',
    input: { a: 'foo' }, rules: [{ source_labels: ['a'], regex: 'f.*', action: 'keep' }], output: { a: 'foo' },
  },
  {
    name: 'keep drops a series whose value does not match the whole regex',
    input: { a: 'foo' }, rules: [{ source_labels: ['a'], regex: 'f', action: 'keep' }], output: null,
  },
  {
    name: 'drop drops a series whose value matches, and later rules do not run',
    input: { a: 'foo' },
    rules: [{ source_labels: ['a'], regex: '.*o.*', action: 'drop' }, { source_labels: ['a'], target_label: 'd' }],
    output: null,
  },
  {
    name: 'drop keeps a series when only part of the value matches',
    input: { a: 'foo' }, rules: [{ source_labels: ['a'], regex: 'f|o', action: 'drop' }], output: { a: 'foo' },
  },
  {
    name: 'drop on a missing source label matches the empty string',
    input: { a: 'foo' }, rules: [{ source_labels: ['missing'], regex: '', action: 'drop' }], output: null,
  },
  {
    name: 'keep on a missing source label with .+ drops the series',
    input: { a: 'foo' }, rules: [{ source_labels: ['missing'], regex: '.+', action: 'keep' }], output: null,
  },
  {
    name: 'keep with the default regex keeps everything, even without source labels',
    input: { a: 'foo' }, rules: [{ action: 'keep' }], output: { a: 'foo' },
  },
  // keepequal and dropequal
  {
    name: 'keepequal keeps a series whose source value equals the target label',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    rules: [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port1' }],
    output: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
  },
  {
    name: 'keepequal drops a series whose source value differs from the target label',
    input: { __tmp_port: '1234', __port2: '5678' },
    rules: [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port2' }], output: null,
  },
  {
    name: 'dropequal drops a series whose source value equals the target label',
    input: { __tmp_port: '1234', __port1: '1234' },
    rules: [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port1' }], output: null,
  },
  {
    name: 'dropequal keeps a series whose source value differs; a missing target counts as ""',
    input: { __tmp_port: '1234' },
    rules: [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port2' }], output: { __tmp_port: '1234' },
  },
  // labelmap, labeldrop, labelkeep
  {
    name: 'labelmap copies matching labels to the names the replacement builds from groups',
    input: { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' },
    rules: [{ regex: '__meta_(my.*)', replacement: '${1}', action: 'labelmap' }],
    output: { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc', my_bar: 'aaa', my_baz: 'bbb' },
  },
  {
    name: 'labelmap with a prefix in the replacement',
    input: { a: 'foo', b1: 'bar', b2: 'baz' }, rules: [{ regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' }],
    output: { a: 'foo', b1: 'bar', b2: 'baz', bar_b1: 'bar', bar_b2: 'baz' },
  },
  {
    name: 'labelmap onto one name: the label visited last wins, changed labels after untouched ones (Prometheus order)',
    input: { a_x: '1', b_x: '2' },
    rules: [{ source_labels: ['a_x'], target_label: 'a_x', replacement: '3' }, { regex: '[ab]_(.*)', action: 'labelmap' }],
    output: { a_x: '3', b_x: '2', x: '3' },
  },
  {
    name: 'labelmap skips a name that is not a valid label name',
    input: { m_1: 'v' }, rules: [{ regex: 'm_(.*)', replacement: '${1}', action: 'labelmap' }], output: { m_1: 'v' },
  },
  {
    name: 'labeldrop removes every label whose name matches',
    input: { a: 'foo', b1: 'bar', b2: 'baz' }, rules: [{ regex: 'b.*', action: 'labeldrop' }], output: { a: 'foo' },
  },
  {
    name: 'labelkeep removes every label whose name does not match',
    input: { a: 'foo', b1: 'bar', b2: 'baz' }, rules: [{ regex: 'b.*', action: 'labelkeep' }], output: { b1: 'bar', b2: 'baz' },
  },
  // lowercase and uppercase
  {
    name: 'lowercase and uppercase write the mapped source value to the target label',
    input: { foo: 'bAr123Foo' },
    rules: [
      { source_labels: ['foo'], action: 'uppercase', target_label: 'foo_uppercase' },
      { source_labels: ['foo'], action: 'lowercase', target_label: 'foo_lowercase' },
    ],
    output: { foo: 'bAr123Foo', foo_lowercase: 'bar123foo', foo_uppercase: 'BAR123FOO' },
  },
  {
    name: 'case mapping follows Go: one code point at a time, never lengthening the text',
    input: { s: 'Straße İstanbul ΣΑΣ ᾳ' },
    rules: [
      { source_labels: ['s'], action: 'uppercase', target_label: 'up' },
      { source_labels: ['s'], action: 'lowercase', target_label: 'low' },
    ],
    output: { s: 'Straße İstanbul ΣΑΣ ᾳ', up: 'STRAßE İSTANBUL ΣΑΣ ᾼ', low: 'straße istanbul σασ ᾳ' },
  },
  {
    name: 'lowercase of an empty value deletes the target label',
    input: { t: 'old' }, rules: [{ source_labels: ['missing'], action: 'lowercase', target_label: 't' }], output: {},
  },
  // hashmod
  {
    name: 'hashmod matches Prometheus\'s own test values',
    input: { c: 'baz', a: 'foo\nbar' },
    rules: [
      { source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 },
      { source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: 1000 },
    ],
    output: { c: 'baz', a: 'foo\nbar', d: '976', b: '734' },
  },
  {
    name: 'hashmod hashes the joined source values and works with the largest modulus',
    input: { site: 'farm7', gw: 'gw01' },
    rules: [
      { source_labels: ['site', 'gw'], target_label: 'shard', action: 'hashmod', modulus: 4 },
      { source_labels: ['site', 'gw'], target_label: 'big', action: 'hashmod', modulus: Number.MAX_SAFE_INTEGER },
    ],
    output: {
      site: 'farm7', gw: 'gw01',
      shard: md5Bucket('farm7;gw01', 4n), big: md5Bucket('farm7;gw01', BigInt(Number.MAX_SAFE_INTEGER)),
    },
  },
];

describe('relabel', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const result = relabel(labels(c.input), compile(c.rules));
      assert.deepEqual(result, c.output === null ? null : labels(c.output));
    });
  }

  it('the hashmod values above are what MD5 gives by hand', () => {
    // Independent of the implementation's readBigUInt64BE: the hex digest's last 16 digits.
    assert.equal(md5Bucket('baz', 1000n), '976');
    assert.equal(md5Bucket('foo\nbar', 1000n), '734');
    assert.equal(createHash('md5').update('baz').digest('hex'), '73feffa4b7f6bb68e44cf984c85f6e88');
    assert.equal((0xe44cf984c85f6e88n % 1000n).toString(), '976');
  });

  it('returns the input itself when no rule changes anything, and sorted unique labels otherwise', () => {
    const input = labels({ __name__: 'up', job: 'node' });
    assert.equal(relabel(input, []), input);
    assert.equal(relabel(input, compile([{ source_labels: ['job'], regex: 'x', target_label: 'y' }])), input);
    const result = relabel(input, compile([
      { source_labels: ['job'], target_label: 'a' },
      { source_labels: ['job'], target_label: 'a', replacement: 'again' },
      { source_labels: ['job'], target_label: 'zz' },
    ]));
    assert.deepEqual(result, [
      { name: '__name__', value: 'up' }, { name: 'a', value: 'again' }, { name: 'job', value: 'node' }, { name: 'zz', value: 'node' },
    ]);
  });

  it('keeps a result without __name__ for the caller to judge', () => {
    assert.deepEqual(relabel(labels({ __name__: 'up', job: 'node' }), compile([{ regex: '__name__', action: 'labeldrop' }])), labels({ job: 'node' }));
  });

  it('leaves the input labels untouched', () => {
    const input = labels({ a: 'foo', b: 'bar' });
    const copy = structuredClone(input);
    relabel(input, compile([{ regex: 'a', action: 'labeldrop' }, { source_labels: ['b'], target_label: 'b', replacement: 'x' }]));
    assert.deepEqual(input, copy);
  });

  it('works with frozen rules, as the frozen config holds them', () => {
    const rules = compile([{ source_labels: ['a'], regex: '(?P<x>f)(o+)', target_label: 'b', replacement: '$x-$2' }]);
    for (const rule of rules) Object.freeze(Object.freeze(rule).matcher);
    const input = labels({ a: 'foo' });
    for (let i = 0; i < 3; i++) assert.deepEqual(relabel(input, rules), labels({ a: 'foo', b: 'f-oo' }));
  });
});
