import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/log.js';
import type { SenderCounters, SenderStatus } from '../../../src/sender/sender.js';
import { createStatusCollector, type StatusCollectorOptions } from '../../../src/status/status-collector.js';
import type { EndpointView } from '../../../src/status/sender-metrics.js';
import type { WalStats } from '../../../src/wal/wal.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const A = 'https://a.example/api/v1/write';
const B = 'https://b.example/api/v1/write';

/** An endpoint whose status and backlog the test sets. */
function fakeEndpoint(url: string) {
  const e = {
    status: { url, up: true, shards: 1, lastError: null, lastSuccessMs: T0, newestSentTimestampMs: T0, bandwidthBytesPerSecond: 10_000, protocol: '1.0', learnedAgeLimitMs: null } as SenderStatus,
    backlog: { samples: 0, oldestTimestampMs: null as number | null },
    view: undefined as unknown as EndpointView,
  };
  e.view = { url, name: 'remote-write-1', protocols: ['1.0', '2.0'], status: () => ({ ...e.status }), backlog: () => ({ ...e.backlog }) };
  return e;
}

const noCounters: SenderCounters = { sent() {}, failed() {}, retried() {}, rejected() {}, roundFailed() {}, metadataSent() {}, filtered() {} };

function setup(urls: string[], overrides: Partial<StatusCollectorOptions> = {}) {
  const clock = createManualClock(T0);
  const wal: WalStats = {
    segments: 2, bytes: 1_000_000, pendingSamples: 0, series: 10, samplesAppended: 0,
    dropped: { retention: 0, disk_budget: 0, corruption: 0 }, oldestUndeliveredTimestampMs: null,
  };
  const endpoints = urls.map(fakeEndpoint);
  const collector = createStatusCollector({
    version: '1.2.3', hostname: 'gw01', clock,
    settings: { walMaxBytes: 10_000_000, retentionMs: 24 * 60 * MIN, batchSendDeadlineMs: 5_000, commitIntervalMs: 1_000, maxBytesPerSecond: 0 },
    urls, walStats: () => wal, inputs: () => [{ name: 'host', up: true, lastSuccessMs: T0, lastError: null }],
    endpoints: () => endpoints.map((e) => e.view), log: silentLogger,
    ...overrides,
  });
  const counters = urls.map((url) => collector.observeSender(url, noCounters));
  return { clock, wal, endpoints, collector, counters };
}

