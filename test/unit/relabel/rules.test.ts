import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRelabelConfigs } from '../../../src/relabel/rules.js';

function errorsOf(raw: unknown): string[] {
  const result = compileRelabelConfigs(raw);
  assert.ok(!result.ok, 'expected errors');
  return result.errors;
}

// One rule Prometheus refuses per line: the rule, and the message expected for it as rule 1.
const INVALID: Array<[object, string]> = [
  [{ action: 'frobnicate' }, 'rule 1 (action frobnicate): action "frobnicate" is not one of replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase'],
  [{ action: '' }, 'rule 1: action must be one of replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase, got ""'],
  [{ action: null }, 'rule 1: action must be one of replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase, got nothing'],
  [{ source_labels: ['a'] }, 'rule 1 (action replace): target_label is required for action replace'],
  [{ target_label: 'bad-name' }, 'rule 1 (action replace): target_label "bad-name" is neither a valid label name nor a template of one such as "${1}_total"'],
  [{ target_label: '-${1}' }, 'rule 1 (action replace): target_label "-${1}" is neither a valid label name nor a template of one such as "${1}_total"'],
  [{ target_label: 'x', regex: '(' }, 'rule 1 (action replace): regex "(": invalid regular expression: missing closing )'],
  [{ target_label: 'x', regex: '(?=a)a' }, 'rule 1 (action replace): regex "(?=a)a": invalid regular expression: lookahead and lookbehind are not supported (RE2 syntax)'],
  [{ target_label: 'x', sourcelabels: ['a'] }, 'rule 1 (action replace): unknown field "sourcelabels"; the fields are source_labels, separator, regex, modulus, target_label, replacement, action'],
  [{ target_label: 'x', source_labels: 'a' }, 'rule 1 (action replace): source_labels must be a list of label names such as [job, instance], got "a"'],
  [{ target_label: 'x', source_labels: ['a-b'] }, 'rule 1 (action replace): source_labels: "a-b" is not a valid label name'],
  [{ target_label: 'x', separator: ['/'] }, 'rule 1 (action replace): separator must be text, got a list'],
  [{ action: 'hashmod', target_label: 'shard' }, 'rule 1 (action hashmod): modulus is required for action hashmod and must be at least 1'],
  [{ action: 'hashmod', target_label: 'shard', modulus: -1 }, `rule 1 (action hashmod): modulus must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got -1`],
  [{ action: 'hashmod', target_label: 'shard', modulus: '18446744073709551615' }, `rule 1 (action hashmod): modulus must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got "18446744073709551615"`],
  [{ action: 'hashmod', modulus: 4 }, 'rule 1 (action hashmod): target_label is required for action hashmod'],
  [{ action: 'hashmod', modulus: 4, target_label: '${1}' }, 'rule 1 (action hashmod): target_label "${1}" is not a valid label name (it must match [a-zA-Z_][a-zA-Z0-9_]*)'],
  [{ action: 'lowercase', source_labels: ['a'] }, 'rule 1 (action lowercase): target_label is required for action lowercase'],
  [{ action: 'uppercase', target_label: 'b', replacement: 'X' }, 'rule 1 (action uppercase): replacement cannot be set for action uppercase'],
  [{ action: 'keepequal' }, 'rule 1 (action keepequal): target_label is required for action keepequal'],
  [{ action: 'dropequal', target_label: 'b', regex: '(.*)', separator: ',' }, 'rule 1 (action dropequal): action dropequal takes only source_labels and target_label; remove regex, separator'],
  [{ action: 'labelmap', replacement: '1_${1}' }, 'rule 1 (action labelmap): replacement "1_${1}" is neither a valid label name nor a template of one such as "${1}" for action labelmap'],
  [{ action: 'labeldrop', regex: 'tmp_.*', source_labels: ['a'] }, 'rule 1 (action labeldrop): action labeldrop takes only regex; remove source_labels'],
  [{ action: 'labelkeep', target_label: 'a', replacement: 'b' }, 'rule 1 (action labelkeep): action labelkeep takes only regex; remove target_label, replacement'],
];

