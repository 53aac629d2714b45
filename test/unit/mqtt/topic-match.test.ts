import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTopicTemplate, parseTopicTemplates, type TopicTemplate } from '../../../src/config/templates.js';
import { matchTemplate, matchTopic } from '../../../src/inputs/mqtt/topic-match.js';

function template(raw: string): TopicTemplate {
  const parsed = parseTopicTemplate(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function captures(raw: string, topic: string): { name: string | null; labels: Record<string, string> } | null {
  const m = matchTemplate(template(raw), topic);
  return m === null ? null : { name: m.name, labels: Object.fromEntries(m.labels.map((l) => [l.name, l.value])) };
}

test('captures {label} and {__name__} levels of the contract templates', () => {
  assert.deepEqual(captures('sensors/{room}/{__name__}', 'sensors/kitchen/temperature'), { name: 'temperature', labels: { room: 'kitchen' } });
  assert.deepEqual(captures('zigbee2mqtt/{device}', 'zigbee2mqtt/porch'), { name: null, labels: { device: 'porch' } });
  assert.deepEqual(captures('tele/{device}/{__name__}', 'tele/pump1/SENSOR'), { name: 'SENSOR', labels: { device: 'pump1' } });
});

test('literal levels must match exactly, and the level count must agree', () => {
  assert.equal(captures('sensors/{room}/{__name__}', 'sensor/kitchen/temperature'), null);
  assert.equal(captures('sensors/{room}/{__name__}', 'sensors/kitchen'), null);
  assert.equal(captures('sensors/{room}/{__name__}', 'sensors/kitchen/temperature/extra'), null);
  assert.equal(captures('a/b', 'a/bc'), null);
  assert.equal(captures('a/bc', 'a/b'), null);
  assert.deepEqual(captures('a/b', 'a/b'), { name: null, labels: {} });
});

test('+ and {label} match exactly one level, which may be empty', () => {
  assert.deepEqual(captures('a/+/c', 'a/x/c'), { name: null, labels: {} });
  assert.deepEqual(captures('a/+/c', 'a//c'), { name: null, labels: {} });
  assert.deepEqual(captures('a/{l}/c', 'a//c'), { name: null, labels: { l: '' } });
  assert.deepEqual(captures('a/{l}', 'a/'), { name: null, labels: { l: '' } });
  assert.equal(captures('a/+', 'a'), null);
  assert.equal(captures('a/+', 'a/b/c'), null);
});

test('a trailing # matches its parent and any depth below', () => {
  assert.deepEqual(captures('sensors/#', 'sensors'), { name: null, labels: {} });
  assert.deepEqual(captures('sensors/#', 'sensors/a'), { name: null, labels: {} });
  assert.deepEqual(captures('sensors/#', 'sensors/a/b/c'), { name: null, labels: {} });
  assert.deepEqual(captures('sensors/{room}/#', 'sensors/hall/x/y'), { name: null, labels: { room: 'hall' } });
  assert.deepEqual(captures('#', 'anything/at/all'), { name: null, labels: {} });
  assert.equal(captures('sensors/#', 'sensor'), null);
  assert.equal(captures('sensors/#', 'other/a'), null);
});

test('wildcards in the first level do not match $ topics; literals do', () => {
  assert.equal(captures('#', '$SYS/broker/uptime'), null);
  assert.equal(captures('+/broker/uptime', '$SYS/broker/uptime'), null);
  assert.equal(captures('{x}/broker/uptime', '$SYS/broker/uptime'), null);
  assert.deepEqual(captures('$SYS/#', '$SYS/broker/uptime'), { name: null, labels: {} });
  assert.deepEqual(captures('$SYS/{what}/uptime', '$SYS/broker/uptime'), { name: null, labels: { what: 'broker' } });
});

test('the first matching template wins', () => {
  const parsed = parseTopicTemplates('sensors/{room}/{__name__};sensors/#');
  assert.ok(parsed.ok);
  assert.equal(matchTopic(parsed.value, 'sensors/kitchen/temperature')?.template.raw, 'sensors/{room}/{__name__}');
  assert.equal(matchTopic(parsed.value, 'sensors/kitchen')?.template.raw, 'sensors/#');
  assert.equal(matchTopic(parsed.value, 'other/kitchen'), null);
});

/** MQTT filter matching written the obvious way, to check the in-place walk against. */
function referenceMatch(levels: string[], topic: string): string[] | null {
  const parts = topic.split('/');
  const values: string[] = [];
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level === '#') return i === 0 && topic.startsWith('$') ? null : values;
    if (i >= parts.length) return null;
    if (level === '+' || level.startsWith('{')) {
      if (i === 0 && topic.startsWith('$')) return null;
      if (level.startsWith('{')) values.push(parts[i]!);
    } else if (level !== parts[i]) return null;
  }
  return parts.length === levels.length ? values : null;
}

test('agrees with a split-based reference on arbitrary templates and topics', () => {
  const word = fc.constantFrom('a', 'b', '', '$x', 'ab');
  const templateLevel = fc.constantFrom('a', 'b', 'ab', '+', '{x}', '{y}', '{__name__}', '$x');
  fc.assert(
    fc.property(fc.array(templateLevel, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.array(word, { minLength: 1, maxLength: 6 }), (levels, hash, topicLevels) => {
      // A template may capture each label once; later repeats become literals.
      const seen = new Set<string>();
      const unique: string[] = levels.map((l) => (l.startsWith('{') ? (seen.has(l) ? 'b' : (seen.add(l), l)) : l));
      if (hash) unique.push('#');
      const topic = topicLevels.join('/');
      const m = matchTemplate(template(unique.join('/')), topic);
      const expected = referenceMatch(unique, topic);
      assert.equal(m === null, expected === null, `${unique.join('/')} vs ${topic}`);
      if (m !== null) {
        const got = unique.filter((l) => l.startsWith('{')).map((l) => (l === '{__name__}' ? m.name : m.labels.find((x) => `{${x.name}}` === l)?.value));
        assert.deepEqual(got, expected);
      }
    }),
    { numRuns: 2000 },
  );
});
