import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  catchUpAfterMs, catchUpEtaSeconds, classifyEndpoint, formatSeconds, ratePerSecond, secondsUntilFull, worstState,
  type EndpointFacts, type StateRules,
} from '../../../src/status/status-model.js';

const NOW = 1_700_000_000_000;
const MIN = 60_000;
const rules: StateRules = { nowMs: NOW, catchUpAfterMs: 16_000, retentionMs: 24 * 60 * MIN, lossWindowMs: 10 * MIN, lossHorizonMs: 10 * MIN };
const healthy: EndpointFacts = { up: true, lastError: null, backlogAgeMs: 2_000, lastLoss: null, budgetFullInSeconds: null };
const stateOf = (facts: Partial<EndpointFacts>, r: Partial<StateRules> = {}) => classifyEndpoint({ ...healthy, ...facts }, { ...rules, ...r }).state;

describe('endpoint state rules', () => {
  it('is online when requests succeed and the backlog is younger than a few batch deadlines', () => {
    assert.equal(stateOf({}), 'online');
    assert.equal(stateOf({ backlogAgeMs: null }), 'online', 'no backlog at all');
    assert.equal(stateOf({ backlogAgeMs: 16_000 }), 'online', 'the threshold itself is still online');
  });

  it('is catching-up when requests succeed but the oldest undelivered sample is older than the threshold', () => {
    const r = classifyEndpoint({ ...healthy, backlogAgeMs: 16_001 }, rules);
    assert.equal(r.state, 'catching-up');
    assert.match(r.reason, /backlog 16 s old/);
    assert.equal(stateOf({ backlogAgeMs: 5 * 3_600_000 }), 'catching-up');
  });

  it('is offline-buffering when the last request failed and nothing is lost, whatever the backlog', () => {
    const r = classifyEndpoint({ ...healthy, up: false, lastError: 'HTTP 503: unavailable', backlogAgeMs: 3_600_000 }, rules);
    assert.equal(r.state, 'offline-buffering');
    assert.match(r.reason, /HTTP 503: unavailable/);
    assert.equal(stateOf({ up: false, backlogAgeMs: null }), 'offline-buffering');
  });

  it('is losing-data for the loss window after a loss, then returns to the other rules', () => {
    const lastLoss = { atMs: NOW - 10 * MIN, samples: 1200, why: 'retention' };
    const r = classifyEndpoint({ ...healthy, up: false, lastLoss }, rules);
    assert.equal(r.state, 'losing-data');
    assert.match(r.reason, /1200 undelivered samples lost \(retention\) 10 min ago/);
    assert.equal(stateOf({ up: false, lastLoss: { ...lastLoss, atMs: NOW - 10 * MIN - 1 } }), 'offline-buffering');
    assert.equal(stateOf({ lastLoss: { ...lastLoss, atMs: NOW - 1000 } }), 'losing-data', 'an endpoint that is up but refused data');
  });

  it('is losing-data when the disk budget fills within the horizon', () => {
    assert.equal(stateOf({ up: false, budgetFullInSeconds: 600 }), 'losing-data');
    assert.equal(stateOf({ up: false, budgetFullInSeconds: 601 }), 'offline-buffering');
    assert.match(classifyEndpoint({ ...healthy, up: false, budgetFullInSeconds: 300 }, rules).reason, /full in 5 min/);
  });

  it('is losing-data when the oldest undelivered sample reaches retention within the horizon', () => {
    const ret = rules.retentionMs;
    assert.equal(stateOf({ up: false, backlogAgeMs: ret - 10 * MIN }), 'losing-data');
    assert.equal(stateOf({ up: false, backlogAgeMs: ret - 10 * MIN - 1 }), 'offline-buffering');
    assert.equal(stateOf({ backlogAgeMs: ret - 5 * MIN }), 'losing-data', 'catching up too late');
  });

  it('derives the catching-up threshold from the batch deadline and commit interval', () => {
    assert.equal(catchUpAfterMs(5_000, 1_000), 16_000);
    assert.equal(catchUpAfterMs(200, 100), 700);
  });

  it('shows the worst state of several endpoints', () => {
    assert.equal(worstState([]), 'online');
    assert.equal(worstState(['online', 'catching-up']), 'catching-up');
    assert.equal(worstState(['offline-buffering', 'online', 'catching-up']), 'offline-buffering');
    assert.equal(worstState(['losing-data', 'offline-buffering']), 'losing-data');
  });
});

describe('catch-up ETA', () => {
  const base = { backlogSamples: 100_000, wireBytesPerSample: 2, bandwidthBytesPerSecond: 10_000, sentBytesPerSecond: null, maxBytesPerSecond: 0, incomingSamplesPerSecond: 1000 };

  it('is backlog bytes over the capacity left after the incoming data', () => {
    // 200,000 bytes / (10,000 − 2,000) bytes/s
    assert.equal(catchUpEtaSeconds(base), 25);
  });

  it('uses the larger of the measured bandwidth and what was really sent', () => {
    assert.equal(catchUpEtaSeconds({ ...base, sentBytesPerSecond: 22_000 }), 10);
    assert.equal(catchUpEtaSeconds({ ...base, bandwidthBytesPerSecond: null, sentBytesPerSecond: 10_000 }), 25);
  });

  it('respects the configured uplink cap', () => {
    assert.equal(catchUpEtaSeconds({ ...base, sentBytesPerSecond: 50_000, maxBytesPerSecond: 6_000 }), 50);
  });

  it('is null when the link is not faster than the input or nothing was measured', () => {
    assert.equal(catchUpEtaSeconds({ ...base, incomingSamplesPerSecond: 5000 }), null, 'equal: never shrinks');
    assert.equal(catchUpEtaSeconds({ ...base, incomingSamplesPerSecond: 9000 }), null);
    assert.equal(catchUpEtaSeconds({ ...base, wireBytesPerSample: null }), null);
    assert.equal(catchUpEtaSeconds({ ...base, bandwidthBytesPerSecond: null }), null);
  });

  it('is 0 with no backlog', () => {
    assert.equal(catchUpEtaSeconds({ ...base, backlogSamples: 0 }), 0);
  });
});

describe('time until the disk budget is full', () => {
  it('is the room left over the growth rate', () => {
    assert.equal(secondsUntilFull(1000, 400, 2), 300);
    assert.equal(secondsUntilFull(1000, 1200, 2), 0, 'already over');
  });

  it('is null when the WAL is not growing', () => {
    assert.equal(secondsUntilFull(1000, 400, 0), null);
    assert.equal(secondsUntilFull(1000, 400, -5), null);
    assert.equal(secondsUntilFull(1000, 400, null), null);
  });
});

describe('helpers', () => {
  it('rates need at least a second between readings', () => {
    assert.equal(ratePerSecond(150, NOW + 10_000, 50, NOW), 10);
    assert.equal(ratePerSecond(150, NOW + 999, 50, NOW), null);
    assert.equal(ratePerSecond(Number.NaN, NOW + 10_000, 50, NOW), null);
  });

  it('formats durations for sentences', () => {
    assert.equal(formatSeconds(45), '45 s');
    assert.equal(formatSeconds(12 * 60), '12 min');
    assert.equal(formatSeconds(3.5 * 3600), '3.5 h');
    assert.equal(formatSeconds(3 * 86400), '3.0 d');
  });
});
