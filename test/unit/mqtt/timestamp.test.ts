import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTimeKey, parseIso8601, parseTimeValue } from '../../../src/inputs/mqtt/timestamp.js';

const T = Date.UTC(2026, 0, 5, 10, 0, 0);

test('time keys are time, timestamp and ts in any case, nothing else', () => {
  for (const key of ['time', 'Time', 'TIME', 'timestamp', 'TimeStamp', 'ts', 'TS', 'tS']) assert.ok(isTimeKey(key), key);
  for (const key of ['t', 'times', 'tsx', 'time_', 'uptime', 'timestamps', '']) assert.ok(!isTimeKey(key), key);
});

test('epoch numbers below 1e11 are seconds, below 1e14 milliseconds', () => {
  assert.equal(parseTimeValue(T / 1000), T);
  assert.equal(parseTimeValue(T / 1000 + 0.5), T + 500);
  assert.equal(parseTimeValue(T), T);
  assert.equal(parseTimeValue(0), 0);
  assert.equal(parseTimeValue(99_999_999_999), 99_999_999_999_000);
  assert.equal(parseTimeValue(100_000_000_000), 100_000_000_000);
  // Microseconds and nanoseconds are not offered by the contract.
  assert.equal(parseTimeValue(T * 1000), null);
  assert.equal(parseTimeValue(-1), null);
  assert.equal(parseTimeValue(Number.NaN), null);
  assert.equal(parseTimeValue(Number.POSITIVE_INFINITY), null);
});

test('digit-only strings are epoch values too', () => {
  assert.equal(parseTimeValue(String(T / 1000)), T);
  assert.equal(parseTimeValue(String(T)), T);
  assert.equal(parseTimeValue(' 1767607200.25 '), T + 250);
});

test('ISO-8601 with Z, offsets, fractions; without an offset it is UTC', () => {
  assert.equal(parseTimeValue('2026-01-05T10:00:00'), T);
  assert.equal(parseTimeValue('2026-01-05T10:00:00Z'), T);
  assert.equal(parseTimeValue('2026-01-05t10:00:00z'), T);
  assert.equal(parseTimeValue('2026-01-05 10:00:00'), T);
  assert.equal(parseTimeValue('2026-01-05T10:00'), T);
  assert.equal(parseTimeValue('2026-01-05'), Date.UTC(2026, 0, 5));
  assert.equal(parseTimeValue('2026-01-05T12:30:00+02:30'), T);
  assert.equal(parseTimeValue('2026-01-05T05:00:00-0500'), T);
  assert.equal(parseTimeValue('2026-01-05T11:00:00+01'), T);
  assert.equal(parseTimeValue('2026-01-05T10:00:00.123456789Z'), T + 123);
  assert.equal(parseTimeValue('2026-01-05T10:00:00,5'), T + 500);
  assert.equal(parseTimeValue('2016-12-31T23:59:60Z'), Date.UTC(2017, 0, 1));
  assert.equal(parseIso8601('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
});

test('malformed or impossible dates and other types are null', () => {
  for (const value of ['2026-13-01', '2026-02-29', '2026-04-31', '2026-01-05T24:00:00', '2026-01-05T10:60', '2026-01-05T10:00:00+24:00',
    '2026-01-05T10:00:00+01:60', '2026-1-5', '05/01/2026', 'yesterday', '', '2026-01-05T', '2026-01-05Z', '1969-12-31T23:59:59Z',
    true, null, {}, [T]]) {
    assert.equal(parseTimeValue(value), null, JSON.stringify(value));
  }
});
