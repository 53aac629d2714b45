import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeExposition } from '../../../src/inputs/scrape/decode.js';
import { parseExposition, type ParseResult } from '../../../src/inputs/scrape/parser.js';
import { formatLabels, parseLabelsKey } from '../../../src/model/labels.js';

interface Parsed {
  series: string;
  value: number;
  ts: number | null;
}

/** Parses `body` and returns the samples as `name{a="b"}` strings with their values. */
function parse(body: string): { result: ParseResult; samples: Parsed[] } {
  const samples: Parsed[] = [];
  const result = parseExposition(body, (key, value, ts) => samples.push({ series: formatLabels(parseLabelsKey(key)), value, ts }));
  return { result, samples };
}

function samplesOf(body: string): Parsed[] {
  const { result, samples } = parse(body);
  assert.deepEqual(result, { ok: true, samples: samples.length }, `body should parse: ${JSON.stringify(body)}`);
  return samples;
}

function problemOf(body: string): { line: number; problem: string } {
  const { result } = parse(body);
  assert.equal(result.ok, false, `body should fail: ${JSON.stringify(body)}`);
  const { line, problem } = result as { line: number; problem: string };
  return { line, problem };
}

describe('parseExposition accepts the text format', () => {
  const cases: Array<[string, string, Parsed[]]> = [
    ['a plain sample', 'm 1\n', [{ series: 'm{}', value: 1, ts: null }]],
    ['a body without a final newline', 'm 1', [{ series: 'm{}', value: 1, ts: null }]],
    ['an empty body', '', []],
    ['blank lines and blank-only lines', '\n  \n\t\nm 1\n\n', [{ series: 'm{}', value: 1, ts: null }]],
    ['CRLF line ends', 'm 1\r\nn{a="b"} 2 1000\r\n', [{ series: 'm{}', value: 1, ts: null }, { series: 'n{a="b"}', value: 2, ts: 1000 }]],
    ['an empty label set', 'm{} 3', [{ series: 'm{}', value: 3, ts: null }]],
    ['a trailing comma in the label set', 'm{a="1",b="2",} 1', [{ series: 'm{a="1",b="2"}', value: 1, ts: null }]],
    ['blanks between the tokens', '  m { a = "1" , b="2" }  7   99  ', [{ series: 'm{a="1",b="2"}', value: 7, ts: 99 }]],
    ['no blank between } and the value', 'm{a="1"}5', [{ series: 'm{a="1"}', value: 5, ts: null }]],
    ['labels in any order, sorted into the key', 'm{z="1",Z="2",_a="3"} 1', [{ series: 'm{Z="2",_a="3",z="1"}', value: 1, ts: null }]],
    ['an empty value as an absent label', 'm{a="",b="x"} 1', [{ series: 'm{b="x"}', value: 1, ts: null }]],
    ['escaped backslash, quote and newline', 'm{a="x\\\\y\\"z\\nw"} 1', [{ series: 'm{a="x\\\\y\\"z\\nw"}', value: 1, ts: null }]],
    ['an unknown escape kept as written', 'm{a="c:\\temp\\d"} 1', [{ series: 'm{a="c:\\\\temp\\\\d"}', value: 1, ts: null }]],
    ['braces, commas and = inside a value', 'm{a="{x=1,y}"} 1', [{ series: 'm{a="{x=1,y}"}', value: 1, ts: null }]],
    ['UTF-8 in values, surrogate pairs included', 'm{a="Grüße 🌡"} 1', [{ series: 'm{a="Grüße 🌡"}', value: 1, ts: null }]],
    ['colons in metric names', 'job:rate:5m 0.5', [{ series: 'job:rate:5m{}', value: 0.5, ts: null }]],
    ['negative integer timestamps', 'm 1 -1500', [{ series: 'm{}', value: 1, ts: -1500 }]],
    ['comments of every shape', '# a comment\n#no blank\n# help lower case\n#\n# HELPING hand\nm 1', [{ series: 'm{}', value: 1, ts: null }]],
    ['HELP with escapes and without text', '# HELP m A \\\\ and a \\n, "quoted".\n# HELP n\nm 1', [{ series: 'm{}', value: 1, ts: null }]],
  ];
  for (const [name, body, expected] of cases) {
    it(`reads ${name}`, () => assert.deepEqual(samplesOf(body), expected));
  }

  it('reads every metric type and untyped samples', () => {
    const body = ['counter', 'gauge', 'histogram', 'summary', 'untyped'].map((t, i) => `# TYPE m${i} ${t}\nm${i} ${i}`).join('\n');
    assert.deepEqual(samplesOf(body).map((s) => s.value), [0, 1, 2, 3, 4]);
  });

  it('reads values as Go ParseFloat does, without hex', () => {
    const values: Array<[string, number]> = [
      ['0', 0], ['-0', -0], ['+7', 7], ['1.5', 1.5], ['.5', 0.5], ['5.', 5], ['-2.5e-3', -0.0025], ['1E6', 1e6],
      ['1.e2', 100], ['123456789012345678901', 123456789012345678901], ['1e-400', 0],
      ['+Inf', Infinity], ['-Inf', -Infinity], ['Inf', Infinity], ['inf', Infinity], ['-infinity', -Infinity],
      ['NaN', NaN], ['nan', NaN],
    ];
    for (const [text, value] of values) {
      const [sample] = samplesOf(`m ${text}`);
      assert.ok(Object.is(sample!.value, value), `${text} should read as ${value}, got ${sample!.value}`);
    }
  });

  it('reads a histogram and a summary with their buckets, quantiles, sums and counts', () => {
    const body = [
      '# HELP http_request_duration_seconds A histogram of request latencies.',
      '# TYPE http_request_duration_seconds histogram',
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="0.1"} 33444',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      'http_request_duration_seconds_sum 53423',
      'http_request_duration_seconds_count 144320',
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{quantile="0.01"} 3102',
      'rpc_duration_seconds{quantile="0.99"} NaN',
      'rpc_duration_seconds_sum 1.7560473e+07',
      'rpc_duration_seconds_count 2693',
    ].join('\n');
    assert.deepEqual(samplesOf(body).map((s) => `${s.series} ${s.value}`), [
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="0.1"} 33444',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      'http_request_duration_seconds_sum{} 53423',
      'http_request_duration_seconds_count{} 144320',
      'rpc_duration_seconds{quantile="0.01"} 3102',
      'rpc_duration_seconds{quantile="0.99"} NaN',
      'rpc_duration_seconds_sum{} 17560473',
      'rpc_duration_seconds_count{} 2693',
    ]);
  });

  it('stops at a sample limit', () => {
    assert.deepEqual(parseExposition('a 1\nb 2\nc 3', () => {}, 2), { ok: false, line: 3, problem: 'more than 2 samples' });
    assert.deepEqual(parseExposition('a 1\nb 2', () => {}, 2), { ok: true, samples: 2 });
  });
});

