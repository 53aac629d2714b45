import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseExposition } from '../../../src/inputs/scrape/parser.js';
import { SeriesCache } from '../../../src/inputs/scrape/series-cache.js';

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
