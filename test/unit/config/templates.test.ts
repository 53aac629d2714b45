import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTopicTemplate, parseTopicTemplates } from '../../../src/config/templates.js';

test('a template becomes levels and a subscription filter with captures as +', () => {
  const result = parseTopicTemplate('sensors/{room}/+/{__name__}/#');
  assert.ok(result.ok);
  assert.deepEqual(result.value, {
    raw: 'sensors/{room}/+/{__name__}/#',
    levels: [
      { kind: 'literal', value: 'sensors' }, { kind: 'capture', label: 'room' }, { kind: 'plus' },
      { kind: 'capture', label: '__name__' }, { kind: 'hash' },
    ],
    filter: 'sensors/+/+/+/#',
  });
});

test('empty levels and $-topics are kept as literals, as MQTT allows', () => {
  const result = parseTopicTemplate('$SYS//{x}');
  assert.ok(result.ok);
  assert.equal(result.value.filter, '$SYS//+');
});

test('bad templates are problems naming the template', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['a/#/b', /"a\/#\/b": # is allowed only as the last level/],
    ['{x}/{x}', /\{x\} is captured twice/],
    ['a/{1x}', /\{1x\} is not a valid label name/],
    ['a/{}', /\{\} is not a valid label name/],
    ['a/b{c}', /must be a whole level/],
    ['a/b+', /must be a whole level/],
    ['a/#x', /must be a whole level/],
    ['a/\u0000', /NUL/],
  ];
  for (const [text, pattern] of cases) {
    const result = parseTopicTemplate(text);
    assert.ok(!result.ok, text);
    assert.match(result.error, pattern, text);
  }
});

test('a template list is ;-separated and reports every bad template', () => {
  const good = parseTopicTemplates(' sensors/{room}/{__name__} ; zigbee2mqtt/{device};');
  assert.ok(good.ok);
  assert.deepEqual(good.value.map((t) => t.raw), ['sensors/{room}/{__name__}', 'zigbee2mqtt/{device}']);
  const bad = parseTopicTemplates('a/#/b;ok/{x};{y}/{y}');
  assert.ok(!bad.ok);
  assert.match(bad.error, /a\/#\/b/);
  assert.match(bad.error, /\{y\} is captured twice/);
});

test('a template list needs at least one template and distinct filters', () => {
  const none = parseTopicTemplates(' ; ');
  assert.ok(!none.ok);
  assert.match(none.error, /no topic template/);
  const same = parseTopicTemplates('a/{x};a/{y}');
  assert.ok(!same.ok);
  assert.match(same.error, /both subscribe to a\/\+/);
});
