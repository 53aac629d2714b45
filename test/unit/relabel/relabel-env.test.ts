import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLabels, normalizeLabels, type Labels } from '../../../src/model/labels.js';
import { expandEnvReferences, type EnvValues } from '../../../src/relabel/env-references.js';
import { loadRelabelFile } from '../../../src/relabel/load.js';
import { relabel } from '../../../src/relabel/relabel.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('outpost-relabel-env-');
after(() => dir.remove());

let files = 0;
function load(text: string, env: EnvValues) {
  const path = join(dir.path, `relabel-${++files}.yml`);
  writeFileSync(path, text);
  return loadRelabelFile(path, env);
}

const SERIES = normalizeLabels([
  { name: '__name__', value: 'redis_up' }, { name: 'instance', value: 'db1.lan:9121' }, { name: 'job', value: 'redis' },
]) as Labels;

/** The series after the rules of `text`, loaded with `env`, in `{a="b"}` form. */
function relabelled(text: string, env: EnvValues): string {
  const result = load(text, env);
  assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
  const out = relabel(SERIES, result.rules);
  assert.ok(out !== null, 'the series is kept');
  return formatLabels(out);
}

describe('environment values in relabel rules', () => {
  it('fills ${NAME} in replacement from the environment, as the recipe\'s host label does', () => {
    const out = relabelled('- target_label: host\n  replacement: ${HOSTNAME}\n', { HOSTNAME: 'gw01' });
    assert.equal(out, 'redis_up{host="gw01",instance="db1.lan:9121",job="redis"}');
  });

  it('fills ${NAME} in target_label, and mixes it with capture groups in one replacement', () => {
    const rule = '- source_labels: [instance]\n  regex: "([^.:]+).*"\n  target_label: ${KIND}_node\n  replacement: "${SITE}/$1/${1}"\n';
    const out = relabelled(rule, { KIND: 'db', SITE: 'farm7' });
    assert.equal(out, 'redis_up{db_node="farm7/db1/db1",instance="db1.lan:9121",job="redis"}');
  });

  it('leaves a reference to a named group of the rule\'s regex to the group, even when a variable has that name', () => {
    const rule = '- source_labels: [instance]\n  regex: "(?P<HOSTNAME>[^.]+)\\\\..*"\n  target_label: short\n  replacement: ${HOSTNAME}-$HOSTNAME\n';
    assert.equal(relabelled(rule, { HOSTNAME: 'gw01' }), 'redis_up{instance="db1.lan:9121",job="redis",short="db1-db1"}');
  });

  it('keeps $NAME without braces a capture group reference, which expands to nothing as in Prometheus', () => {
    const out = relabelled('- target_label: host\n  replacement: "[$HOSTNAME]"\n', { HOSTNAME: 'gw01' });
    assert.equal(out, 'redis_up{host="[]",instance="db1.lan:9121",job="redis"}');
  });

  it('reads $${NAME} as the literal text ${NAME}, and never expands a $ inside a value', () => {
    assert.equal(relabelled('- target_label: note\n  replacement: $${HOSTNAME}\n', { HOSTNAME: 'gw01' }),
      'redis_up{instance="db1.lan:9121",job="redis",note="${HOSTNAME}"}');
    assert.equal(relabelled('- target_label: note\n  replacement: ${PRICE}\n', { PRICE: '$1 ${2} $$' }),
      'redis_up{instance="db1.lan:9121",job="redis",note="$1 ${2} $$"}');
  });

  it('expands a variable that is set but empty to nothing', () => {
    assert.equal(relabelled('- target_label: host\n  replacement: gw-${SUFFIX}\n', { SUFFIX: '' }), 'redis_up{host="gw-",instance="db1.lan:9121",job="redis"}');
  });

  it('reports an unset variable as an error naming it, the field and the rule, with the file\'s other problems', () => {
    const result = load([
      '- action: keep',
      '  source_labels: [job]',
      '- target_label: host',
      '  replacement: ${HOSTNAME}',
      '- target_label: ${ZONE}_${ROOM}',
      '  replacement: ${ROOM}${ROOM}',
      '- regex: "("',
      '  target_label: x',
      '',
    ].join('\n'), { ROOM: 'kitchen' });
    assert.deepEqual(result, { ok: false, errors: [
      'rule 2 (line 3): replacement "${HOSTNAME}" names environment variable HOSTNAME, which is not set',
      'rule 3 (line 5): target_label "${ZONE}_${ROOM}" names environment variable ZONE, which is not set',
      'rule 4 (action replace, line 7): regex "(": invalid regular expression: missing closing )',
    ] });
    const both = load('- target_label: host\n  replacement: ${A}-${B}-${A}\n', {});
    assert.deepEqual(both, { ok: false, errors: ['rule 1 (line 1): replacement "${A}-${B}-${A}" names environment variables A, B, which are not set'] });
  });

  it('validates an expanded target_label as a label name', () => {
    const result = load('- target_label: ${LABEL}\n', { LABEL: 'bad-name' });
    assert.ok(!result.ok);
    assert.match(result.errors[0]!, /^rule 1 \(action replace, line 1\): target_label "bad-name" is neither a valid label name/);
  });

  it('expands only replacement and target_label, never regex or source_labels', () => {
    const out = relabelled('- source_labels: [job]\n  regex: "${A}"\n  target_label: matched\n  replacement: "yes"\n', { A: 'redis' });
    assert.equal(out, 'redis_up{instance="db1.lan:9121",job="redis"}', 'the regex is not "redis", so the rule does not match');
  });
});

describe('expandEnvReferences', () => {
  it('expands ${NAME} for environment variable names only: numbers and other characters stay references', () => {
    const env = { A: 'a', _b9: 'b' };
    assert.deepEqual(expandEnvReferences('${A}${_b9}${1}${01}${1x}${a-b}$A${}', [], env), { ok: true, text: 'ab${1}${01}${1x}${a-b}$A${}' });
  });

  it('skips the names of the regex\'s groups and $$ escapes, and doubles a $ in a value for the template', () => {
    assert.deepEqual(expandEnvReferences('${host}$${A}$$$${A}$$${A}', ['', 'host'], { A: 'x$y', host: 'h' }), {
      ok: true, text: '${host}$${A}$$$${A}$$x$$y',
    });
  });
});
