import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeLabels, type Labels } from '../../../src/model/labels.js';
import { loadRelabelFile } from '../../../src/relabel/load.js';
import { relabel } from '../../../src/relabel/relabel.js';
import type { RelabelRule } from '../../../src/relabel/rules.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('outpost-relabel-');
after(() => dir.remove());

let files = 0;
function file(text: string): string {
  const path = join(dir.path, `relabel-${++files}.yml`);
  writeFileSync(path, text);
  return path;
}

function rulesOf(text: string): RelabelRule[] {
  const result = loadRelabelFile(file(text), {});
  assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
  return result.rules;
}

function errorsOf(text: string): string[] {
  const result = loadRelabelFile(file(text), {});
  assert.ok(!result.ok, 'expected errors');
  return result.errors;
}

const SAMPLE = normalizeLabels([
  { name: '__name__', value: 'temperature' }, { name: 'room', value: 'Kitchen' }, { name: 'debug_id', value: '7' },
]) as Labels;

const RULES = `
- source_labels: [__name__]
  regex: "go_.*"
  action: drop
- source_labels: [room]
  target_label: room
  action: lowercase
- regex: debug_.*
  action: labeldrop
`;

describe('loadRelabelFile', () => {
  it('reads a top-level list of rules', () => {
    const rules = rulesOf(RULES);
    assert.deepEqual(rules.map((r) => r.action), ['drop', 'lowercase', 'labeldrop']);
    assert.deepEqual(relabel(SAMPLE, rules), [{ name: '__name__', value: 'temperature' }, { name: 'room', value: 'kitchen' }]);
  });

  it('reads the same list under relabel_configs, as pasted from a Prometheus config', () => {
    const nested = `relabel_configs:\n${RULES.replace(/^/gm, '  ')}`;
    assert.deepEqual(rulesOf(nested), rulesOf(RULES));
  });

  it('takes an empty file or an empty list as no rules', () => {
    assert.deepEqual(rulesOf(''), []);
    assert.deepEqual(rulesOf('# nothing yet\n[]\n'), []);
    assert.deepEqual(rulesOf('relabel_configs:\n'), []);
  });

  it('reads scalars as written, as Prometheus does: numbers in text fields stay text, a huge modulus is not rounded', () => {
    const [rule] = rulesOf('- source_labels: [a]\n  target_label: b\n  replacement: 1.0\n  separator: 0x10\n');
    assert.equal(rule!.replacement, '1.0');
    assert.equal(rule!.separator, '0x10');
    assert.equal(rulesOf('- {source_labels: [a], target_label: s, action: hashmod, modulus: 8}')[0]!.modulus, 8);
    assert.match(errorsOf('- {target_label: s, action: hashmod, modulus: 18446744073709551615}')[0]!, /modulus .*got "18446744073709551615"/);
  });

  it('reports a YAML syntax error with its line and column', () => {
    const [error, ...more] = errorsOf('- source_labels: [a\n  target_label: b\n- action: keep\n');
    assert.deepEqual(more, []);
    assert.match(error!, /^YAML syntax error at line \d+, column \d+: /);
    assert.match(errorsOf('- a: 1\n  a: 2\n')[0]!, /^YAML syntax error at line 2, column 3: Map keys must be unique/);
  });

  it('names the rule, its action and line for an unknown action', () => {
    assert.deepEqual(errorsOf('- action: keep\n\n- action: frob\n  regex: x\n'), [
      'rule 2 (action frob, line 3): action "frob" is not one of replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase',
    ]);
  });

  it('names the rule and field for a bad regex', () => {
    assert.deepEqual(errorsOf('- source_labels: [a]\n  regex: "("\n  target_label: b\n'), [
      'rule 1 (action replace, line 1): regex "(": invalid regular expression: missing closing )',
    ]);
  });

  it('names the rule for a missing target_label', () => {
    assert.deepEqual(errorsOf('relabel_configs:\n  - source_labels: [a]\n    action: Replace\n'), [
      'rule 1 (action replace, line 2): target_label is required for action replace',
    ]);
  });

  it('names the rule and field for an unknown field', () => {
    assert.deepEqual(errorsOf('- source_labels: [a]\n  target: b\n'), [
      'rule 1 (action replace, line 1): unknown field "target"; the fields are source_labels, separator, regex, modulus, target_label, replacement, action',
    ]);
  });

  it('reports every bad rule at once', () => {
    const errors = errorsOf('- action: keep\n- regex: "["\n  target_label: x\n- action: hashmod\n  target_label: s\n');
    assert.deepEqual(errors, [
      'rule 2 (action replace, line 2): regex "[": invalid regular expression: missing closing ]',
      'rule 3 (action hashmod, line 4): modulus is required for action hashmod and must be at least 1',
    ]);
  });

  it('refuses a mapping with other keys, a scalar, and an unreadable file', () => {
    assert.deepEqual(errorsOf('metric_relabel_configs:\n  - action: keep\n'), [
      'expected a list of rules, or a mapping with the single key relabel_configs holding one; found "metric_relabel_configs"',
    ]);
    assert.deepEqual(errorsOf('just text\n'), ['relabel configs must be a list of rules, got "just text"']);
    assert.deepEqual(errorsOf('relabel_configs: {action: keep}\n'), ['relabel configs must be a list of rules, got a mapping']);
    const missing = join(dir.path, 'missing.yml');
    assert.deepEqual(loadRelabelFile(missing, {}), { ok: false, errors: [`cannot read relabel config file ${missing} (ENOENT)`] });
  });
});