describe('parseExposition rejects malformed lines with their line number', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['a metric name starting with a digit', 'ok 1\n1m 1', 2, /expected a metric name/],
    ['an invalid character in a metric name', 'm-x 1', 1, /invalid character "-"/],
    ['a missing value', 'm', 1, /expected a value/],
    ['a missing value after labels', 'm{a="1"}', 1, /expected a value/],
    ['a value that is no number', 'm one', 1, /invalid value "one"/],
    ['a hex value', 'm 0x1p3', 1, /invalid value/],
    ['an underscore in a value', 'm 1_000', 1, /invalid value/],
    ['a signed NaN', 'm -NaN', 1, /invalid value/],
    ['a bare sign', 'm -', 1, /invalid value/],
    ['an exponent without digits', 'm 1e', 1, /invalid value/],
    ['an overflowing value', 'm 1e999', 1, /out of range/],
    ['a fractional timestamp', 'm 1 1.5', 1, /invalid timestamp/],
    ['an oversized timestamp', 'm 1 99999999999999999999', 1, /invalid timestamp/],
    ['text after the timestamp', 'm 1 2 3', 1, /unexpected text after the timestamp/],
    ['a label name starting with a digit', 'm{1a="x"} 1', 1, /invalid label name/],
    ['a colon in a label name', 'm{a:b="x"} 1', 1, /expected "="/],
    ['an unquoted label value', 'm{a=x} 1', 1, /expected a quoted value/],
    ['an unterminated label value', 'm{a="x} 1', 1, /unterminated value/],
    ['an escaped closing quote', 'm{a="x\\"} 1', 1, /unterminated value/],
    ['an unterminated label set', 'm{a="x"', 1, /unterminated label set/],
    ['two commas', 'm{a="x",,} 1', 1, /invalid label name/],
    ['a missing comma', 'm{a="x" b="y"} 1', 1, /expected "," or "}"/],
    ['a repeated label name', 'm{a="1",b="2",a="3"} 1', 1, /label "a" appears twice/],
    ['a repeated label, one value empty', 'm{a="",a="3"} 1', 1, /label "a" appears twice/],
    ['a __name__ label', 'm{__name__="n"} 1', 1, /"__name__" appears twice/],
    ['a lone surrogate in a value', 'm{a="x\ud800"} 1', 1, /not valid UTF-8/],
    ['a lone low surrogate in a value', 'm{a="\udc00x"} 1', 1, /not valid UTF-8/],
    ['the same series twice', 'a 1\nm{b="1",c="2"} 1\n\nm{c="2",b="1"} 2', 4, /series "m\{b=\\"1\\",c=\\"2\\"\}" appears twice/],
    ['the same series twice after dropping an empty label', 'm 1\nm{a=""} 2', 2, /appears twice/],
    ['a TYPE without a type', '# TYPE m', 1, /invalid metric type ""/],
    ['an unknown type', '# TYPE m timer', 1, /invalid metric type "timer"/],
    ['a TYPE with extra words', '# TYPE m counter gauge', 1, /invalid metric type/],
    ['a HELP without a name', '# HELP', 1, /expected a metric name after HELP/],
    ['a HELP with a bad name', '# HELP m-x text', 1, /invalid metric name in HELP/],
    ['a bad line after CRLF lines', 'a 1\r\nb 2\r\nc\r\n', 3, /expected a value/],
  ];
  for (const [name, body, line, problem] of cases) {
    it(`rejects ${name}`, () => {
      const failure = problemOf(body);
      assert.equal(failure.line, line);
      assert.match(failure.problem, problem);
    });
  }

  it('keeps problems short whatever the line holds', () => {
    assert.ok(problemOf(`m ${'9'.repeat(100_000)}x`).problem.length < 200);
  });
});

