import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfigErrors, loadConfig, redactConfig } from '../../../src/config/env.js';
import { relabel } from '../../../src/relabel/relabel.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('outpost-relabel-config-');
after(() => dir.remove());

function file(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

describe('OUTPOST_RELABEL_CONFIG_FILE', () => {
  it('has no rules when unset', () => {
    const result = loadConfig({});
    assert.ok(result.ok);
    assert.deepEqual(result.config.relabelRules, []);
  });

  it('puts the compiled rules on the frozen config, where they still work', () => {
    const path = file('good.yml', '- source_labels: [__name__]\n  regex: "go_.*"\n  action: drop\n- {source_labels: [a], regex: "(?P<x>.)", target_label: b, replacement: "${x}!"}\n');
    const result = loadConfig({ OUTPOST_RELABEL_CONFIG_FILE: path });
    assert.ok(result.ok, result.ok ? '' : formatConfigErrors(result.errors));
    const { relabelConfigFile, relabelRules } = result.config;
    assert.equal(relabelConfigFile, path);
    assert.ok(Object.isFrozen(relabelRules) && Object.isFrozen(relabelRules[0]) && Object.isFrozen(relabelRules[0]!.matcher));
    assert.equal(relabel([{ name: '__name__', value: 'go_goroutines' }], relabelRules), null);
    assert.deepEqual(relabel([{ name: 'a', value: 'z' }], relabelRules), [{ name: 'a', value: 'z' }, { name: 'b', value: 'z!' }]);
    assert.doesNotThrow(() => JSON.stringify(redactConfig(result.config)));
  });

  it('a bad file fails loadConfig with one error per problem, each naming the variable and the rule', () => {
    const path = file('bad.yml', '- action: frob\n- source_labels: [a]\n  regex: "("\n  target_label: b\n');
    const result = loadConfig({ OUTPOST_RELABEL_CONFIG_FILE: path, OUTPOST_MQTT_QOS: '7' });
    assert.ok(!result.ok);
    const relabelErrors = result.errors.filter((e) => e.variable === 'OUTPOST_RELABEL_CONFIG_FILE');
    assert.deepEqual(relabelErrors.map((e) => e.problem), [
      'rule 1 (action frob, line 1): action "frob" is not one of replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase',
      'rule 2 (action replace, line 2): regex "(": invalid regular expression: missing closing )',
    ]);
    assert.ok(relabelErrors.every((e) => e.value === path && e.example === '/etc/outpost/relabel.yml'));
    assert.deepEqual(result.errors.map((e) => e.variable), ['OUTPOST_MQTT_QOS', 'OUTPOST_RELABEL_CONFIG_FILE', 'OUTPOST_RELABEL_CONFIG_FILE']);
    assert.match(formatConfigErrors(relabelErrors), /^OUTPOST_RELABEL_CONFIG_FILE: rule 1 \(action frob, line 1\): .* \(got ".*bad\.yml"\); example: /);
  });

  it('a YAML syntax error is reported against the variable with its line', () => {
    const [error, ...more] = (() => {
      const result = loadConfig({ OUTPOST_RELABEL_CONFIG_FILE: file('syntax.yml', '- action: keep\n- [unclosed\n') });
      assert.ok(!result.ok);
      return result.errors;
    })();
    assert.deepEqual(more, []);
    assert.equal(error!.variable, 'OUTPOST_RELABEL_CONFIG_FILE');
    assert.match(error!.problem, /^YAML syntax error at line \d+, column \d+: /);
  });
});
