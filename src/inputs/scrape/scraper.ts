/**
 * A scrape target as a polling input: each round GETs the target's page, parses it whole, and
 * appends its samples with the target's `job` and `instance` labels, then the round's own series
 * (`up`, `scrape_duration_seconds`, `scrape_samples_scraped`, `scrape_series_added`), all at the
 * round's timestamp, as Prometheus does. A failed round (connection, status, timeout, size,
 * malformed page) writes `up 0`, ends the previous round's series with staleness markers, and then
 * throws, so the poller shows the input down with the reason.
 *
 * Metadata: each good round states every family of the page that has a TYPE, HELP or UNIT line
 * (kept in a `PageMetadata`, so an unchanged page costs no decoding), and each round states the
 * round's own series as Prometheus describes them. The WAL writes only what changed.
 */
import type { ScrapeTarget } from '../../config/parse.js';
import { redactUrls } from '../../config/redact.js';
import { createThrottle, throttledWarn, type Logger } from '../../lib/log.js';
import { readVersion } from '../../lib/version.js';
import { labelsKey, normalizeLabels } from '../../model/labels.js';
import { metricMetadata, type MetricMetadata } from '../../model/metadata.js';
import type { WalAppender } from '../../wal/wal.js';
import type { PollingInput } from '../input.js';
import { fetchBody } from './fetch-body.js';
import { PageMetadata } from './page-metadata.js';
import { parseExposition } from './parser.js';
import { ScrapeBuffer, TargetSeries } from './target-series.js';

/**
 * Default body limit, after gzip decoding: vmagent's `-promscrape.maxScrapeSize`. It is ~50 times
 * a node_exporter page, and bounds what one runaway target can make a 512 MB Pi Zero 2 hold.
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Default most samples in one scrape (Prometheus's `sample_limit`, whose default is unlimited).
 * Parsing holds ~100 bytes per sample until the scrape is appended, so this caps that at ~20 MB
 * even for a page of tiny lines; it is also 4 times OUTPOST_MAX_SERIES's default, beyond which
 * the WAL refuses new series anyway.
 */
export const DEFAULT_MAX_SAMPLES = 200_000;

// Prometheus's own Accept for the text format, so exporters answer as they would to Prometheus.
const ACCEPT = 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1';
// A broken exporter logs at most once a minute per target (repeats throttled, as every component logs).
const LOG_INTERVAL_MS = 60_000;

/** The round's own series as Prometheus's scrape loop describes them (scrape/scrape.go, `reportSample`). */
export const SCRAPE_REPORT_METADATA: Readonly<Record<string, MetricMetadata>> = {
  up: metricMetadata('gauge', 'Health of the scrape target. 1 means the target is healthy, 0 if the scrape failed.', 'targets'),
  scrape_duration_seconds: metricMetadata('gauge', 'Duration of the last scrape in seconds.', 'seconds'),
  scrape_samples_scraped: metricMetadata('gauge', 'Number of samples last scraped.', 'samples'),
  scrape_series_added: metricMetadata('gauge', 'Number of series in the last scrape.', 'series'),
};

/** Options of one scrape input. */
export interface ScrapeOptions {
  /** Whole-request timeout (OUTPOST_SCRAPE_TIMEOUT); also sent as X-Prometheus-Scrape-Timeout-Seconds. */
  timeoutMs: number;
  /** Largest body accepted after decoding; default `DEFAULT_MAX_BODY_BYTES`. */
  maxBodyBytes?: number;
  /** Most samples accepted in one scrape; default `DEFAULT_MAX_SAMPLES`. */
  maxSamples?: number;
  log: Logger;
}

/**
 * Creates the input that scrapes `target`, named `scrape:<job>:<instance>`. `collect` resolves
 * once the round is appended; on a failed round it appends `up 0` and the staleness markers first
 * and then rejects with an Error saying what failed. Rounds of one input must not overlap.
 */
export function createScrapeInput(target: ScrapeTarget, options: ScrapeOptions): PollingInput {
  const url = new URL(target.url);
  // The URL may carry basic-auth userinfo; errors and logs, which reach the status page, get it redacted.
  const shownUrl = redactUrls(target.url);
  const limits = { timeoutMs: options.timeoutMs, maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES };
  const maxSamples = options.maxSamples ?? DEFAULT_MAX_SAMPLES;
  const headers = {
    Accept: ACCEPT,
    'Accept-Encoding': 'gzip',
    'User-Agent': `outpost/${readVersion()}`,
    'X-Prometheus-Scrape-Timeout-Seconds': String(options.timeoutMs / 1000),
  };
  const log = options.log.child({ component: 'scrape', job: target.job, instance: target.instance });
  const throttle = createThrottle(LOG_INTERVAL_MS);
  const reportKey = (name: string): string => {
    const labels = normalizeLabels([{ name: '__name__', value: name }, { name: 'job', value: target.job }, { name: 'instance', value: target.instance }]);
    if (typeof labels === 'string') throw new Error(`scrape target ${shownUrl} cannot be labelled: ${labels}`);
    return labelsKey(labels);
  };
  const report = {
    up: reportKey('up'),
    duration: reportKey('scrape_duration_seconds'),
    samples: reportKey('scrape_samples_scraped'),
    added: reportKey('scrape_series_added'),
  };
  const series = new TargetSeries(target.job, target.instance, new Set(Object.values(report)));
  const buffer = new ScrapeBuffer();
  const pageMetadata = new PageMetadata();

  /** Fetches and parses into `buffer`; returns the reason the round failed, or null. */
  async function scrape(): Promise<string | null> {
    buffer.count = 0;
    let body: Buffer;
    try {
      body = await fetchBody(url, headers, limits);
    } catch (error) {
      return `scrape of ${shownUrl} failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    const parsed = parseExposition(body, buffer.push, maxSamples, series.cache, pageMetadata);
    if (parsed.ok) return null;
    throttledWarn(log, throttle, 'malformed', { url: shownUrl, line: parsed.line, problem: parsed.problem }, 'target exposed a malformed metrics page; scrape discarded');
    return `scrape of ${shownUrl} failed: malformed metrics page at line ${parsed.line}: ${parsed.problem}`;
  }

  return {
    name: `scrape:${target.job}:${target.instance}`,
    async collect(appender: WalAppender, nowMs: number) {
      const started = performance.now();
      const failure = await scrape();
      const durationSeconds = (performance.now() - started) / 1000;
      let added = 0;
      if (failure === null) {
        added = series.appendScrape(appender, buffer, nowMs);
        pageMetadata.forEach((family, metadata) => appender.setMetadata(family, metadata));
      } else {
        series.markAllStale(appender, nowMs);
      }
      for (const [family, metadata] of Object.entries(SCRAPE_REPORT_METADATA)) appender.setMetadata(family, metadata);
      series.append(appender, report.up, nowMs, failure === null ? 1 : 0);
      series.append(appender, report.duration, nowMs, durationSeconds);
      series.append(appender, report.samples, nowMs, failure === null ? buffer.count : 0);
      series.append(appender, report.added, nowMs, added);
      if (failure !== null) throw new Error(failure);
    },
    shedCaches() {
      // The next scrape parses every line in full once; the series and their WAL state stay.
      series.cache.shed();
    },
  };
}
