import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { createScrapeInput, type ScrapeOptions } from '../../../src/inputs/scrape/scraper.js';
import type { PollingInput } from '../../../src/inputs/input.js';
import { silentLogger } from '../../../src/lib/log.js';
import { readVersion } from '../../../src/lib/version.js';
import { formatLabels, labelsKey, parseLabelsKey } from '../../../src/model/labels.js';
import type { MetricMetadata } from '../../../src/model/metadata.js';
import { isStaleNaN } from '../../../src/model/staleness.js';
import type { WalAppender } from '../../../src/wal/wal.js';
import { freePort } from '../../helpers/outpost-process.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { openTestWal } from '../../helpers/wal-fixture.js';

const T0 = 1_700_000_000_000;
const T1 = T0 + 15_000;
const T2 = T1 + 15_000;
const T3 = T2 + 15_000;
const INSTANCE = 'gw:9100';
const JOB = 'node';
const REPORT = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_series_added'];

interface Recorded {
  series: string;
  t: number;
  v: number;
  stale: boolean;
}

/**
 * An appender that records every sample as `name{…}` (job and instance left out for brevity), and
 * every family's metadata with the number of times it was stated.
 */
function recordingAppender(): WalAppender & { samples: Recorded[]; take(): Recorded[]; metadata: Map<string, MetricMetadata>; metadataCalls: Map<string, number> } {
  const refs = new Map<string, number>();
  const keys = [''];
  const samples: Recorded[] = [];
  const metadata = new Map<string, MetricMetadata>();
  const metadataCalls = new Map<string, number>();
  const appender = {
    samples,
    metadata,
    metadataCalls,
    setMetadata(family: string, m: MetricMetadata) {
      metadata.set(family, m);
      metadataCalls.set(family, (metadataCalls.get(family) ?? 0) + 1);
    },
    take: () => samples.splice(0),
    seriesRef: (labels: Parameters<WalAppender['seriesRef']>[0]) => appender.seriesRefByKey(labelsKey(labels)),
    seriesRefByKey(key: string) {
      let ref = refs.get(key);
      if (ref === undefined) {
        ref = keys.push(key) - 1;
        refs.set(key, ref);
      }
      return ref;
    },
    append(ref: number, t: number, v: number) {
      const labels = parseLabelsKey(keys[ref]!);
      assert.equal(labels.find((l) => l.name === 'job')?.value, JOB, `job label of ${keys[ref]}`);
      assert.equal(labels.find((l) => l.name === 'instance')?.value, INSTANCE, `instance label of ${keys[ref]}`);
      const series = formatLabels(labels.filter((l) => l.name !== 'job' && l.name !== 'instance'));
      samples.push({ series, t, v, stale: isStaleNaN(v) });
    },
    afterCommit(fn: () => void) { fn(); },
    seriesGeneration: () => 0,
  };
  return appender;
}

/** The target's own samples, as `series value@t` strings ('stale' for markers). */
function targetSamples(samples: Recorded[]): string[] {
  return samples.filter((s) => !REPORT.some((r) => s.series === `${r}{}`)).map((s) => `${s.series} ${s.stale ? 'stale' : s.v}@${s.t}`);
}

