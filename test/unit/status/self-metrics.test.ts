import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetricsRegistry, formatValue, type LabelPair } from '../../../src/status/self-metrics.js';

test('renders counters and gauges in exact text format 0.0.4, in registration order', () => {
  const r = createMetricsRegistry();
  const appended = r.counter('outpost_wal_samples_appended_total', 'Samples appended to the WAL.');
  const up = r.gauge('outpost_uplink_up', 'Whether the endpoint answered.', ['url']);
  appended.inc();
  appended.inc(41);
  up.labels('https://a.example/api/v1/write').set(1);
  up.labels('https://b.example/api/v1/write').set(0);
  assert.equal(r.render(), [
    '# HELP outpost_wal_samples_appended_total Samples appended to the WAL.',
    '# TYPE outpost_wal_samples_appended_total counter',
    'outpost_wal_samples_appended_total 42',
    '# HELP outpost_uplink_up Whether the endpoint answered.',
    '# TYPE outpost_uplink_up gauge',
    'outpost_uplink_up{url="https://a.example/api/v1/write"} 1',
    'outpost_uplink_up{url="https://b.example/api/v1/write"} 0',
    '',
  ].join('\n'));
});

test('label-less families show 0 before first use; labelled ones show only HELP and TYPE', () => {
  const r = createMetricsRegistry();
  r.gauge('outpost_wal_segments', 'Segments.');
  r.counter('outpost_series_dropped_total', 'Dropped series.', ['reason']);
  assert.equal(r.render(), [
    '# HELP outpost_wal_segments Segments.',
    '# TYPE outpost_wal_segments gauge',
    'outpost_wal_segments 0',
    '# HELP outpost_series_dropped_total Dropped series.',
    '# TYPE outpost_series_dropped_total counter',
    '',
  ].join('\n'));
});

test('escapes backslash and newline in HELP, and backslash, quote and newline in label values', () => {
  const r = createMetricsRegistry();
  r.gauge('m', 'a \\ b\nc "quoted"', ['path']).labels('C:\\dir\n"x"').set(1);
  assert.equal(r.render(), [
    '# HELP m a \\\\ b\\nc "quoted"',
    '# TYPE m gauge',
    'm{path="C:\\\\dir\\n\\"x\\""} 1',
    '',
  ].join('\n'));
});

test('formats special and large values like Prometheus', () => {
  assert.equal(formatValue(NaN), 'NaN');
  assert.equal(formatValue(Infinity), '+Inf');
  assert.equal(formatValue(-Infinity), '-Inf');
  assert.equal(formatValue(0), '0');
  assert.equal(formatValue(-0), '0');
  assert.equal(formatValue(-1), '-1');
  assert.equal(formatValue(1.5), '1.5');
  assert.equal(formatValue(1_700_000_000_123), '1700000000123');
  assert.equal(formatValue(1e21), '1000000000000000000000');
  assert.equal(formatValue(1e-7), '1e-7');
  assert.equal(Number(formatValue(0.1 + 0.2)), 0.1 + 0.2);

  const r = createMetricsRegistry();
  r.gauge('g', 'h', ['k']).labels('nan').set(NaN);
  r.gauge('h', 'h').set(-Infinity);
  assert.match(r.render(), /^g\{k="nan"\} NaN$/m);
  assert.match(r.render(), /^h -Inf$/m);
});

test('writes labels in declared order whatever their names', () => {
  const r = createMetricsRegistry();
  r.counter('outpost_samples_rejected_total', 'h', ['url', 'reason']).labels('http://x', 'bad_request').inc();
  assert.match(r.render(), /^outpost_samples_rejected_total\{url="http:\/\/x",reason="bad_request"\} 1$/m);
});

test('the same label values address the same series; different lists never collide', () => {
  const r = createMetricsRegistry();
  const c = r.counter('c_total', 'h', ['a', 'b']);
  c.labels('x', 'y').inc();
  c.labels('x', 'y').inc(2);
  c.labels('1:x', '').inc(5);
  c.labels('', '1:x').inc(7);
  assert.equal(c.labels('x', 'y').get(), 3);
  assert.equal(c.labels('1:x', '').get(), 5);
  assert.equal(c.labels('', '1:x').get(), 7);
});

test('gauges set, increase and decrease; counters only increase', () => {
  const r = createMetricsRegistry();
  const g = r.gauge('g', 'h');
  g.set(10);
  g.inc();
  g.dec(4);
  assert.equal(g.get(), 7);
  const c = r.counter('c_total', 'h');
  c.inc(0.5);
  assert.equal(c.get(), 0.5);
  assert.throws(() => c.inc(-1), /cannot be increased/);
  assert.throws(() => c.inc(NaN), /cannot be increased/);
  assert.equal(c.get(), 0.5);
});

test('throws on duplicate or invalid registrations and on misuse of labels', () => {
  const r = createMetricsRegistry();
  r.counter('dup_total', 'h');
  assert.throws(() => r.counter('dup_total', 'h'), /already registered/);
  assert.throws(() => r.gauge('dup_total', 'h'), /already registered/);
  assert.throws(() => r.gauge('9starts_with_digit', 'h'), /invalid metric name/);
  assert.throws(() => r.gauge('has-dash', 'h'), /invalid metric name/);
  assert.throws(() => r.gauge('', 'h'), /invalid metric name/);
  assert.throws(() => r.gauge('l1', 'h', ['bad-label']), /invalid label name/);
  assert.throws(() => r.gauge('l2', 'h', ['__reserved']), /invalid label name/);
  assert.throws(() => r.gauge('l3', 'h', ['a', 'a']), /repeated/);
  const labelled = r.gauge('labelled', 'h', ['a']);
  assert.throws(() => labelled.set(1), /has labels/);
  assert.throws(() => labelled.labels(), /takes 1 label values, got 0/);
  assert.throws(() => labelled.labels('x', 'y'), /takes 1 label values, got 2/);
  // A failed registration does not reserve the name.
  r.gauge('l1', 'h', ['good_label']);
});

test('forEachSample sees every current sample with its labels', () => {
  const r = createMetricsRegistry();
  r.counter('a_total', 'h').inc(3);
  const dropped = r.counter('outpost_wal_samples_dropped_total', 'h', ['reason']);
  dropped.labels('retention').inc(2);
  dropped.labels('disk_budget').inc(1);
  r.gauge('empty', 'h', ['x']);
  const seen: Array<[string, LabelPair[], number]> = [];
  r.forEachSample((name, labels, value) => seen.push([name, labels.map((l) => ({ ...l })), value]));
  assert.deepEqual(seen, [
    ['a_total', [], 3],
    ['outpost_wal_samples_dropped_total', [{ name: 'reason', value: 'retention' }], 2],
    ['outpost_wal_samples_dropped_total', [{ name: 'reason', value: 'disk_budget' }], 1],
  ]);
});

test('collect callbacks run before every render and every forEachSample', () => {
  const r = createMetricsRegistry();
  let bytes = 100;
  let runs = 0;
  const walBytes = r.gauge('outpost_wal_bytes', 'h', [], () => {
    runs++;
    walBytes.set(bytes);
  });
  assert.match(r.render(), /^outpost_wal_bytes 100$/m);
  bytes = 250;
  const values: number[] = [];
  r.forEachSample((_name, _labels, value) => values.push(value));
  assert.deepEqual(values, [250]);
  assert.equal(runs, 2);
});

test('a throwing collect callback reaches the caller of render', () => {
  const r = createMetricsRegistry();
  r.gauge('g', 'h', [], () => { throw new Error('WAL is closed'); });
  assert.throws(() => r.render(), /WAL is closed/);
});
