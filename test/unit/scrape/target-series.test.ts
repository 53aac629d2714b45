import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { labelsKey, type Labels } from '../../../src/model/labels.js';
import { parseExposition } from '../../../src/inputs/scrape/parser.js';
import { ScrapeBuffer, TargetSeries } from '../../../src/inputs/scrape/target-series.js';
import type { WalAppender } from '../../../src/wal/wal.js';

/**
 * An appender whose refs change when `collect()` is called, as the WAL's do when it collects
 * series: an append through a ref of an older generation fails like the WAL's unknown-ref check.
 */
function collectingAppender() {
  let generation = 0;
  let nextRef = 1;
  const refs = new Map<string, number>();
  const lookups: string[] = [];
  const appended: Array<{ ref: number; key: string; v: number }> = [];
  const keyOf = new Map<number, string>();
  const appender: WalAppender = {
    seriesRef: (labels: Labels) => appender.seriesRefByKey(labelsKey(labels), () => labels),
    seriesRefByKey(key) {
      lookups.push(key);
      let ref = refs.get(key);
      if (ref === undefined) {
        ref = nextRef++;
        refs.set(key, ref);
        keyOf.set(ref, key);
      }
      return ref;
    },
    append(ref, _t, v) {
      const key = keyOf.get(ref);
      if (key === undefined) throw new Error(`append to unknown series ref ${ref}`);
      appended.push({ ref, key, v });
    },
    afterCommit: (fn) => fn(),
    seriesGeneration: () => generation,
    setMetadata() {},
  };
  return {
    appender,
    lookups,
    appended,
    /** Forgets every series, as a WAL collecting them would, and starts a new generation. */
    collect() {
      refs.clear();
      keyOf.clear();
      generation++;
    },
  };
}

/** `page` parsed as the scraper parses a target's page: into a buffer, through the target's cache. */
function scrapeOf(series: TargetSeries, page: string): ScrapeBuffer {
  const buffer = new ScrapeBuffer();
  assert.ok(parseExposition(page, buffer.push, Infinity, series.cache).ok);
  return buffer;
}

describe('TargetSeries', () => {

  it('looks a series key up in the WAL once and appends through the kept ref afterwards', () => {
    const wal = collectingAppender();
    const series = new TargetSeries('sensors', 'gw:9100', new Set());
    for (let i = 0; i < 3; i++) series.appendScrape(wal.appender, scrapeOf(series, `temp_celsius{room="a"} ${20 + i}\n`), 1_000 * i);
    assert.equal(wal.lookups.length, 1);
    assert.deepEqual(wal.appended.map((a) => a.v), [20, 21, 22]);
  });

  it('resolves refs again after the WAL collected series, so no sample goes to a forgotten ref', () => {
    const wal = collectingAppender();
    const series = new TargetSeries('sensors', 'gw:9100', new Set());
    series.appendScrape(wal.appender, scrapeOf(series, 'temp_celsius{room="a"} 1\n'), 0);
    wal.collect();
    series.appendScrape(wal.appender, scrapeOf(series, 'temp_celsius{room="a"} 2\n'), 1_000);
    assert.equal(wal.lookups.length, 2);
    assert.deepEqual(wal.appended.map((a) => [a.key, a.v]), [[wal.lookups[0], 1], [wal.lookups[0], 2]]);
    assert.match(wal.lookups[0]!, /instance\u0000gw:9100/);
  });
});
