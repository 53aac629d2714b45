import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { metricMetadata } from '../../src/model/metadata.js';
import { startFaultReceiver } from '../helpers/fault-receiver.js';
import { prometheusSkip, startPrometheus } from '../helpers/prometheus.js';
import { decodeRemoteWrite, decodeV1MetadataRequest } from '../helpers/remote-write-schema.js';
import { eventually, startSenderHarness } from '../helpers/sender-harness.js';
import { tempDir } from '../helpers/temp-dir.js';

const PUMP = metricMetadata('counter', 'Litres pumped since the pump started.', 'litres');
const TEMPERATURE = metricMetadata('gauge', 'Water temperature.');

describe('metric metadata on the wire', () => {
  it('sends RW 1.0 metadata once per family in a request of its own, apart from the samples', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver();
    t.after(() => receiver.close());
    const h = startSenderHarness(dir.path, [receiver.url]);
    h.wal.setMetadata('pump_litres', PUMP);
    h.wal.setMetadata('water_celsius', TEMPERATURE);
    h.wal.append(h.wal.seriesRef([{ name: '__name__', value: 'pump_litres_total' }]), Date.now(), 12);
    await eventually(() => h.counts.get(receiver.url)!.metadataEntries === 2, 10_000, 'the metadata request');
    await h.stop();
    const metadataRequests = receiver.requests.filter((r) => decodeRemoteWrite('1.0', r.body).series.length === 0);
    assert.equal(metadataRequests.length, 1, 'one request within the minute');
    const { metadata, canonical } = decodeV1MetadataRequest(metadataRequests[0]!.body);
    assert.ok(canonical);
    assert.deepEqual(metadata.sort((a, b) => a.metric_family_name.localeCompare(b.metric_family_name)), [
      { type: 'COUNTER', metric_family_name: 'pump_litres', help: 'Litres pumped since the pump started.', unit: 'litres' },
      { type: 'GAUGE', metric_family_name: 'water_celsius', help: 'Water temperature.', unit: '' },
    ]);
    const sampleRequest = receiver.requests.find((r) => decodeRemoteWrite('1.0', r.body).series.length > 0)!;
    assert.equal(decodeRemoteWrite('1.0', sampleRequest.body).series[0]!.labels[0]!.value, 'pump_litres_total');
  });

  it("puts each RW 2.0 series' family metadata on its TimeSeries, help and unit in the symbols table", async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver();
    t.after(() => receiver.close());
    const h = startSenderHarness(dir.path, [receiver.url], { OUTPOST_REMOTE_WRITE_PROTOCOL: '2.0' });
    h.wal.setMetadata('pump_litres', PUMP);
    h.wal.commit();
    const now = Date.now();
    h.wal.append(h.wal.seriesRef([{ name: '__name__', value: 'pump_litres_total' }]), now, 12);
    h.wal.append(h.wal.seriesRef([{ name: '__name__', value: 'no_metadata' }]), now, 1);
    await eventually(() => h.wal.stats().pendingSamples === 0 && h.wal.consumer(receiver.url).backlog().samples === 0, 10_000, 'delivery');
    await h.stop();
    assert.ok(receiver.requests.every((r) => r.protocol === '2.0'), 'no 1.0 metadata request to a 2.0 endpoint');
    const series = receiver.requests.flatMap((r) => decodeRemoteWrite('2.0', r.body).series);
    const pump = series.find((s) => s.labels[0]!.value === 'pump_litres_total')!;
    assert.deepEqual(pump.metadata, { type: 'METRIC_TYPE_COUNTER', help: 'Litres pumped since the pump started.', unit: 'litres' });
    assert.equal(series.find((s) => s.labels[0]!.value === 'no_metadata')!.metadata, undefined);
  });

  it('is taken by a real Prometheus 2.42 from RW 1.0 without refusing the request', { skip: prometheusSkip() }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    mkdirSync(join(dir.path, 'prom'));
    const prom = await startPrometheus(join(dir.path, 'prom'));
    t.after(() => prom.stop());
    const h = startSenderHarness(join(dir.path, 'wal'), [prom.writeUrl]);
    h.wal.setMetadata('pump_litres', PUMP);
    h.wal.append(h.wal.seriesRef([{ name: '__name__', value: 'pump_litres_total' }]), Date.now(), 12);
    await eventually(() => h.counts.get(prom.writeUrl)!.metadataEntries === 1, 10_000, 'the metadata request');
    await h.stop();
    assert.deepEqual(h.counts.get(prom.writeUrl)!.rejected, {});
    assert.equal((await prom.query('pump_litres_total')).length, 1);
  });
});
