import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestWal, readAll } from '../helpers/wal-fixture.js';
import { startOutpostProcess, waitForStatus } from '../helpers/outpost-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { mosquittoPub, mosquittoSkip, startMosquitto } from '../helpers/mosquitto.js';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

describe('Outpost process', () => {
  it('runs in offline mode buffering host and own metrics, serves health, and on SIGTERM commits and exits 0', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const p = await startOutpostProcess({ OUTPOST_DATA_DIR: dir.path, OUTPOST_WAL_COMMIT_INTERVAL: '100ms' });
    t.after(() => p.child.kill('SIGKILL'));
    const base = `http://127.0.0.1:${p.port}`;
    await waitForStatus(`${base}/-/ready`, 200);
    assert.equal((await fetch(`${base}/-/healthy`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^outpost_build_info\{version="\d+\.\d+\.\d+"\} 1$/m);
    assert.match(metrics, /^outpost_wal_segments \d+$/m);
    assert.match(metrics, /^outpost_wal_samples_dropped_total\{reason="disk_budget"\} 0$/m);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.output());

    const wal = openTestWal(dir.path);
    const samples = readAll(wal, wal.consumer('check'));
    wal.close();
    const names = new Set(samples.map((s) => /__name__=([^,]+)/.exec(s.labels)?.[1]));
    assert.ok(names.has('outpost_build_info'), `own metrics were written to the WAL: ${[...names].join(' ')}`);
    assert.ok(names.has('node_load1') && names.has('node_cpu_seconds_total'), 'host metrics are buffered by default');
    assert.ok(samples.filter((s) => s.labels.includes('__name__=outpost_')).every((s) => s.labels.includes('job=outpost')));
  });

  it('keeps what it committed when killed with SIGKILL and starts again on the same data', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const env = { OUTPOST_DATA_DIR: dir.path, OUTPOST_WAL_COMMIT_INTERVAL: '50ms' };
    const first = await startOutpostProcess(env);
    t.after(() => first.child.kill('SIGKILL'));
    await waitForStatus(`http://127.0.0.1:${first.port}/-/ready`, 200);
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill('SIGKILL');
    await first.exited;
    const wal = openTestWal(dir.path);
    const before = readAll(wal, wal.consumer('check')).length;
    wal.close();
    assert.ok(before > 0, 'the first round of own metrics was committed before the kill');

    const second = await startOutpostProcess(env);
    t.after(() => second.child.kill('SIGKILL'));
    await waitForStatus(`http://127.0.0.1:${second.port}/-/ready`, 200);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.output());
    const reopened = openTestWal(dir.path);
    assert.ok(readAll(reopened, reopened.consumer('check')).length > before);
    reopened.close();
  });

  it('stores MQTT sensor readings published to a real mosquitto and counts rejects in /metrics', { skip: mosquittoSkip() }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    mkdirSync(join(dir.path, 'broker'));
    const broker = await startMosquitto({ dataDir: join(dir.path, 'broker') });
    t.after(() => broker.stop('SIGKILL'));
    const p = await startOutpostProcess({
      OUTPOST_DATA_DIR: join(dir.path, 'data'),
      OUTPOST_MQTT_URL: broker.url,
      OUTPOST_MQTT_TOPICS: 'sensors/{room}/{__name__}',
      OUTPOST_HOST_METRICS: 'false',
      OUTPOST_WAL_COMMIT_INTERVAL: '100ms',
    });
    t.after(() => p.child.kill('SIGKILL'));
    const base = `http://127.0.0.1:${p.port}`;
    await waitForStatus(`${base}/-/ready`, 200);
    const deadline = Date.now() + 10_000;
    let metrics = '';
    while (!/^outpost_mqtt_messages_received_total [2-9]/m.test(metrics) && Date.now() < deadline) {
      await mosquittoPub(broker.port, 'sensors/kitchen/temperature', '21.5');
      await mosquittoPub(broker.port, 'sensors/kitchen/temperature', 'warm');
      metrics = await (await fetch(`${base}/metrics`)).text();
    }
    assert.match(metrics, /^outpost_mqtt_messages_rejected_total\{reason="not_a_number"\} [1-9]/m);
    assert.match(metrics, /^outpost_input_up\{input="mqtt"\} 1$/m);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.output());
    const wal = openTestWal(join(dir.path, 'data'));
    const temps = readAll(wal, wal.consumer('check')).filter((s) => s.labels === '__name__=temperature,room=kitchen');
    wal.close();
    assert.ok(temps.length >= 1 && temps.every((s) => s.v === 21.5));
  });

  it('exits 1 naming every bad variable instead of starting', async () => {
    const p = await startOutpostProcess({ OUTPOST_WAL_MAX_BYTES: 'lots', OUTPOST_LOG_LEVEL: 'loud' });
    assert.equal(await p.exited, 1);
    assert.match(p.output(), /OUTPOST_WAL_MAX_BYTES/);
    assert.match(p.output(), /OUTPOST_LOG_LEVEL/);
  });
});
