import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { renderStatusPage, STATUS_PAGE_CSP } from '../../../src/status/page/page.js';
import { esc, fmtBytes, fmtDuration, fmtNumber, RENDER_SCRIPT, renderMain, sparkline } from '../../../src/status/page/render.js';
import type { EndpointReport, StatusDocument } from '../../../src/status/status-model.js';

const AT = '2025-01-05T10:00:00.000Z';
const T = Date.parse(AT);

function endpoint(overrides: Partial<EndpointReport> = {}): EndpointReport {
  return {
    url: 'https://mimir.example/api/v1/push', name: 'mimir', state: 'online', stateReason: 'delivering data as it arrives', up: true, shards: 1,
    protocol: '1.0', learnedAgeLimitSeconds: null, backlogSamples: 120, backlogAgeSeconds: 2, sendRateSamplesPerSecond: 60, bandwidthBytesPerSecond: 250_000,
    catchUpEtaSeconds: null, timeUntilBudgetFullSeconds: null, lastSuccess: AT, lastError: null,
    history: { t: [T - 30_000, T - 15_000, T], backlogSamples: [100, null, 120], lagSeconds: [1, 2, 2], sentBytesPerSecond: [null, 900, 1100] },
    ...overrides,
  };
}

function doc(overrides: Partial<StatusDocument> = {}): StatusDocument {
  return {
    version: '0.1.0', hostname: 'gw01', generatedAt: AT, startedAt: '2025-01-05T09:00:00.000Z', state: 'online', stateReason: 'delivering data as it arrives',
    inputs: [{ name: 'host', up: true, lastSuccess: AT, lastError: null }, { name: 'scrape:node:x:9100', up: false, lastSuccess: null, lastError: 'connect ECONNREFUSED' }],
    wal: {
      segments: 3, bytes: 5_000_000, budgetBytes: 1024 ** 3, budgetUsedRatio: 5_000_000 / 1024 ** 3, retentionSeconds: 86_400, series: 300,
      pendingSamples: 0, samplesAppended: 10_000, incomingSamplesPerSecond: 60, growthBytesPerSecond: null, oldestUndelivered: AT,
      oldestUndeliveredAgeSeconds: 2, timeUntilFullSeconds: null, dropped: { retention: 0, disk_budget: 12, corruption: 0 },
      recentDrops: [{ reason: 'disk_budget', samples: 12, from: '2025-01-04T10:00:00.000Z', to: '2025-01-04T10:05:00.000Z', at: '2025-01-05T09:59:00.000Z', endpoints: null }],
    },
    endpoints: [endpoint()],
    history: { intervalSeconds: 15, t: [T - 15_000, T], walBytes: [4_000_000, 5_000_000] },
    ...overrides,
  };
}

describe('status page', () => {
  it('shows the overall state big, each endpoint with its state, the WAL and the inputs', () => {
    const html = renderMain(doc());
    assert.match(html, /<div class="state" id="state">online<\/div>/);
    assert.match(html, /data-state="online"/);
    assert.match(html, /<h2>mimir <small>https:\/\/mimir\.example\/api\/v1\/push<\/small><\/h2><span class="badge">online<\/span>/);
    assert.match(html, /4\.8 MiB of 1\.0 GiB/);
    assert.match(html, /2025-01-04 10:00:00 UTC – 2025-01-04 10:05:00 UTC/);
    assert.match(html, /connect ECONNREFUSED/);
    assert.equal((html.match(/<svg /g) ?? []).length, 4, 'backlog, lag and bandwidth per endpoint, and the WAL size');
  });

  it('escapes everything that comes from outside', () => {
    const evil = '<img src=x onerror=alert(1)>"\'&';
    const html = renderMain(doc({
      hostname: evil, stateReason: evil,
      endpoints: [endpoint({ url: evil, lastError: evil, stateReason: evil })],
      inputs: [{ name: evil, up: false, lastSuccess: null, lastError: evil }],
    }));
    assert.ok(!html.includes('<img'), 'no markup gets through');
    assert.ok(html.includes(esc(evil)));
    assert.equal(esc(evil), '&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
    assert.ok(!renderStatusPage(doc({ hostname: evil })).includes('<img'), 'nor in the title');
  });

  it('ships a renderer that runs on its own and renders exactly what the server renders', () => {
    const d = doc();
    const fromScript = runInNewContext(`${RENDER_SCRIPT}\nrenderMain(doc)`, { doc: JSON.parse(JSON.stringify(d)) }) as string;
    assert.equal(fromScript, renderMain(d));
  });

  it('is one document with a viewport, inline style and script allowed by hash, and no external asset', () => {
    const page = renderStatusPage(doc());
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    assert.ok(!/(src|href)="(https?:)?\/\//.test(page), 'no external reference');
    const script = /<script>([\s\S]*)<\/script>/.exec(page)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(page)![1]!;
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    assert.ok(STATUS_PAGE_CSP.includes(`script-src ${hash(script)}`));
    assert.ok(STATUS_PAGE_CSP.includes(`style-src ${hash(style)}`));
    assert.match(STATUS_PAGE_CSP, /default-src 'none'/);
    assert.match(script, /fetch\('api\/v1\/status\?history=1'/);
  });

  it('draws sparklines zero-based with gaps, and says when there is too little to draw', () => {
    const svg = sparkline('Backlog', [0, 1000, 2000], [0, null, 10], (v) => String(v));
    assert.match(svg, /<path class="line" d="M0\.0 60\.0M300\.0 2\.0"/);
    assert.match(sparkline('Lag', [0], [5], String), /collecting/);
  });

  it('formats numbers, bytes and durations for people', () => {
    assert.deepEqual([fmtNumber(950), fmtNumber(12_345, 'samples'), fmtNumber(4.56e6), fmtNumber(1.25), fmtNumber(null)], ['950', '12.3k samples', '4.6M', '1.3', '—']);
    assert.deepEqual([fmtBytes(812), fmtBytes(3.4 * 1024 ** 2), fmtBytes(null)], ['812 B', '3.4 MiB', '—']);
    assert.deepEqual([fmtDuration(45), fmtDuration(12 * 60), fmtDuration(3 * 3600 + 5 * 60), fmtDuration(2 * 86400 + 3 * 3600), fmtDuration(86400), fmtDuration(3 * 86400)],
      ['45 s', '12 min', '3 h 5 min', '2 d 3 h', '24 h', '3 d']);
  });
});
