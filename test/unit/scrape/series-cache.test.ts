import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseExposition } from '../../../src/inputs/scrape/parser.js';
import { SeriesCache } from '../../../src/inputs/scrape/series-cache.js';
import { formatLabels, parseLabelsKey } from '../../../src/model/labels.js';

function parse(body: string, cache: SeriesCache) {
  const out: Array<[string, number]> = [];
  const result = parseExposition(body, (key, value) => out.push([key, value]), Infinity, cache);
  return { result, out };
}

describe('series cache', () => {
  it('gives the same keys on a cached scrape as on a fresh parse, with the new values', () => {
    const cache = new SeriesCache();
    const first = parse('a{y="2",x="1"} 1\nb 2\nc{z="q\\"x"} 3 1000\n', cache);
    const second = parse('a{y="2",x="1"} 10\nb 20\nc{z="q\\"x"} 30 2000\n', cache);
    assert.deepEqual(second.out.map(([k]) => k), first.out.map(([k]) => k));
    assert.deepEqual(second.out.map(([, v]) => v), [10, 20, 30]);
  });

  it('still rejects a bad value on a cached series and a repeated series', () => {
    const cache = new SeriesCache();
    parse('a{x="1"} 1\n', cache);
    const bad = parse('a{x="1"} one\n', cache);
    assert.equal(bad.result.ok, false);
    const dup = parse('a{x="1"} 1\na{x="1"} 2\n', cache);
    assert.equal(dup.result.ok, false);
  });

  it('forgets a failed page: the next good page is parsed as the reference', () => {
    const cache = new SeriesCache();
    parse('a 1\n', cache);
    parse('b{ 1\n', cache);
    const next = parse('a 5\n', cache);
    assert.ok(next.result.ok);
    assert.deepEqual(next.out, [['__name__\u0000a', 5]]);
  });
});

/** Parses `body` without a cache, as a target's first scrape does. */
function fresh(body: string) {
  const out: Array<[string, number]> = [];
  const result = parseExposition(body, (key, value) => out.push([key, value]));
  return { result, out };
}

describe('series cache across changing pages', () => {
  it('reads a changed label value as a new series, and the old value again after it was dropped', () => {
    const cache = new SeriesCache();
    for (const body of ['a{x="1"} 1\na{x="2"} 2\n', 'a{x="1"} 1\na{x="3"} 3\n', 'a{x="2"} 2\na{x="1"} 1\n', 'a{x="2"} 5\n']) {
      assert.deepEqual(parse(body, cache), fresh(body), body);
    }
  });

  it('keeps escaped, NUL-carrying and multibyte label values exact on a cached scrape', () => {
    const cache = new SeriesCache();
    const body = 'm{a="x\\"y\\\\z\\nw",b="c:\\temp",c="Grüße 🌡 温度",d="\u0000"} 1\n';
    const first = parse(body, cache);
    const second = parse(body.replace('} 1', '} 2'), cache);
    assert.deepEqual(first, fresh(body));
    assert.deepEqual(second.out, [[first.out[0]![0], 2]]);
    assert.equal(formatLabels(parseLabelsKey(second.out[0]![0])), 'm{a="x\\"y\\\\z\\nw",b="c:\\\\temp",c="Grüße 🌡 温度",d="\\\\0"}');
  });

  it('gives a series text the same key whatever family, TYPE line or position it comes in', () => {
    const cache = new SeriesCache();
    parse('# TYPE a counter\na{x="1"} 1\n# TYPE b gauge\nb 2\n', cache);
    const moved = '# TYPE b histogram\nb 3\n# TYPE c summary\nc 4\n# TYPE a gauge\na{x="1"} 5\n';
    assert.deepEqual(parse(moved, cache), fresh(moved));
  });

  it('does not let a name-only series swallow a longer name, a label set or a bad character', () => {
    const cache = new SeriesCache();
    parse('m 1\n', cache);
    for (const body of ['mm 2\nm 1\n', 'm{a="1"} 3\nm 1\n', 'm {a="1"} 3\n', 'm\t4\n', 'm\n', 'm-x 4\n', 'm:x 5\n']) {
      assert.deepEqual(parse(body, cache), fresh(body), body);
    }
  });

  it('treats two spellings of one series as one series', () => {
    const cache = new SeriesCache();
    parse('o{a="1",b="2"} 1\n', cache);
    const respelled = 'o{ b="2", a="1", } 2\n';
    assert.deepEqual(parse(respelled, cache), fresh(respelled));
    const both = 'o{a="1",b="2"} 1\no{b="2",a="1"} 2\n';
    assert.deepEqual(parse(both, cache).result, { ok: false, line: 2, problem: 'series "o{a=\\"1\\",b=\\"2\\"}" appears twice' });
  });

  it('gives what a fresh parse gives for any sequence of pages', () => {
    const texts = ['m', 'm ', 'm{}', 'n{a="1"}', 'n{ a="1", }', 'n{a="2"}', 'o{a="1",b="2"}', 'o{b="2",a="1"}', 'p{x="q\\"r"}', 'p{x="q\\\\r"}',
      'p{x="q\\tr"}', 'u{v="ü🌡"}', 'z{a="}"}', 'z{a="{"}', 'mm', 'm_total', 'w{le="+Inf"}', 'w{le="0.5"}', 'y{a=""}', 'y{__name__="y"}'];
    const line = fc.tuple(fc.constantFrom(...texts), fc.constantFrom(' ', '\t', ''), fc.constantFrom('1', '2.5', 'NaN', 'x', '', '7 1000', '1e999'))
      .map(([text, blank, value]) => text + blank + value);
    const page = fc.array(fc.oneof({ weight: 6, arbitrary: line }, { weight: 1, arbitrary: fc.constantFrom('# TYPE m counter', '# HELP n x', '') }), { maxLength: 12 })
      .map((lines) => lines.join('\n'));
    fc.assert(
      fc.property(fc.array(page, { minLength: 1, maxLength: 8 }), (pages) => {
        const cache = new SeriesCache();
        for (const body of pages) assert.deepEqual(parse(body, cache), fresh(body), body);
      }),
      { numRuns: 3000 },
    );
    // The same with the texts shed (OUTPOST_MEMORY_LIMIT) before some pages.
    fc.assert(
      fc.property(fc.array(fc.tuple(page, fc.boolean()), { minLength: 1, maxLength: 8 }), (pages) => {
        const cache = new SeriesCache();
        for (const [body, shed] of pages) {
          if (shed) cache.shed();
          assert.deepEqual(parse(body, cache), fresh(body), body);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps up with a large page that grows, shrinks and reorders', () => {
    const cache = new SeriesCache();
    const page = (ids: number[]) => ids.map((i) => `s{id="${i}",pad="${'x'.repeat(i % 50)}"} ${i}`).join('\n');
    const ids = Array.from({ length: 5000 }, (_, i) => i);
    for (const next of [ids, ids.slice(0, 100), [...ids].reverse(), ids.filter((i) => i % 3 !== 0), [...ids, 7000, 7001]]) {
      const body = page(next);
      assert.deepEqual(parse(body, cache), fresh(body));
    }
  });
});
