import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SenderStatus } from '../../../src/sender/sender.js';
import { createMetricsRegistry } from '../../../src/status/self-metrics.js';
import { registerSenderMetrics, type EndpointView } from '../../../src/status/sender-metrics.js';

const CLOUD = 'https://cloud.example/api/prom/push';
const SITE = 'http://prom.site.lan:9090/api/v1/write';

function view(url: string, name: string): EndpointView {
  const status: SenderStatus = {
    url, up: true, shards: 2, protocol: '2.0', learnedAgeLimitMs: null, lastError: null, lastSuccessMs: null, newestSentTimestampMs: null, bandwidthBytesPerSecond: 100,
  };
  return { url, name, protocols: ['1.0', '2.0'], status: () => status, backlog: () => ({ samples: 7, oldestTimestampMs: null }) };
}

test('every endpoint family carries the endpoint name beside url and remote_name', () => {
  const registry = createMetricsRegistry();
  const views = [view(CLOUD, 'cloud'), view(SITE, 'remote-write-1')];
  const countersFor = registerSenderMetrics(registry, () => views, () => null);
  countersFor(CLOUD, 'cloud').sent(10, 100);
  countersFor(SITE, 'remote-write-1').rejected('too_old', 3);
  const text = registry.render();
  assert.match(text, /^prometheus_remote_storage_samples_total\{remote_name="cloud\.example",url="https:\/\/cloud\.example\/api\/prom\/push",endpoint="cloud"\} 10$/m);
  assert.match(text, /^prometheus_remote_storage_samples_pending\{remote_name="prom\.site\.lan:9090",url="http:\/\/prom\.site\.lan:9090\/api\/v1\/write",endpoint="remote-write-1"\} 7$/m);
  assert.match(text, /^outpost_samples_rejected_total\{url="http:\/\/prom\.site\.lan:9090\/api\/v1\/write",endpoint="remote-write-1",reason="too_old"\} 3$/m);
  assert.match(text, /^outpost_uplink_up\{url="https:\/\/cloud\.example\/api\/prom\/push",endpoint="cloud"\} 1$/m);
  assert.match(text, /^outpost_remote_write_protocol\{url="https:\/\/cloud\.example\/api\/prom\/push",endpoint="cloud",protocol="1\.0"\} 0$/m);
  assert.match(text, /^outpost_remote_write_protocol\{url="https:\/\/cloud\.example\/api\/prom\/push",endpoint="cloud",protocol="2\.0"\} 1$/m);
});

test('samples dropped by an endpoint\'s write relabel rules are counted in outpost_samples_filtered_total, from 0', () => {
  const registry = createMetricsRegistry();
  const countersFor = registerSenderMetrics(registry, () => [], () => null);
  const cloud = countersFor(CLOUD, 'cloud');
  countersFor(SITE, 'site');
  cloud.filtered(40);
  cloud.filtered(2);
  const text = registry.render();
  assert.match(text, /^outpost_samples_filtered_total\{url="https:\/\/cloud\.example\/api\/prom\/push",endpoint="cloud"\} 42$/m);
  assert.match(text, /^outpost_samples_filtered_total\{url="http:\/\/prom\.site\.lan:9090\/api\/v1\/write",endpoint="site"\} 0$/m);
});
