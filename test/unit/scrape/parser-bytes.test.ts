import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseExposition, type ParseResult } from '../../../src/inputs/scrape/parser.js';

type Sample = [key: string, value: number, timestampMs: number | null];

function parse(body: string | Uint8Array): { result: ParseResult; samples: Sample[] } {
  const samples: Sample[] = [];
  const result = parseExposition(body, (key, value, ts) => samples.push([key, value, ts]));
  return { result, samples };
}

const BODIES = [
  'm 1\n',
  '# HELP m Grüße, \\\\ and \\n.\n# TYPE m gauge\nm{a="Grüße 🌡",b="温度"} 21.5 1700000000000\r\n',
  'm{a="x\\\\y\\"z\\nw",b="c:\\temp",c="\u0000"} -2.5e-3\n',
  'm{z="1",a="€"} +Inf\nn{a="ü"} NaN\n\n# comment with ü\n',
  'm 1\nm{a="€"} 2\nm{a="€",b=""} 3\n',
  'm{a="1"} 1\nbad line\n',
];

describe('parseExposition on a body of bytes', () => {
  it('reads bytes as it reads their text, multibyte UTF-8 in values, names and comments included', () => {
    for (const body of BODIES) assert.deepEqual(parse(Buffer.from(body)), parse(body), JSON.stringify(body));
  });

  it('reads a body that is a view into a larger buffer, at any offset', () => {
    for (const body of BODIES) {
      const bytes = Buffer.from(body);
      for (const offset of [1, 3, 8]) {
        const backing = new Uint8Array(offset + bytes.length + 5).fill(0x7b);
        backing.set(bytes, offset);
        assert.deepEqual(parse(backing.subarray(offset, offset + bytes.length)), parse(body), `${JSON.stringify(body)} at ${offset}`);
      }
    }
  });

  it('drops a leading byte order mark, as decoding the body did', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    assert.deepEqual(parse(Buffer.concat([bom, Buffer.from('m 1\n')])), parse('m 1\n'));
    assert.equal(parse(Buffer.concat([Buffer.from('m 1\n'), bom, Buffer.from('n 2\n')])).result.ok, false, 'only at the start');
  });

  it('names the first line that is not UTF-8, even after a line with a syntax error', () => {
    const cases: Array<[number[], number]> = [
      [[0xff], 3],
      [[0xc0, 0x80], 3], // an overlong NUL
      [[0xed, 0xa0, 0x80], 3], // a surrogate's encoding
      [[0xe2, 0x82], 3], // a cut sequence at the end
    ];
    for (const [bad, line] of cases) {
      const body = Buffer.concat([Buffer.from('a 1\nb{ 2\nc{x="'), Buffer.from(bad), Buffer.from('"} 1\n')]);
      assert.deepEqual(parse(body).result, { ok: false, line, problem: 'line is not valid UTF-8' }, JSON.stringify(bad));
    }
  });

  it('reads every decimal as Number() does, through the digit path or not', () => {
    const decimal = fc
      .tuple(
        fc.constantFrom('', '-', '+'),
        fc.stringMatching(/^[0-9]{0,20}$/),
        fc.option(fc.stringMatching(/^[0-9]{0,20}$/)),
        fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), fc.integer({ min: 0, max: 400 }))),
      )
      .filter(([, int, frac]) => /[0-9]/.test(int + (frac ?? '')))
      .map(([sign, int, frac, exp]) => sign + int + (frac === null ? '' : '.' + frac) + (exp === null ? '' : exp[0] + exp[1] + exp[2]));
    fc.assert(
      fc.property(decimal, (text) => {
        const expected = Number(text);
        const { result, samples } = parse(`m ${text}`);
        if (!Number.isFinite(expected)) {
          assert.equal(result.ok, false, `${text} is out of range`);
          return;
        }
        assert.ok(result.ok, text);
        assert.ok(Object.is(samples[0]![1], expected), `${text} should read as ${expected}, got ${samples[0]![1]}`);
      }),
      { numRuns: 20_000 },
    );
  });
});