describe('compileRelabelConfigs', () => {
  for (const [rule, message] of INVALID) {
    it(`refuses ${JSON.stringify(rule)}`, () => {
      assert.deepEqual(errorsOf([rule]), [message]);
    });
  }

  it('fills in Prometheus\'s defaults', () => {
    const result = compileRelabelConfigs([{ target_label: 'x' }]);
    assert.ok(result.ok);
    const { action, sourceLabels, separator, regex, modulus, targetLabel, replacement } = result.rules[0]!;
    assert.deepEqual({ action, sourceLabels, separator, regex, modulus, targetLabel, replacement }, {
      action: 'replace', sourceLabels: [], separator: ';', regex: '(.*)', modulus: 0, targetLabel: 'x', replacement: '$1',
    });
  });

  it('reads the action case-insensitively, as Prometheus does', () => {
    const result = compileRelabelConfigs([{ action: 'LabelDrop', regex: 'tmp_.*' }]);
    assert.ok(result.ok);
    assert.equal(result.rules[0]!.action, 'labeldrop');
  });

  it('gives null fields their zero value, as Go\'s YAML decoder does', () => {
    const result = compileRelabelConfigs([{ source_labels: null, target_label: 'x', separator: null, regex: null, replacement: null, modulus: null }]);
    assert.ok(result.ok);
    const { sourceLabels, separator, regex, replacement, modulus } = result.rules[0]!;
    assert.deepEqual({ sourceLabels, separator, regex, replacement, modulus }, { sourceLabels: [], separator: '', regex: '', replacement: '', modulus: 0 });
    // A null source_labels is Go's nil list, which labeldrop accepts; an explicit empty list it refuses.
    assert.ok(compileRelabelConfigs([{ action: 'labeldrop', regex: 'x', source_labels: null }]).ok);
    assert.ok(!compileRelabelConfigs([{ action: 'labeldrop', regex: 'x', source_labels: [] }]).ok);
  });

  it('accepts fields set to their defaults where Prometheus compares values', () => {
    assert.ok(compileRelabelConfigs([{ action: 'keepequal', target_label: 'b', separator: ';', replacement: '$1', modulus: 0 }]).ok);
    assert.ok(compileRelabelConfigs([{ action: 'lowercase', target_label: 'b', replacement: '$1' }]).ok);
  });

  it('reports every problem of every rule, naming each rule by position and line', () => {
    const result = compileRelabelConfigs([{ action: 'keep' }, { regex: '(' }, 'oops', { action: 'drop', colour: 'red' }], { ruleLines: [1, 3, 5, 6] });
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, [
      'rule 2 (action replace, line 3): regex "(": invalid regular expression: missing closing )',
      'rule 3 (line 5): expected a mapping of fields such as source_labels and action, got "oops"',
      'rule 4 (action drop, line 6): unknown field "colour"; the fields are source_labels, separator, regex, modulus, target_label, replacement, action',
    ]);
  });

  it('takes nothing as no rules and refuses anything but a list', () => {
    assert.deepEqual(compileRelabelConfigs(null), { ok: true, rules: [] });
    assert.deepEqual(errorsOf({ action: 'keep' }), ['relabel configs must be a list of rules, got a mapping']);
  });

  it('accepts exactly the target labels and labelmap replacements Prometheus accepts', () => {
    // Prometheus's relabelTarget; fine on short strings, exponential on long failing ones.
    const prometheus = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;
    const text = fc.array(fc.constantFrom('a', 'Z', '_', '1', '$', '{', '}', '-'), { maxLength: 9 }).map((chars) => chars.join(''));
    fc.assert(fc.property(text, (replacement) => {
      const ok = compileRelabelConfigs([{ action: 'labelmap', replacement }]).ok;
      assert.equal(ok, prometheus.test(replacement), replacement);
    }), { numRuns: 3000 });
  });

  it('checks a long invalid target label quickly', () => {
    const start = performance.now();
    assert.ok(!compileRelabelConfigs([{ target_label: `$${'a'.repeat(5000)}-` }]).ok);
    assert.ok(performance.now() - start < 1000);
  });
});