function reportValue(samples: Recorded[], name: string): number | undefined {
  return samples.find((s) => s.series === `${name}{}`)?.v;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A local exporter whose answer each test scripts; it remembers the request headers. */
let server: Server;
let handler: Handler = (_req, res) => res.end();
let lastHeaders: IncomingHttpHeaders = {};
let baseUrl = '';

before(async () => {
  server = createServer((req, res) => {
    lastHeaders = req.headers;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function serve(body: string | Buffer, headers: Record<string, string> = {}, status = 200): void {
  handler = (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; version=0.0.4', ...headers });
    res.end(body);
  };
}

function scrapeInput(overrides: Partial<ScrapeOptions> = {}, url = baseUrl): PollingInput {
  return createScrapeInput({ job: JOB, url, instance: INSTANCE }, { timeoutMs: 2000, log: silentLogger, ...overrides });
}

function capturingLogger() {
  const records: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, records };
}

describe('scrape input', () => {
  it('writes the samples with job and instance, and up, duration, samples scraped and series added', async () => {
    serve('# TYPE a counter\na 1\nb{x="y"} 2.5 1000\n');
    const input = scrapeInput();
    const appender = recordingAppender();
    await input.collect(appender, T0);
    const first = appender.take();
    assert.deepEqual(targetSamples(first), [`a{} 1@${T0}`, `b{x="y"} 2.5@1000`]);
    assert.equal(reportValue(first, 'up'), 1);
    assert.equal(reportValue(first, 'scrape_samples_scraped'), 2);
    assert.equal(reportValue(first, 'scrape_series_added'), 2);
    const duration = reportValue(first, 'scrape_duration_seconds')!;
    assert.ok(duration > 0 && duration < 2, `duration ${duration}`);
    assert.ok(first.every((s) => s.series === 'b{x="y"}' || s.t === T0), 'report samples carry the scrape time');

    await input.collect(appender, T1);
    assert.equal(reportValue(appender.take(), 'scrape_series_added'), 0);
  });

  it('is named after job and instance and sends the headers Prometheus sends', async () => {
    serve('a 1\n');
    const input = scrapeInput({ timeoutMs: 2500 });
    assert.equal(input.name, 'scrape:node:gw:9100');
    await input.collect(recordingAppender(), T0);
    assert.equal(lastHeaders.accept, 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1');
    assert.equal(lastHeaders['accept-encoding'], 'gzip');
    assert.equal(lastHeaders['user-agent'], `outpost/${readVersion()}`);
    assert.equal(lastHeaders['x-prometheus-scrape-timeout-seconds'], '2.5');
  });

  it('keeps exposed job and instance labels as exported_job and exported_instance', async () => {
    serve('m{job="other",instance="x",exported_job="e"} 1\nn{job="solo"} 2\nup 5\n');
    const appender = recordingAppender();
    await scrapeInput().collect(appender, T0);
    const samples = appender.take();
    assert.deepEqual(targetSamples(samples), [
      `m{exported_exported_job="other",exported_instance="x",exported_job="e"} 1@${T0}`,
      `n{exported_job="solo"} 2@${T0}`,
    ]);
    // The target's own `up` would land on the scrape's `up` series: the scrape's wins.
    assert.deepEqual(samples.filter((s) => s.series === 'up{}').map((s) => s.v), [1]);
  });

  it('decodes a gzip body', async () => {
    serve(gzipSync('a 1\nb 2\n'), { 'Content-Encoding': 'gzip' });
    const appender = recordingAppender();
    await scrapeInput().collect(appender, T0);
    assert.deepEqual(targetSamples(appender.take()), [`a{} 1@${T0}`, `b{} 2@${T0}`]);
  });

  const failures: Array<[string, () => void | Promise<void>, Partial<ScrapeOptions>, RegExp]> = [
    ['a timeout', () => { handler = () => {}; }, { timeoutMs: 150 }, /timeout of 150 ms/],
    ['a slow body past the timeout', () => { handler = (_q, res) => res.write('a 1\n'); }, { timeoutMs: 150 }, /timeout of 150 ms/],
    ['a body over the limit', () => serve('a 1\n'.repeat(1000)), { maxBodyBytes: 1000 }, /larger than the limit of 1000 bytes/],
    ['a gzip body that unpacks over the limit', () => serve(gzipSync('a 1\n'.repeat(100_000)), { 'Content-Encoding': 'gzip' }), { maxBodyBytes: 10_000 }, /larger than the limit/],
    ['a connection cut mid-body', () => { handler = (_q, res) => { res.writeHead(200, { 'Content-Length': '1000' }); res.write('a 1\n', () => res.destroy()); }; }, {}, /aborted/],
    ['a connection cut mid-gzip-body', () => { handler = (_q, res) => { res.writeHead(200, { 'Content-Encoding': 'gzip' }); res.write(gzipSync('a 1\n'.repeat(1000)).subarray(0, 40), () => res.destroy()); }; }, {}, /aborted/],
    ['a corrupt gzip body', () => serve(Buffer.from('not gzip at all'), { 'Content-Encoding': 'gzip' }), {}, /failed/],
    ['an unsupported encoding', () => serve('a 1\n', { 'Content-Encoding': 'br' }), {}, /unsupported Content-Encoding "br"/],
    ['a 503 answer', () => serve('down for maintenance', {}, 503), {}, /HTTP status 503 Service Unavailable/],
    ['a 404 answer', () => serve('', {}, 404), {}, /HTTP status 404/],
    ['a malformed body', () => serve('a 1\nb 2\nc{x="1" 3\n'), {}, /malformed metrics page at line 3: expected "," or "}"/],
    ['a body that is not UTF-8', () => serve(Buffer.from([0x61, 0x20, 0x31, 0x0a, 0x62, 0xff, 0x20, 0x32])), {}, /line 2: line is not valid UTF-8/],
    ['too many samples', () => serve('a 1\nb 2\nc 3\n'), { maxSamples: 2 }, /line 3: more than 2 samples/],
  ];
  for (const [name, setUp, options, message] of failures) {
    it(`fails the round with up 0 on ${name}`, async () => {
      await setUp();
      const appender = recordingAppender();
      await assert.rejects(async () => scrapeInput(options).collect(appender, T0), message);
      const samples = appender.take();
      assert.deepEqual(targetSamples(samples), [], 'nothing of a failed scrape reaches the WAL');
      assert.equal(reportValue(samples, 'up'), 0);
      assert.equal(reportValue(samples, 'scrape_samples_scraped'), 0);
      assert.ok(reportValue(samples, 'scrape_duration_seconds')! >= 0);
    });
  }

  it('fails the round with up 0 when nothing listens', async () => {
    const appender = recordingAppender();
    const input = scrapeInput({}, `http://127.0.0.1:${await freePort()}/metrics`);
    await assert.rejects(async () => input.collect(appender, T0), /ECONNREFUSED/);
    assert.equal(reportValue(appender.take(), 'up'), 0);
  });

  it('logs a malformed page with its line number and problem, at most once a minute', async () => {
    serve('# TYPE a gauge\na 1\na 2\n');
    const { log, records } = capturingLogger();
    const input = scrapeInput({ log });
    await assert.rejects(async () => input.collect(recordingAppender(), T0), /line 3: series "a\{\}" appears twice/);
    await assert.rejects(async () => input.collect(recordingAppender(), T1));
    assert.equal(records.length, 1);
    assert.equal(records[0]!.line, 3);
    assert.match(String(records[0]!.problem), /appears twice/);
    assert.equal(records[0]!.job, JOB);
    assert.equal(records[0]!.instance, INSTANCE);
  });

  it('marks vanished series stale, and every series once when the target goes down', async () => {
    const input = scrapeInput();
    const appender = recordingAppender();
    serve('a 1\nb 2\nc 3 500\n');
    await input.collect(appender, T0);
    appender.take();

    serve('a 1\n');
    await input.collect(appender, T1);
    // b vanished: a marker at the new scrape's time; c carried its own timestamp: no marker.
    assert.deepEqual(targetSamples(appender.take()), [`a{} 1@${T1}`, `b{} stale@${T1}`]);

    serve('', {}, 500);
    await assert.rejects(async () => input.collect(appender, T2), /HTTP status 500/);
    const down = appender.take();
    assert.deepEqual(targetSamples(down), [`a{} stale@${T2}`]);
    assert.equal(reportValue(down, 'up'), 0);

    await assert.rejects(async () => input.collect(appender, T3), /HTTP status 500/);
    assert.deepEqual(targetSamples(appender.take()), [], 'markers are written once');

    serve('a 4\n');
    await input.collect(appender, T3 + 15_000);
    const back = appender.take();
    assert.deepEqual(targetSamples(back), [`a{} 4@${T3 + 15_000}`]);
    assert.equal(reportValue(back, 'scrape_series_added'), 1);
  });

  it('marks a series stale when a page of the same size swaps it for another', async () => {
    const input = scrapeInput();
    const appender = recordingAppender();
    serve('a 1\nb 2\n');
    await input.collect(appender, T0);
    appender.take();

    serve('a 3\nc 4\n');
    await input.collect(appender, T1);
    const swapped = appender.take();
    assert.deepEqual(targetSamples(swapped), [`a{} 3@${T1}`, `c{} 4@${T1}`, `b{} stale@${T1}`]);
    assert.equal(reportValue(swapped, 'scrape_series_added'), 1);

    serve('a 5\nc 6\n');
    await input.collect(appender, T2);
    assert.deepEqual(targetSamples(appender.take()), [`a{} 5@${T2}`, `c{} 6@${T2}`], 'b is marked once');
  });

  it('after shedding its caches still marks the series the next page lacks, and counts only new series as added', async () => {
    const input = scrapeInput();
    const appender = recordingAppender();
    serve('a 1\nb 2\nc 3 500\n');
    await input.collect(appender, T0);
    appender.take();

    input.shedCaches!();
    serve('a 4\nc 5 600\nd 6\n');
    await input.collect(appender, T1);
    const next = appender.take();
    assert.deepEqual(targetSamples(next), [`a{} 4@${T1}`, `c{} 5@600`, `d{} 6@${T1}`, `b{} stale@${T1}`]);
    assert.equal(reportValue(next, 'scrape_series_added'), 1);

    input.shedCaches!();
    serve('', {}, 500);
    await assert.rejects(async () => input.collect(appender, T2), /HTTP status 500/);
    assert.deepEqual(targetSamples(appender.take()), [`a{} stale@${T2}`, `d{} stale@${T2}`]);
  });

  it('marks the previous series stale when a page turns malformed', async () => {
    const input = scrapeInput();
    const appender = recordingAppender();
    serve('a 1\nb 2\n');
    await input.collect(appender, T0);
    appender.take();
    serve('a 1\nb 2\nbad line\n');
    await assert.rejects(async () => input.collect(appender, T1), /line 3/);
    assert.deepEqual(targetSamples(appender.take()), [`a{} stale@${T1}`, `b{} stale@${T1}`]);
  });

  it('writes staleness markers whose bits survive the WAL', async (t) => {
    const dir = tempDir();
    const wal = openTestWal(dir.path);
    t.after(() => {
      wal.close();
      dir.remove();
    });
    const input = scrapeInput();
    serve('a 1\nb 2\n');
    await input.collect(wal, T0);
    wal.commit();
    serve('a 3\n');
    await input.collect(wal, T1);
    wal.commit();
    const consumer = wal.consumer('test');
    const seen: string[] = [];
    for (let batch = consumer.read(1000); batch !== null; batch = consumer.read(1000)) {
      for (let i = 0; i < batch.count; i++) {
        const name = wal.labels(batch.refs[i]!)!.find((l) => l.name === '__name__')!.value;
        const value = batch.values[i]!;
        if (name === 'a' || name === 'b') seen.push(`${name} ${isStaleNaN(value) ? 'stale' : value}@${batch.timestamps[i]}`);
      }
    }
    assert.deepEqual(seen.sort(), [`a 1@${T0}`, `a 3@${T1}`, `b 2@${T0}`, `b stale@${T1}`]);
  });
});

describe('scrape input reading the body as bytes', () => {
  it('reads a page that starts with a UTF-8 byte order mark and holds multibyte label values', async () => {
    serve(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a{room="Küche 🌡"} 21.5\n')]));
    const input = scrapeInput();
    const appender = recordingAppender();
    await input.collect(appender, T0);
    await input.collect(appender, T1);
    assert.deepEqual(targetSamples(appender.take()), [`a{room="Küche 🌡"} 21.5@${T0}`, `a{room="Küche 🌡"} 21.5@${T1}`]);
  });
});

describe('scrape input metadata', () => {
  // The head of a node_exporter page, as it serves it (a Go client summary included).
  const PAGE = [
    '# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.',
    '# TYPE go_gc_duration_seconds summary',
    'go_gc_duration_seconds{quantile="0"} 2.1e-05',
    'go_gc_duration_seconds{quantile="1"} 0.000123',
    'go_gc_duration_seconds_sum 0.0042',
    'go_gc_duration_seconds_count 17',
    '# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.',
    '# TYPE node_cpu_seconds_total counter',
    'node_cpu_seconds_total{cpu="0",mode="idle"} 6151.52',
    'node_cpu_seconds_total{cpu="0",mode="user"} 210.04',
    '# HELP node_exporter_build_info A metric with a constant \'1\' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.',
    '# TYPE node_exporter_build_info gauge',
    'node_exporter_build_info{version="1.5.0"} 1',
    '# HELP node_textfile_note Escapes: a \\\\ backslash and a\\nline break.',
    '# TYPE node_textfile_note untyped',
    'node_textfile_note 0',
    '',
  ].join('\n');

  it('states the TYPE and HELP of every family of the page and Prometheus\'s for its own series', async () => {
    serve(PAGE);
    const appender = recordingAppender();
    await scrapeInput().collect(appender, T0);
    assert.deepEqual(Object.fromEntries(appender.metadata), {
      go_gc_duration_seconds: { type: 'summary', help: 'A summary of the pause duration of garbage collection cycles.', unit: '' },
      node_cpu_seconds_total: { type: 'counter', help: 'Seconds the CPUs spent in each mode.', unit: '' },
      node_exporter_build_info: { type: 'gauge', help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.", unit: '' },
      node_textfile_note: { type: 'unknown', help: 'Escapes: a \\ backslash and a\nline break.', unit: '' },
      up: { type: 'gauge', help: 'Health of the scrape target. 1 means the target is healthy, 0 if the scrape failed.', unit: 'targets' },
      scrape_duration_seconds: { type: 'gauge', help: 'Duration of the last scrape in seconds.', unit: 'seconds' },
      scrape_samples_scraped: { type: 'gauge', help: 'Number of samples last scraped.', unit: 'samples' },
      scrape_series_added: { type: 'gauge', help: 'Number of series in the last scrape.', unit: 'series' },
    });
  });

  it('states each family once per scrape, and the same object while the page keeps it', async () => {
    serve(PAGE);
    const input = scrapeInput();
    const appender = recordingAppender();
    await input.collect(appender, T0);
    const first = new Map(appender.metadata);
    await input.collect(appender, T1);
    for (const [family, calls] of appender.metadataCalls) assert.equal(calls, 2, family);
    for (const [family, m] of first) assert.equal(appender.metadata.get(family), m, family);
  });

  it('states only its own series when a scrape fails, keeping what the last good page said', async () => {
    serve(PAGE);
    const input = scrapeInput();
    const appender = recordingAppender();
    await input.collect(appender, T0);
    serve('# HELP node_cpu_seconds_total Changed on a broken page.\nbroken{ 1\n');
    await assert.rejects(async () => input.collect(appender, T1));
    assert.equal(appender.metadataCalls.get('node_cpu_seconds_total'), 1);
    assert.equal(appender.metadataCalls.get('up'), 2);
    serve(PAGE);
    await input.collect(appender, T2);
    assert.equal(appender.metadata.get('node_cpu_seconds_total')?.help, 'Seconds the CPUs spent in each mode.');
  });
});
