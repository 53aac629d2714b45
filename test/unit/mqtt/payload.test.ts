import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonDepth, MAX_JSON_DEPTH, parsePayload, PayloadSamples, type PayloadRejectReason } from '../../../src/inputs/mqtt/payload.js';

const LIMIT = 65_536;

/** The samples of `payload` as name → value, with the payload's time, or the rejection reason. */
function parse(payload: string | Uint8Array, prefix: string | null = null, limit = LIMIT): { samples: Record<string, number>; t: number | null } | PayloadRejectReason {
  const out = new PayloadSamples();
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const rejection = parsePayload(bytes, prefix, limit, out);
  if (rejection !== null) {
    assert.equal(out.count, 0, 'a rejection leaves no samples');
    return rejection.reason;
  }
  const samples: Record<string, number> = {};
  for (let i = 0; i < out.count; i++) samples[out.names[i]!] = out.values[i]!;
  return { samples, t: out.timestampMs };
}

test('contract row 1: a scalar payload is one sample named by {__name__}', () => {
  assert.deepEqual(parse('21.5', 'temperature'), { samples: { temperature: 21.5 }, t: null });
});

test('contract row 2: a zigbee2mqtt object yields one sample per numeric/boolean leaf', () => {
  const payload = '{"temperature":19.2,"humidity":61,"contact":true,"state":"ON","battery":{"level":97}}';
  assert.deepEqual(parse(payload), { samples: { temperature: 19.2, humidity: 61, contact: 1, state: 1, battery_level: 97 }, t: null });
});

test('contract row 3: the {__name__} capture prefixes paths and Time sets the time (offset-less ISO read as UTC)', () => {
  assert.deepEqual(parse('{"Time":"2026-01-05T10:00:00","ENERGY":{"Power":42}}', 'SENSOR'), {
    samples: { SENSOR_ENERGY_Power: 42 },
    t: Date.UTC(2026, 0, 5, 10, 0, 0),
  });
});

test('decimal scalars: signs, fractions, exponents, surrounding whitespace', () => {
  for (const [text, value] of [['-3', -3], ['+5', 5], ['1e3', 1000], ['2.5E-1', 0.25], ['.5', 0.5], ['7.', 7], [' 42\n', 42], ['0', 0]] as const) {
    assert.deepEqual(parse(text, 'm'), { samples: { m: value }, t: null }, text);
  }
});

test('scalars that are not decimal numbers are not_a_number', () => {
  for (const text of ['abc', '0x10', 'NaN', 'nan', 'Inf', '+Inf', 'Infinity', '1,5', '1e999', '--1', '1e', '21.5°C', 'undefined']) {
    assert.equal(parse(text, 'm'), 'not_a_number', text);
  }
});

test('boolean words, as a bare payload or a leaf, in any case, are 1/0', () => {
  for (const [text, value] of [['ON', 1], ['off', 0], ['True', 1], ['FALSE', 0], ['true', 1], ['"On"', 1], ['"oFF"', 0]] as const) {
    assert.deepEqual(parse(text, 'power'), { samples: { power: value }, t: null }, text);
  }
  assert.deepEqual(parse('{"a":"TRUE","b":"Off","c":false,"d":"yes","e":"21.5","f":null}'), { samples: { a: 1, b: 0, c: 0 }, t: null });
});

test('other strings are skipped; a payload with nothing left is no_samples', () => {
  assert.equal(parse('{"state":"idle","name":"pump"}'), 'no_samples');
  assert.equal(parse('{}'), 'no_samples');
  assert.equal(parse('[]'), 'no_samples');
  assert.equal(parse('"hello"', 'm'), 'no_samples');
  assert.equal(parse('null', 'm'), 'no_samples');
  assert.equal(parse(''), 'no_samples');
  assert.equal(parse('  \n'), 'no_samples');
  assert.equal(parse('{"time":1700000000}'), 'no_samples');
});

test('array elements are leaves with their index as path segment', () => {
  assert.deepEqual(parse('{"t":[20,21.5,{"x":true}],"m":[[1],[2]]}'), { samples: { t_0: 20, t_1: 21.5, t_2_x: 1, m_0_0: 1, m_1_0: 2 }, t: null });
  assert.deepEqual(parse('[1,2]', 'v'), { samples: { v_0: 1, v_1: 2 }, t: null });
  assert.deepEqual(parse('[1]'), { samples: { _0: 1 }, t: null });
});

test('names are sanitised to [a-zA-Z_:][a-zA-Z0-9_:]*', () => {
  assert.deepEqual(parse('{"temp-c":1,"1st":2,"a.b":3,"ns:x":4,"ünï":5,"":6}', 'dev ice'), {
    samples: { dev_ice_temp_c: 1, dev_ice_1st: 2, dev_ice_a_b: 3, 'dev_ice_ns:x': 4, dev_ice__n_: 5, dev_ice_: 6 },
    t: null,
  });
  assert.deepEqual(parse('{"1st":2,"a b":3,"":4}'), { samples: { _1st: 2, a_b: 3 }, t: null });
  assert.deepEqual(parse('5', '9lives'), { samples: { _9lives: 5 }, t: null });
});

