import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeRequest } from '../../../src/sender/outputs/remote-write/encode.js';
import { WireSeries } from '../../../src/sender/wire-series.js';
import { startCentralProxy, type CentralProxy } from '../../../scripts/fleet/central-proxy.js';

const T0 = 1_700_000_000_000;

/** A 1.0 request of one synthetic series of `gateway` with samples at T0 + each offset (seconds). */
function request(gateway: string, offsets: number[]): Uint8Array {
  const series = new WireSeries([{ name: '__name__', value: 'fleet_synthetic' }, { name: 'sensor', value: 's1' }], [{ name: 'gateway', value: gateway }]);
  const timestamps = Float64Array.from(offsets, (s) => T0 + s * 1000);
  return encodeRequest('1.0', [{ series, timestamps, values: new Float64Array(offsets.length), start: 0, count: offsets.length }]);
}

// The store behind the proxy: the proxy's counting is under test, and a store that takes every
// request is enough for it (the fleet test runs the proxy in front of a real VictoriaMetrics).
describe('fleet central proxy', () => {
  let store: Server;
  let proxy: CentralProxy;

  before(async () => {
    store = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    await new Promise<void>((resolve) => store.listen(0, '127.0.0.1', resolve));
    proxy = await startCentralProxy({ target: `http://127.0.0.1:${(store.address() as AddressInfo).port}/api/v1/write`, syntheticPrefix: 'fleet_synthetic' });
  });

  after(async () => {
    await proxy.close();
    store.close();
  });

  async function send(body: Uint8Array): Promise<number> {
    const res = await fetch(proxy.url, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' } });
    await res.arrayBuffer();
    return res.status;
  }

  it('counts a sample older than its series\' newest as delivered and out of order, and one sent again as a duplicate', async () => {
    assert.equal(await send(request('gw01', [10, 20])), 204);
    // Older than the newest (20) and never seen: the store takes it, so it is delivered.
    assert.equal(await send(request('gw01', [5])), 204);
    // Seen before, older and equal to the newest: both duplicates, neither delivered again.
    assert.equal(await send(request('gw01', [10, 20])), 204);
    const d = proxy.delivery('gw01');
    assert.deepEqual({ samples: d.samples, synthetic: d.synthetic, outOfOrder: d.outOfOrder, duplicates: d.duplicates }, { samples: 3, synthetic: 3, outOfOrder: 1, duplicates: 2 });
  });

  it('counts samples before the mark whatever order they arrive in, so a reordering sender still catches up', async () => {
    proxy.setMark(T0 + 100_000);
    assert.equal(await send(request('gw02', [90, 110])), 204);
    assert.equal(await send(request('gw02', [80, 85])), 204);
    const d = proxy.delivery('gw02');
    assert.equal(d.syntheticBeforeMark, 3);
    assert.equal(d.outOfOrder, 2);
  });
});
