import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFaultReceiver } from '../helpers/fault-receiver.js';
import { freePort, startOutpostProcess, waitForStatus, type OutpostProcess } from '../helpers/outpost-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const FAST = {
  OUTPOST_WAL_COMMIT_INTERVAL: '100ms', OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '200ms',
  OUTPOST_QUEUE_MIN_BACKOFF: '50ms', OUTPOST_QUEUE_MAX_BACKOFF: '200ms', OUTPOST_SHUTDOWN_TIMEOUT: '1s',
};

/** Stops the process with SIGTERM and returns its stdout and stderr once it exited 0. */
async function stop(p: OutpostProcess): Promise<string> {
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, p.output());
  return p.output();
}

function jsonLines(output: string): Array<Record<string, unknown>> {
  return output.trim().split('\n').map((line) => {
    assert.doesNotThrow(() => JSON.parse(line), `not a JSON line: ${line}`);
    // pino writes a child's bindings after its parent's: a key given twice would appear twice.
    assert.ok((line.match(/"component":/g) ?? []).length <= 1, `one component per line: ${line}`);
    return JSON.parse(line) as Record<string, unknown>;
  });
}

describe('logs', () => {
  it('are pino JSON by default: a startup line with version and redacted config, a component on each component line', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver();
    t.after(() => receiver.close());
    const p = await startOutpostProcess({ OUTPOST_DATA_DIR: dir.path, OUTPOST_REMOTE_WRITE_URL: receiver.url, ...FAST });
    t.after(() => p.child.kill('SIGKILL'));
    await waitForStatus(`http://127.0.0.1:${p.port}/-/ready`, 200);
    await receiver.waitForRequests(1);
    const lines = jsonLines(await stop(p));
    const start = lines.find((l) => l.msg === 'Outpost starting');
    assert.ok(start, 'a startup line');
    assert.match(String(start.version), /^\d+\.\d+\.\d+/);
    assert.equal((start.config as { wal: { dataDir: string } }).wal.dataDir, dir.path);
    for (const l of lines) assert.deepEqual([typeof l.level, typeof l.time, typeof l.msg], ['number', 'number', 'string']);
    const components = new Set(lines.map((l) => l.component).filter((c) => c !== undefined));
    for (const c of ['status', 'wal']) assert.ok(components.has(c), `component ${c} in ${[...components].join(', ')}`);
  });

  it('OUTPOST_LOG_LEVEL=warn leaves out info, and a failing endpoint is logged once a minute with the repeats counted', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ mode: { kind: 'status', status: 503 } });
    t.after(() => receiver.close());
    const p = await startOutpostProcess({ OUTPOST_DATA_DIR: dir.path, OUTPOST_REMOTE_WRITE_URL: receiver.url, OUTPOST_LOG_LEVEL: 'warn', ...FAST });
    t.after(() => p.child.kill('SIGKILL'));
    await waitForStatus(`http://127.0.0.1:${p.port}/-/ready`, 200);
    await receiver.waitForRequests(5);
    receiver.setMode({ kind: 'ok' });
    const lines = jsonLines(await stop(p));
    assert.deepEqual(lines.filter((l) => (l.level as number) < 40), [], 'nothing below warn');
    const retries = lines.filter((l) => l.msg === 'remote write failed; retrying');
    assert.equal(retries.length, 1, `${receiver.requests.length} failed requests, one line: ${JSON.stringify(retries)}`);
    assert.equal(retries[0]!.component, 'sender');
    assert.equal(retries[0]!.url, receiver.url);
  });

  it('OUTPOST_LOG_FORMAT=pretty writes one readable line per record', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const p = await startOutpostProcess({ OUTPOST_DATA_DIR: dir.path, OUTPOST_LOG_FORMAT: 'pretty', ...FAST });
    t.after(() => p.child.kill('SIGKILL'));
    await waitForStatus(`http://127.0.0.1:${p.port}/-/ready`, 200);
    const lines = (await stop(p)).trim().split('\n');
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR|FATAL) \S/);
    assert.ok(lines.some((l) => /INFO  Outpost starting \{"version":/.test(l)));
  });

  it('never show a secret, nor do /metrics, /api/v1/status or the page', { timeout: 60_000 }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver({ mode: { kind: 'status', status: 503 } });
    t.after(() => receiver.close());
    const closed = await freePort(); // nothing listens: MQTT and scrape errors get logged
    const secrets = {
      urlPassword: 'url-pass-8d1f', bearer: 'bearer-tok-51ca', header: 'hdr-key-77e2', mqttUrlPassword: 'mqtt-url-pass-3b9a',
      mqttPassword: 'mqtt-pass-c40e', scrapePassword: 'scrape-pass-9f01', basicPassword: 'basic-pass-a6d3', filePassword: 'file-pass-2e7b',
    };
    const endpoint = receiver.url.replace('http://', `http://writer:${secrets.urlPassword}@`);
    const common = {
      ...FAST, OUTPOST_LOG_LEVEL: 'debug', OUTPOST_HOST_METRICS_INTERVAL: '1s',
      OUTPOST_MQTT_URL: `mqtt://sensor:${secrets.mqttUrlPassword}@127.0.0.1:${closed}`, OUTPOST_MQTT_USERNAME: 'outpost', OUTPOST_MQTT_PASSWORD: secrets.mqttPassword,
      OUTPOST_SCRAPE_TARGETS: `node=http://scraper:${secrets.scrapePassword}@127.0.0.1:${closed}/metrics`, OUTPOST_SCRAPE_INTERVAL: '1s',
    };
    writeFileSync(join(dir.path, 'password'), secrets.filePassword + '\n');
    const runs: Array<Record<string, string>> = [
      { OUTPOST_REMOTE_WRITE_URL: endpoint, OUTPOST_REMOTE_WRITE_BEARER_TOKEN: secrets.bearer, OUTPOST_REMOTE_WRITE_HEADERS: `X-Api-Key=${secrets.header}` },
      { OUTPOST_REMOTE_WRITE_URL: endpoint, OUTPOST_REMOTE_WRITE_USERNAME: 'writer', OUTPOST_REMOTE_WRITE_PASSWORD: secrets.basicPassword, OUTPOST_LOG_FORMAT: 'pretty' },
      { OUTPOST_REMOTE_WRITE_URL: endpoint, OUTPOST_REMOTE_WRITE_USERNAME: 'writer', OUTPOST_REMOTE_WRITE_PASSWORD_FILE: join(dir.path, 'password') },
    ];
    for (const [n, run] of runs.entries()) {
      const seen = receiver.requests.length;
      const p = await startOutpostProcess({ ...common, ...run, OUTPOST_DATA_DIR: join(dir.path, `data${n}`) });
      t.after(() => p.child.kill('SIGKILL'));
      const base = `http://127.0.0.1:${p.port}`;
      await waitForStatus(`${base}/-/ready`, 200);
      await receiver.waitForRequests(seen + 3);
      const auth = String(receiver.requests.at(-1)!.headers.authorization);
      assert.ok(auth.includes(secrets.bearer) || Buffer.from(auth.replace('Basic ', ''), 'base64').toString().includes('pass'), 'the secrets are really in use');
      // Wait until the inputs failed, so their errors are in the logs and the status too.
      for (let tries = 0; ; tries++) {
        const doc = await (await fetch(`${base}/api/v1/status`)).json() as { inputs: Array<{ lastError: string | null }> };
        if (doc.inputs.filter((i) => i.lastError !== null).length >= 2) break;
        assert.ok(tries < 100, `inputs did not fail: ${JSON.stringify(doc.inputs)}`);
        await sleep(100);
      }
      const served = await Promise.all(['/metrics', '/api/v1/status', '/api/v1/status?history=1', '/'].map(async (path) => (await fetch(base + path)).text()));
      const output = await stop(p);
      assert.match(output, /redacted/, 'the startup line shows where secrets were');
      for (const [where, text] of [['stdout/stderr', output], ...served.map((body, i) => [`page ${i}`, body])] as Array<[string, string]>) {
        for (const [name, secret] of Object.entries(secrets)) assert.ok(!text.includes(secret), `${name} appears in ${where} of run ${n}`);
      }
    }
  });
});