test('top-level time/timestamp/ts in any case set the time and are not samples', () => {
  const t = Date.UTC(2026, 0, 5, 10, 0, 0);
  assert.deepEqual(parse(`{"ts":${t / 1000},"v":1}`), { samples: { v: 1 }, t });
  assert.deepEqual(parse(`{"TIMESTAMP":${t},"v":1}`), { samples: { v: 1 }, t });
  assert.deepEqual(parse('{"tIMe":"2026-01-05T11:00:00+01:00","v":1}'), { samples: { v: 1 }, t });
  assert.deepEqual(parse('{"time":"2026-01-05T10:00:00.250Z","v":1}'), { samples: { v: 1 }, t: t + 250 });
  // Only top-level keys are time fields; nested ones are ordinary leaves.
  assert.deepEqual(parse('{"a":{"ts":5},"v":1}'), { samples: { a_ts: 5, v: 1 }, t: null });
  // An unreadable time is dropped and leaves the time of receipt.
  assert.deepEqual(parse('{"time":"yesterday","v":1}'), { samples: { v: 1 }, t: null });
  // The first readable one wins.
  assert.deepEqual(parse(`{"time":"bad","ts":${t},"Time":0,"v":1}`), { samples: { v: 1 }, t });
});

test('a scalar payload under a template without {__name__} is bad_topic', () => {
  assert.equal(parse('21.5', null), 'bad_topic');
  assert.equal(parse('on', null), 'bad_topic');
});

test('malformed JSON is not_a_number', () => {
  for (const text of ['{"a":', '{a:1}', "{'a':1}", '[1,]', '{"a":1}}', '{"a":1} x', '[', '{"a":01}']) {
    assert.equal(parse(text), 'not_a_number', text);
  }
});

test('payloads over the limit are too_large, judged on bytes before decoding', () => {
  assert.equal(parse('x'.repeat(101), 'm', 100), 'too_large');
  assert.deepEqual(parse(' '.repeat(97) + '1.5', 'm', 100), { samples: { m: 1.5 }, t: null });
  // Two-byte characters: 60 characters, 120 bytes.
  assert.equal(parse(`{"${'é'.repeat(60)}":1}`, null, 100), 'too_large');
});

test('invalid UTF-8 is invalid_utf8', () => {
  assert.equal(parse(Uint8Array.of(0x32, 0x31, 0xff), 'm'), 'invalid_utf8');
  assert.equal(parse(Uint8Array.of(0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d)), 'invalid_utf8');
  // Overlong encoding of '/' and a lone surrogate half are invalid too.
  assert.equal(parse(Uint8Array.of(0xc0, 0xaf), 'm'), 'invalid_utf8');
  assert.equal(parse(Uint8Array.of(0xed, 0xa0, 0x80), 'm'), 'invalid_utf8');
  // A byte order mark is tolerated.
  assert.deepEqual(parse(Uint8Array.of(0xef, 0xbb, 0xbf, 0x37), 'm'), { samples: { m: 7 }, t: null });
});

test(`JSON nested up to ${MAX_JSON_DEPTH} levels is read, deeper is too_deep`, () => {
  const nested = (depth: number): string => '{"a":'.repeat(depth - 1) + '{"v":1}' + '}'.repeat(depth - 1);
  assert.deepEqual(parse(nested(MAX_JSON_DEPTH)), { samples: { [Array(MAX_JSON_DEPTH - 1).fill('a').join('_') + '_v']: 1 }, t: null });
  assert.equal(parse(nested(MAX_JSON_DEPTH + 1)), 'too_deep');
  assert.equal(parse('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1)), 'too_deep');
});

test('1,000-deep and 100,000-deep JSON is too_deep, without recursion trouble', () => {
  for (const depth of [1_000, 100_000]) {
    assert.equal(parse('['.repeat(depth) + '1' + ']'.repeat(depth), null, 1 << 20), 'too_deep');
    assert.equal(parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth), null, 1 << 20), 'too_deep');
    // Unclosed, as a truncated or hostile message would be.
    assert.equal(parse('['.repeat(depth), null, 1 << 20), 'too_deep');
  }
});

test('the depth scan ignores brackets inside strings, escaped quotes included', () => {
  assert.equal(jsonDepth('{"a":"[[[[{{{{"}'), 1);
  assert.equal(jsonDepth('{"a\\"[[[":"\\\\",  "b":[[1]]}'), 3);
  const deepInString = '{"s":"' + '['.repeat(1000) + '","v":2}';
  assert.deepEqual(parse(deepInString), { samples: { v: 2 }, t: null });
});

test('one PayloadSamples serves many payloads without stale samples', () => {
  const out = new PayloadSamples();
  assert.equal(parsePayload(Buffer.from(JSON.stringify(Array.from({ length: 100 }, (_, i) => i))), 'x', LIMIT, out), null);
  assert.equal(out.count, 100);
  assert.equal(parsePayload(Buffer.from('{"time":5,"a":1}'), null, LIMIT, out), null);
  assert.equal(out.count, 1);
  assert.equal(out.timestampMs, 5000);
  assert.equal(parsePayload(Buffer.from('3'), 'y', LIMIT, out), null);
  assert.equal(out.timestampMs, null);
  assert.equal(parsePayload(Buffer.from('x'), 'y', LIMIT, out)?.reason, 'not_a_number');
  assert.equal(out.count, 0);
});

test('never throws, and every sample is finite and validly named, for arbitrary bytes and JSON', () => {
  const out = new PayloadSamples();
  const check = (bytes: Uint8Array, prefix: string | null): void => {
    const rejection = parsePayload(bytes, prefix, 4096, out);
    if (rejection === null) assert.ok(out.count > 0);
    for (let i = 0; i < out.count; i++) {
      assert.match(out.names[i]!, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      assert.ok(Number.isFinite(out.values[i]!));
    }
  };
  const prefix = fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: null });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), prefix, check), { numRuns: 2000 });
  fc.assert(fc.property(fc.json(), prefix, (json, p) => check(Buffer.from(json), p)), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ maxLength: 64, unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ':', ',', '1', 'a', ' ') }), prefix, (s, p) => check(Buffer.from(s), p)), { numRuns: 2000 });
});