describe('status collector', () => {
  it('shows an endpoint online, then offline-buffering when its requests fail', () => {
    const { endpoints: [a], collector, clock } = setup([A]);
    a!.backlog = { samples: 50, oldestTimestampMs: T0 - 2000 };
    collector.sample();
    let doc = collector.document(false);
    assert.equal(doc.state, 'online');
    assert.deepEqual({ state: doc.endpoints[0]!.state, backlog: doc.endpoints[0]!.backlogSamples, age: doc.endpoints[0]!.backlogAgeSeconds }, { state: 'online', backlog: 50, age: 2 });
    assert.equal(doc.endpoints[0]!.catchUpEtaSeconds, null, 'nothing to catch up');
    assert.equal(doc.endpoints[0]!.timeUntilBudgetFullSeconds, null, 'an online endpoint does not fill the budget');
    clock.advance(1000);
    a!.status = { ...a!.status, up: false, lastError: 'HTTP 503: try later' };
    doc = collector.document(false);
    assert.equal(doc.state, 'offline-buffering');
    assert.equal(doc.endpoints[0]!.lastError, 'HTTP 503: try later');
    assert.match(doc.stateReason, /HTTP 503/);
  });

  it('computes catching-up and its ETA from the rates measured over the last minute', () => {
    const { endpoints: [a], collector, clock, wal, counters } = setup([A]);
    collector.sample();
    clock.advance(MIN);
    wal.samplesAppended += 60_000; // 1000 samples/s arriving
    counters[0]!.sent(120_000, 240_000); // 2 bytes a sample on the wire, 4000 B/s delivered
    a!.backlog = { samples: 100_000, oldestTimestampMs: clock.now() - 10 * MIN };
    const e = collector.document(false).endpoints[0]!;
    assert.equal(e.state, 'catching-up');
    assert.equal(e.sendRateSamplesPerSecond, 2000);
    // 100,000 samples × 2 B / (10,000 B/s measured − 1000 samples/s × 2 B)
    assert.equal(e.catchUpEtaSeconds, 25);
    assert.equal(e.timeUntilBudgetFullSeconds, null, 'draining: the budget does not fill on its account');

    wal.samplesAppended += 240_000; // now 5000 samples/s: 10,000 B/s, all the link carries
    wal.bytes += 60_000; // 1000 B/s over the minute
    const slow = collector.document(false).endpoints[0]!;
    assert.equal(slow.state, 'catching-up');
    assert.equal(slow.catchUpEtaSeconds, null, 'a link not faster than the input never catches up');
    assert.equal(slow.timeUntilBudgetFullSeconds, (10_000_000 - 1_060_000) / 1000, 'so the budget fills on its account');
  });

  it('gives the time until the disk budget is full for an endpoint that falls behind, from the WAL growth', () => {
    const { endpoints: [a, b], collector, clock, wal } = setup([A, B]);
    collector.sample();
    clock.advance(100_000);
    wal.bytes += 100_000; // 1000 B/s
    b!.status = { ...b!.status, up: false, lastError: 'connection refused' };
    const doc = collector.document(false);
    assert.equal(doc.wal!.growthBytesPerSecond, 1000);
    assert.equal(doc.endpoints[0]!.timeUntilBudgetFullSeconds, null);
    assert.equal(doc.endpoints[1]!.timeUntilBudgetFullSeconds, (10_000_000 - 1_100_000) / 1000);
    assert.equal(doc.wal!.timeUntilFullSeconds, 8900, 'the soonest of the endpoints');
    assert.equal(doc.state, 'offline-buffering');
    assert.match(doc.stateReason, /^https:\/\/b\.example/, 'with several endpoints the reason names the worst');
    void a;
  });

  it('marks losing-data the endpoints that had not delivered a WAL drop, for ten minutes', () => {
    const { endpoints: [a, b], collector, clock } = setup([A, B]);
    a!.status = { ...a!.status, newestSentTimestampMs: T0 };
    b!.status = { ...b!.status, up: false, newestSentTimestampMs: null };
    collector.recordDrop('retention', 500, T0 - 50 * MIN, T0 - 40 * MIN);
    let doc = collector.document(false);
    assert.deepEqual(doc.endpoints.map((e) => e.state), ['online', 'losing-data']);
    assert.equal(doc.state, 'losing-data');
    assert.deepEqual(doc.wal!.recentDrops, [{
      reason: 'retention', samples: 500, from: new Date(T0 - 50 * MIN).toISOString(), to: new Date(T0 - 40 * MIN).toISOString(),
      at: new Date(T0).toISOString(), endpoints: [B],
    }]);
    clock.advance(10 * MIN + 1);
    doc = collector.document(false);
    assert.deepEqual(doc.endpoints.map((e) => e.state), ['online', 'offline-buffering']);
    assert.equal(doc.wal!.recentDrops.length, 1, 'the drop stays listed');
  });

  it('counts refusals as losses except out-of-order answers, and forwards every counter', () => {
    const clock = createManualClock(T0);
    const seen: string[] = [];
    const inner: SenderCounters = {
      sent: (n) => seen.push(`sent ${n}`), failed: (n) => seen.push(`failed ${n}`),
      retried: (n) => seen.push(`retried ${n}`), rejected: (r, n) => seen.push(`rejected ${r} ${n}`),
      roundFailed: () => seen.push('round failed'),
      metadataSent: (n) => seen.push(`metadata ${n}`),
      filtered: (n) => seen.push(`filtered ${n}`),
    };
    const { collector } = setup([A], { clock });
    const counters = collector.observeSender(A, inner);
    counters.sent(10, 20);
    counters.retried(3);
    counters.failed(4);
    counters.rejected('out_of_order', 4);
    assert.deepEqual(seen, ['sent 10', 'retried 3', 'failed 4', 'rejected out_of_order 4']);
    assert.equal(collector.document(false).endpoints[0]!.state, 'online');
    counters.rejected('too_old', 7);
    const e = collector.document(false).endpoints[0]!;
    assert.equal(e.state, 'losing-data');
    assert.match(e.stateReason, /7 undelivered samples lost \(refused: too_old\)/);
    assert.throws(() => collector.observeSender('https://unknown/', inner), /unknown endpoint/);
  });

  it('judges offline mode by the WAL: offline-buffering, losing-data after a drop', () => {
    const { collector, clock, wal } = setup([]);
    wal.oldestUndeliveredTimestampMs = T0 - 3_600_000;
    collector.sample();
    let doc = collector.document(false);
    assert.equal(doc.state, 'offline-buffering');
    assert.match(doc.stateReason, /offline mode/);
    assert.equal(doc.wal!.oldestUndeliveredAgeSeconds, 3600);
    clock.advance(10_000);
    wal.bytes += 10_000;
    assert.equal(collector.document(false).wal!.timeUntilFullSeconds, (10_000_000 - 1_010_000) / 1000);
    collector.recordDrop('disk_budget', 42, T0 - 7_200_000, T0 - 3_600_000);
    doc = collector.document(false);
    assert.equal(doc.state, 'losing-data');
    assert.deepEqual(doc.wal!.recentDrops[0]!.endpoints, null);
  });

  it('survives a sample that throws on the timer, logging it', () => {
    const warnings: unknown[] = [];
    const log = Object.assign(Object.create(silentLogger) as typeof silentLogger, { warn: (obj: unknown) => { warnings.push(obj); } });
    const { collector } = setup([A], { log, walStats: () => { throw new Error('database is locked'); } });
    collector.start();
    collector.stop();
    assert.equal(warnings.length, 1);
  });

  it('answers before the WAL is open', () => {
    const { collector } = setup([A], { walStats: () => null });
    const doc = collector.document(true);
    assert.equal(doc.wal, null);
    assert.deepEqual(doc.endpoints, []);
    assert.match(doc.stateReason, /not open yet/);
  });

  it('keeps a bounded history and adds the current values as the newest chart point', () => {
    const { endpoints: [a], collector, clock, wal, counters } = setup([A], { historyPoints: 3 });
    for (let i = 0; i < 5; i++) {
      a!.backlog = { samples: i * 10, oldestTimestampMs: i === 0 ? null : clock.now() - 1000 * i };
      wal.bytes = 1000 * i;
      collector.sample();
      counters[0]!.sent(15, 1500);
      clock.advance(15_000);
    }
    const doc = collector.document(true);
    const h = doc.endpoints[0]!.history!;
    assert.deepEqual(h.t, [T0 + 30_000, T0 + 45_000, T0 + 60_000, T0 + 75_000]);
    assert.deepEqual(h.backlogSamples, [20, 30, 40, 40]);
    assert.deepEqual(h.lagSeconds, [2, 3, 4, 19]);
    assert.deepEqual(h.sentBytesPerSecond, [null, 100, 100, 100]);
    assert.deepEqual(doc.history, { intervalSeconds: 15, t: h.t, walBytes: [2000, 3000, 4000, 4000] });
    assert.equal(collector.document(false).endpoints[0]!.history, undefined, 'history only when asked');
  });
});
