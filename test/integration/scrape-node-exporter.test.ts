import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScrapeInput } from '../../src/inputs/scrape/scraper.js';
import { silentLogger } from '../../src/lib/log.js';
import type { Labels } from '../../src/model/labels.js';
import { isStaleNaN } from '../../src/model/staleness.js';
import { nodeExporterSkip, startNodeExporter } from '../helpers/node-exporter.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openTestWal } from '../helpers/wal-fixture.js';

const T0 = 1_700_000_000_000;

describe('scraping a real node_exporter', { skip: nodeExporterSkip() }, () => {
  it('writes its page into the WAL with job and instance labels, and up 1', async (t) => {
    // Its own default collectors: the whole page a user would scrape.
    const exporter = await startNodeExporter([]);
    t.after(() => exporter.stop());
    const { url } = exporter;

    const dir = tempDir();
    const wal = openTestWal(dir.path);
    t.after(() => {
      wal.close();
      dir.remove();
    });
    const instance = new URL(url).host;
    const input = createScrapeInput({ job: 'node', url, instance }, { timeoutMs: 10_000, log: silentLogger });
    await input.collect(wal, T0);
    await input.collect(wal, T0 + 15_000);
    wal.commit();

    const consumer = wal.consumer('check');
    const latest = new Map<string, number>();
    let stale = 0;
    for (let batch = consumer.read(5000); batch !== null; batch = consumer.read(5000)) {
      for (let i = 0; i < batch.count; i++) {
        const labels: Labels = wal.labels(batch.refs[i]!)!;
        assert.equal(labels.find((l) => l.name === 'job')?.value, 'node');
        assert.equal(labels.find((l) => l.name === 'instance')?.value, instance);
        if (isStaleNaN(batch.values[i]!)) stale++;
        const rest = labels.filter((l) => l.name !== 'job' && l.name !== 'instance');
        if (batch.timestamps[i] === T0 + 15_000) latest.set(rest.map((l) => `${l.name}=${l.value}`).join(','), batch.values[i]!);
      }
    }
    const value = (series: string) => latest.get(series);
    assert.equal(value('__name__=up'), 1);
    assert.ok(value('__name__=scrape_samples_scraped')! > 100, `samples scraped: ${value('__name__=scrape_samples_scraped')}`);
    assert.ok(value('__name__=scrape_duration_seconds')! > 0);
    assert.equal(value('__name__=scrape_series_added'), 0, 'the second scrape found the same series');
    assert.ok(value('__name__=node_cpu_seconds_total,cpu=0,mode=idle')! > 0, 'node_cpu_seconds_total{cpu="0",mode="idle"} is present');
    assert.ok(value('__name__=node_memory_MemTotal_bytes')! > 0);
    assert.ok(value('__name__=node_load1')! >= 0);
    assert.equal(value('__name__=node_scrape_collector_success,collector=cpu'), 1);
    // go_gc_duration_seconds is a summary: its quantile labels come through as exposed.
    assert.ok(value('__name__=go_gc_duration_seconds,quantile=0.5') !== undefined);
    assert.equal(stale, 0, 'no series vanished between the two scrapes');
  });
});
