import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultReceiver } from '../helpers/fault-receiver.js';
import { startOutpostProcess, waitForStatus } from '../helpers/outpost-process.js';
import { prometheusSkip, startPrometheus } from '../helpers/prometheus.js';
import { committedSamples, delivered, deliveredAll, eventually, startSenderHarness } from '../helpers/sender-harness.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('sender end to end', { skip: prometheusSkip() }, () => {
  for (const protocol of ['1.0', '2.0'] as const) {
    it(`delivers to a real Prometheus over RW ${protocol}, which answers PromQL with the values and labels sent`, async (t) => {
      const dir = tempDir();
      t.after(dir.remove);
      mkdirSync(join(dir.path, 'prom'));
      const prom = await startPrometheus(join(dir.path, 'prom'));
      t.after(() => prom.stop());
      // RW 2.0 is only understood by newer receivers; Prometheus 2.42 takes 1.0, so 2.0 goes to
      // the recording receiver and is decoded with the spec's schema instead.
      const receiver = protocol === '2.0' ? await startFaultReceiver() : null;
      t.after(() => receiver?.close());
      const url = receiver?.url ?? prom.writeUrl;
      const h = startSenderHarness(join(dir.path, 'wal'), [url], { OUTPOST_REMOTE_WRITE_PROTOCOL: protocol, OUTPOST_EXTERNAL_LABELS: 'site=farm7,i=ignored' });
      const now = Date.now();
      for (let r = 0; r < 5; r++) h.appendRound(3, now - 5000 + r * 1000, (i) => i * 10 + r);
      await eventually(() => h.wal.stats().pendingSamples === 0 && h.wal.consumer(url).backlog().samples === 0, 15_000, 'delivery');
      await h.stop();
      if (receiver) {
        const got = delivered(receiver);
        assert.deepEqual([...got.keys()].sort(), ['__name__=m,i=0,site=farm7', '__name__=m,i=1,site=farm7', '__name__=m,i=2,site=farm7']);
        assert.deepEqual(got.get('__name__=m,i=2,site=farm7')!.map(([, v]) => v), [20, 21, 22, 23, 24]);
        return;
      }
      const result = await prom.query('m');
      const byI = new Map(result.map((r) => [r.metric.i, r]));
      assert.equal(result.length, 3);
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(byI.get(String(i))!.metric, { __name__: 'm', i: String(i), site: 'farm7' });
        assert.equal(byI.get(String(i))!.value[1], String(i * 10 + 4));
      }
      const counted = await prom.query('count_over_time(m[1m])');
      assert.ok(counted.every((r) => r.value[1] === '5'), JSON.stringify(counted));
    });
  }

  it('delivers the backlog of a gateway killed with SIGKILL during an outage once it restarts and the link heals', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ mode: { kind: 'status', status: 503 } });
    t.after(() => receiver.close());
    const env = {
      OUTPOST_DATA_DIR: dir.path, OUTPOST_REMOTE_WRITE_URL: receiver.url, OUTPOST_HOST_METRICS_INTERVAL: '1s',
      OUTPOST_SELF_METRICS: 'false', OUTPOST_WAL_COMMIT_INTERVAL: '100ms', OUTPOST_QUEUE_MIN_BACKOFF: '100ms',
      OUTPOST_QUEUE_MAX_BACKOFF: '300ms', OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '200ms',
    };
    const first = await startOutpostProcess(env);
    t.after(() => first.child.kill('SIGKILL'));
    await waitForStatus(`http://127.0.0.1:${first.port}/-/ready`, 200);
    await new Promise((r) => setTimeout(r, 2500));
    first.child.kill('SIGKILL');
    await first.exited;
    const committed = committedSamples(dir.path);
    assert.ok(committed.length > 0);

    receiver.setMode({ kind: 'ok' });
    const second = await startOutpostProcess(env);
    t.after(() => second.child.kill('SIGKILL'));
    const metricsUrl = `http://127.0.0.1:${second.port}/metrics`;
    await waitForStatus(`http://127.0.0.1:${second.port}/-/ready`, 200);
    await eventually(() => deliveredAll(receiver, committed), 20_000, 'every committed sample to arrive');
    assert.match(await (await fetch(metricsUrl)).text(), /^prometheus_remote_storage_samples_total\{[^}]*\} [1-9]/m);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });
});
