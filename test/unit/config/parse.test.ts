import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatDuration, parseBoolean, parseDuration, parseHeaders, parseInteger, parseLabels, parseList,
  parseListenAddress, parseLogFormat, parseLogLevel, parseQos, parseRemoteWriteProtocol,
  parseScrapeTarget, parseSize, parseUrl, type ParseResult,
} from '../../../src/config/parse.js';

function value<T>(result: ParseResult<T>): T {
  assert.ok(result.ok, `expected a value, got problem: ${result.ok ? '' : result.error}`);
  return result.value;
}

function problem<T>(result: ParseResult<T>): string {
  assert.ok(!result.ok, `expected a problem, got ${JSON.stringify(result.ok && result.value)}`);
  return result.error;
}

test('durations in Prometheus syntax become milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['500ms', 500], ['15s', 15_000], ['1m', 60_000], ['2h', 7_200_000], ['7d', 604_800_000],
    ['1w', 604_800_000], ['1y', 31_536_000_000], ['1h30m', 5_400_000], ['1m30s500ms', 90_500], ['0s', 0], ['0', 0],
  ];
  for (const [text, ms] of cases) assert.equal(value(parseDuration(text)), ms, text);
});

test('malformed durations are problems that show the syntax', () => {
  for (const text of ['', 'abc', '15', '-1s', '1.5h', '30m1h', '1h 30m', '15S', 's', '1x']) {
    assert.match(problem(parseDuration(text)), /not a duration.*15s/, text);
  }
  assert.match(problem(parseDuration('30')), /unit is missing/);
});

test('durations outside bounds name the bounds as durations', () => {
  assert.equal(problem(parseDuration('0s', { min: 1 })), 'must be at least 1ms');
  assert.equal(problem(parseDuration('5m', { min: 10, max: 60_000 })), 'must be between 10ms and 1m');
  assert.equal(value(parseDuration('1m', { min: 10, max: 60_000 })), 60_000);
  assert.equal(problem(parseDuration('9999999999999999y')), 'is too large');
});

test('formatDuration writes what parseDuration reads back', () => {
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(0), '0s');
  fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 31_536_000_000 }), (ms) => value(parseDuration(formatDuration(ms))) === ms));
});

test('sizes accept binary and decimal units and plain bytes', () => {
  const cases: Array<[string, number]> = [
    ['512MiB', 512 * 2 ** 20], ['1GiB', 2 ** 30], ['64KiB', 65_536], ['10MB', 10_000_000], ['1KB', 1000],
    ['4096', 4096], ['0', 0], ['1.5KiB', 1536], ['2gib', 2 ** 31], ['100B', 100], ['1TiB', 2 ** 40],
  ];
  for (const [text, bytes] of cases) assert.equal(value(parseSize(text)), bytes, text);
});

test('malformed sizes are problems that show the units', () => {
  for (const text of ['', 'abc', '1.5', '-1', '10 MiB', '1e3', '5XB', 'MiB', '1constructor']) {
    assert.match(problem(parseSize(text)), /not a size.*KiB, MiB/, text);
  }
  assert.equal(problem(parseSize('1KiB', { min: 2 ** 20 })), 'must be at least 1MiB');
  assert.equal(problem(parseSize('99999999999TiB')), 'is too large');
});

test('booleans accept true/false/1/0/yes/no in any case', () => {
  for (const text of ['true', 'TRUE', '1', 'yes', 'Yes']) assert.equal(value(parseBoolean(text)), true, text);
  for (const text of ['false', 'False', '0', 'no', 'NO']) assert.equal(value(parseBoolean(text)), false, text);
  for (const text of ['', 'on', 'maybe', '2']) assert.match(problem(parseBoolean(text)), /not a boolean/, text);
});

test('integers are checked against their range', () => {
  assert.equal(value(parseInteger('42', { min: 1, max: 100 })), 42);
  assert.equal(problem(parseInteger('0', { min: 1, max: 100 })), 'must be between 1 and 100');
  assert.equal(problem(parseInteger('0', { min: 1 })), 'must be at least 1');
  for (const text of ['', '1.5', '1e3', 'ten']) assert.equal(problem(parseInteger(text)), 'not a whole number', text);
  assert.equal(problem(parseInteger('99999999999999999999')), 'is too large');
  assert.equal(problem(parseInteger('101', { max: 100 })), 'must be at most 100');
});

test('enumerations accept their values in any case and list them otherwise', () => {
  assert.equal(value(parseLogLevel('DEBUG')), 'debug');
  assert.equal(problem(parseLogLevel('trace')), 'must be one of debug, info, warn, error');
  assert.equal(value(parseLogFormat('pretty')), 'pretty');
  assert.equal(problem(parseLogFormat('text')), 'must be one of json, pretty');
  assert.equal(value(parseRemoteWriteProtocol('2.0')), '2.0');
  assert.equal(problem(parseRemoteWriteProtocol('2')), 'must be one of 1.0, 2.0');
  assert.equal(value(parseQos('2')), 2);
  assert.equal(problem(parseQos('3')), 'must be one of 0, 1, 2');
});