describe('decodeExposition', () => {
  it('decodes UTF-8 and names the first line that is not', () => {
    assert.deepEqual(decodeExposition(Buffer.from('m{a="ü"} 1\n')), { ok: true, text: 'm{a="ü"} 1\n' });
    const bad = Buffer.concat([Buffer.from('a 1\nb 2\nm{a="'), Buffer.from([0xc3, 0x28]), Buffer.from('"} 1\n')]);
    assert.deepEqual(decodeExposition(bad), { ok: false, line: 3, problem: 'line is not valid UTF-8' });
    assert.deepEqual(decodeExposition(Buffer.from([0x61, 0xff])), { ok: false, line: 1, problem: 'line is not valid UTF-8' });
    const truncated = Buffer.concat([Buffer.from('a 1\nb 2\n'), Buffer.from([0xe2, 0x82])]);
    assert.deepEqual(decodeExposition(truncated), { ok: false, line: 3, problem: 'line is not valid UTF-8' });
  });
});

describe('parseExposition on arbitrary input', () => {
  const VALID = [
    '# HELP m help \\\\ text\n# TYPE m histogram\n',
    'm_bucket{le="0.1",path="/a"} 3 1700000000000\n',
    'm_bucket{le="+Inf",path="/a"} 5\n',
    'g{a="x\\"y",b="\\n"} -1.5e-3\r\n',
    'untyped NaN\n',
    'x{} +Inf\n',
    '\n# comment\n',
  ].join('');
  const TOKENS = ['{', '}', '"', '\\', '=', ',', ' ', '\t', '\n', '\r', '#', 'HELP', 'TYPE', 'a', '1', 'e', '.', '-', '+', 'Inf', 'NaN', '\ud800', '\u0000', 'ü'];

  function assertTotal(body: string): void {
    const started = performance.now();
    let result: ParseResult | undefined;
    assert.doesNotThrow(() => (result = parseExposition(body, () => {})));
    assert.ok(result!.ok ? result!.samples >= 0 : result!.line >= 1 && result!.problem.length > 0);
    assert.ok(performance.now() - started < 1000, `took too long on a ${body.length}-character body`);
  }

  it('never throws and finishes quickly on random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), assertTotal), { numRuns: 2000 });
    fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 200 }).map((t) => t.join('')), assertTotal), { numRuns: 2000 });
  });

  it('never throws on mutations of a valid body', () => {
    const mutation = fc.record({ at: fc.nat(VALID.length), cut: fc.nat(8), insert: fc.array(fc.constantFrom(...TOKENS), { maxLength: 4 }) });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        let body = VALID;
        for (const m of mutations) body = body.slice(0, m.at) + m.insert.join('') + body.slice(m.at + m.cut);
        assertTotal(body);
      }),
      { numRuns: 3000 },
    );
  });

  it('stays fast on hostile lines: many labels, long values, many lines', () => {
    const manyLabels = 'm{' + Array.from({ length: 20_000 }, (_, i) => `l${20_000 - i}="v"`).join(',') + '} 1';
    const longValue = `m{a="${'\\"'.repeat(200_000)}"} 1`;
    const manyLines = Array.from({ length: 100_000 }, (_, i) => `m{i="${i}"} ${i}`).join('\n');
    for (const body of [manyLabels, longValue, manyLines, '{'.repeat(500_000), '# HELP '.repeat(100_000)]) assertTotal(body);
  });
});
