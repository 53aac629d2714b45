import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PageMetadata, unescapeHelp } from '../../../src/inputs/scrape/page-metadata.js';
import { parseExposition } from '../../../src/inputs/scrape/parser.js';
import { SeriesCache } from '../../../src/inputs/scrape/series-cache.js';
import type { MetricMetadata } from '../../../src/model/metadata.js';

/** Parses `body` into `page` (a fresh one by default) and returns the families of the last good page. */
function metadataOf(body: string, page = new PageMetadata(), cache = new SeriesCache()): Map<string, MetricMetadata> {
  parseExposition(Buffer.from(body), () => {}, Infinity, cache, page);
  const out = new Map<string, MetricMetadata>();
  page.forEach((family, m) => out.set(family, m));
  return out;
}

const PAGE = [
  '# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.',
  '# TYPE go_gc_duration_seconds summary',
  'go_gc_duration_seconds{quantile="0"} 2.1e-05',
  'go_gc_duration_seconds_sum 0.01',
  'go_gc_duration_seconds_count 12',
  '# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.',
  '# TYPE node_cpu_seconds_total counter',
  'node_cpu_seconds_total{cpu="0",mode="idle"} 1234.5',
  '# HELP odd_help Path C:\\\\temp\\nsecond line, a \\t kept, trailing blank ',
  '# TYPE odd_help untyped',
  'odd_help 1',
  '# TYPE typed_only gauge',
  'typed_only 2',
  '# UNIT room_temp celsius',
  '# HELP room_temp  Two blanks: the second belongs to the text.',
  'room_temp 21',
  'no_metadata 3',
  '',
].join('\n');

describe('PageMetadata', () => {
  it('keeps type, unescaped help and unit per family, in page order', () => {
    assert.deepEqual([...metadataOf(PAGE)], [
      ['go_gc_duration_seconds', { type: 'summary', help: 'A summary of the pause duration of garbage collection cycles.', unit: '' }],
      ['node_cpu_seconds_total', { type: 'counter', help: 'Seconds the CPUs spent in each mode.', unit: '' }],
      ['odd_help', { type: 'unknown', help: 'Path C:\\temp\nsecond line, a \\t kept, trailing blank ', unit: '' }],
      ['typed_only', { type: 'gauge', help: '', unit: '' }],
      ['room_temp', { type: 'unknown', help: ' Two blanks: the second belongs to the text.', unit: 'celsius' }],
    ]);
  });

  it('keeps the same objects for a page that did not change, and a new one for a family that did', () => {
    const page = new PageMetadata();
    const cache = new SeriesCache();
    const first = metadataOf(PAGE, page, cache);
    const second = metadataOf(PAGE, page, cache);
    for (const [family, m] of first) assert.equal(second.get(family), m, family);
    const third = metadataOf(PAGE.replace('each mode.', 'each mode, changed.'), page, cache);
    assert.equal(third.get('node_cpu_seconds_total')?.help, 'Seconds the CPUs spent in each mode, changed.');
    assert.equal(third.get('go_gc_duration_seconds'), first.get('go_gc_duration_seconds'));
  });

  it('forgets families a good page no longer has, and takes a lost TYPE line as unknown', () => {
    const page = new PageMetadata();
    metadataOf(PAGE, page);
    const next = metadataOf('# HELP typed_only Now with help.\ntyped_only 2\n', page);
    assert.deepEqual([...next], [['typed_only', { type: 'unknown', help: 'Now with help.', unit: '' }]]);
  });

  it('leaves the last good page as it was when a page fails', () => {
    const page = new PageMetadata();
    const good = metadataOf(PAGE, page);
    const afterFailure = metadataOf('# TYPE node_cpu_seconds_total gauge\n# HELP brand_new x\nbroken{ 1\n', page);
    assert.deepEqual([...afterFailure], [...good]);
    assert.equal(metadataOf('# TYPE brand_new gauge\nbrand_new 1\n', page).get('brand_new')?.type, 'gauge');
  });

  it('never fails a page for a UNIT line, which the 0.0.4 grammar reads as a comment', () => {
    const body = '# UNIT 1bad seconds\n# UNIT\n# UNITS are words\nm 1\n';
    const page = new PageMetadata();
    assert.deepEqual(parseExposition(Buffer.from(body), () => {}, Infinity, undefined, page), { ok: true, samples: 1 });
    assert.deepEqual(parseExposition(Buffer.from(body), () => {}), { ok: true, samples: 1 });
    assert.deepEqual(metadataOf(body), new Map());
  });

  it('still fails a page on a malformed TYPE line', () => {
    const result = parseExposition(Buffer.from('# TYPE m info\nm 1\n'), () => {}, Infinity, undefined, new PageMetadata());
    assert.deepEqual(result, { ok: false, line: 1, problem: 'invalid metric type "info"; expected counter, gauge, histogram, summary or untyped' });
  });
});

describe('unescapeHelp', () => {
  it('decodes a backslash pair and \\n as Prometheus does and keeps any other backslash', () => {
    assert.equal(unescapeHelp('plain'), 'plain');
    assert.equal(unescapeHelp('a\\\\b\\nc'), 'a\\b\nc');
    assert.equal(unescapeHelp('\\\\n'), '\\n');
    assert.equal(unescapeHelp('\\"quoted\\" \\x trailing\\'), '\\"quoted\\" \\x trailing\\');
  });
});