test('URLs must be absolute, with an allowed scheme and a host', () => {
  assert.equal(value(parseUrl('https://u:p@prom.example.com/api/v1/write', ['http', 'https'])), 'https://u:p@prom.example.com/api/v1/write');
  assert.equal(value(parseUrl('mqtts://broker:8883', ['mqtt', 'mqtts'])), 'mqtts://broker:8883');
  assert.equal(problem(parseUrl('ftp://x', ['http', 'https'])), 'scheme ftp is not supported; use http:// or https://');
  assert.match(problem(parseUrl('prom.example.com/write', ['http', 'https'])), /not a URL/);
  assert.match(problem(parseUrl('http://host:99999/', ['http'])), /not a URL/);
  assert.equal(problem(parseUrl('mqtt:///topic', ['mqtt'])), 'has no host');
});

test('comma lists ignore blanks and report every bad item at once', () => {
  const url = (item: string) => parseUrl(item, ['http']);
  assert.deepEqual(value(parseList(' http://a/ , ,http://b/ ', url)), ['http://a/', 'http://b/']);
  assert.deepEqual(value(parseList('', url)), []);
  const error = problem(parseList('x,http://a/,ftp://b', url));
  assert.match(error, /"x": not a URL/);
  assert.match(error, /"ftp:\/\/b": scheme ftp/);
});

test('headers need token names, a value, no repeats and no reserved names', () => {
  assert.deepEqual(value(parseHeaders('X-Scope-OrgID=farm7, Authorization=Bearer a=b')), { 'X-Scope-OrgID': 'farm7', Authorization: 'Bearer a=b' });
  assert.match(problem(parseHeaders('Bad Name=1')), /"Bad Name" is not a valid HTTP header name/);
  assert.match(problem(parseHeaders('X-A')), /"X-A" is not Name=value/);
  assert.match(problem(parseHeaders('X-A=')), /"X-A" has an empty value/);
  assert.match(problem(parseHeaders('X-A=1,x-a=2')), /"x-a" is given twice/);
  assert.match(problem(parseHeaders('Content-Type=text/plain')), /set by outpost itself/);
  assert.match(problem(parseHeaders('X-A=a\u0001b')), /control characters/);
  const both = problem(parseHeaders('a b=1,c=d,e'));
  assert.match(both, /"a b"/);
  assert.match(both, /"e" is not Name=value/);
});

test('a header called __proto__ stays plain data', () => {
  const headers = value(parseHeaders('__proto__=x'));
  assert.equal(Object.getPrototypeOf(headers), Object.prototype);
  assert.deepEqual(Object.keys(headers), ['__proto__']);
});

test('external labels need valid, unreserved names', () => {
  assert.deepEqual(value(parseLabels('site=farm7,gateway=gw01')), { site: 'farm7', gateway: 'gw01' });
  assert.match(problem(parseLabels('1site=x')), /"1site" is not a valid label name/);
  assert.match(problem(parseLabels('my-site=x')), /"my-site" is not a valid label name/);
  assert.match(problem(parseLabels('__site=x')), /reserved/);
  assert.match(problem(parseLabels('site=a,site=b')), /"site" is given twice/);
});

test('scrape targets default the job, fill the port and the metrics path', () => {
  assert.deepEqual(value(parseScrapeTarget('http://localhost:9100/metrics')), { job: 'scrape', url: 'http://localhost:9100/metrics', instance: 'localhost:9100' });
  assert.deepEqual(value(parseScrapeTarget('node=http://127.0.0.1:9100')), { job: 'node', url: 'http://127.0.0.1:9100/metrics', instance: '127.0.0.1:9100' });
  assert.deepEqual(value(parseScrapeTarget('app=https://[::1]/m?a=b')), { job: 'app', url: 'https://[::1]/m?a=b', instance: '[::1]:443' });
  assert.deepEqual(value(parseScrapeTarget('http://exporter/')), { job: 'scrape', url: 'http://exporter/', instance: 'exporter:80' });
  assert.equal(value(parseScrapeTarget('http://h:1/x?q=a=b')).job, 'scrape');
});

test('bad scrape targets are problems', () => {
  assert.match(problem(parseScrapeTarget('=http://a')), /empty job name/);
  assert.match(problem(parseScrapeTarget('node=ftp://a')), /scheme ftp/);
  assert.match(problem(parseScrapeTarget('localhost:9100')), /not supported|not a URL/);
  assert.match(problem(parseScrapeTarget('node=')), /not a URL/);
});

test('listen addresses accept host:port, bracketed IPv6 and :port', () => {
  assert.deepEqual(value(parseListenAddress('127.0.0.1:9780')), { host: '127.0.0.1', port: 9780 });
  assert.deepEqual(value(parseListenAddress('[::1]:9780')), { host: '::1', port: 9780 });
  assert.deepEqual(value(parseListenAddress(':9780')), { host: '', port: 9780 });
  assert.deepEqual(value(parseListenAddress('localhost:0')), { host: 'localhost', port: 0 });
});

test('bad listen addresses are problems with a hint', () => {
  assert.match(problem(parseListenAddress('::1:9780')), /needs brackets/);
  assert.match(problem(parseListenAddress('127.0.0.1')), /not a listen address/);
  assert.match(problem(parseListenAddress('127.0.0.1:http')), /not a listen address/);
  assert.match(problem(parseListenAddress('host:70000')), /between 0 and 65535/);
  assert.match(problem(parseListenAddress('[nothost]:80')), /not an IPv6 address/);
  assert.match(problem(parseListenAddress('bad_host!:80')), /not a host name/);
});
