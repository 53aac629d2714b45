/**
 * Named endpoints end to end: each receiver gets its own credentials and protocol, its own series
 * (write relabel), and its own cursor, also across a restart and an upgrade from the unnamed form.
 * Receivers are real (VictoriaMetrics with basic auth, Prometheus) where they can be; a recording
 * receiver stands in where the test must see every request (RW 2.0, which neither speaks in the
 * versions installed, and counting resends).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Labels } from '../../src/model/labels.js';
import { startFaultReceiver } from '../helpers/fault-receiver.js';
import { prometheusSkip, startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';
import { startRecordingProxy } from '../helpers/recording-proxy.js';
import { committedSamples, delivered, eventually, startSenderHarness, type SenderHarness } from '../helpers/sender-harness.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startVictoriaMetrics, victoriaMetricsSkip } from '../helpers/victoria-metrics.js';
import { openTestWal } from '../helpers/wal-fixture.js';
import { systemClock } from '../../src/lib/clock.js';

const basic = (username: string, password: string): string => 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');

/** Appends one sample of each of `names` (one series each, label i=0) at `timestampMs`. */
function appendEach(h: Pick<SenderHarness, 'wal'>, names: readonly string[], timestampMs: number, value: number): void {
  for (const name of names) {
    const labels: Labels = [{ name: '__name__', value: name }, { name: 'i', value: '0' }];
    h.wal.append(h.wal.seriesRef(labels), timestampMs, value);
  }
}

/** Waits until every consumer named by `urls` has nothing left to send. */
async function drained(h: SenderHarness, urls: readonly string[], what: string): Promise<void> {
  await eventually(() => h.wal.stats().pendingSamples === 0 && urls.every((url) => h.wal.consumer(url).backlog().samples === 0), 20_000, what);
}

describe('named endpoints: credentials and protocol per receiver', { skip: victoriaMetricsSkip() }, () => {
  it('sends each receiver only its own basic-auth password, RW 1.0 to one and 2.0 to the other, and both get every sample', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    mkdirSync(join(dir.path, 'vm'));
    const site = await startVictoriaMetrics(join(dir.path, 'vm'), { username: 'site', password: 'site-secret' });
    t.after(() => site.stop());
    const siteProxy = await startRecordingProxy(site.writeUrl);
    t.after(() => siteProxy.close());
    const cloud = await startFaultReceiver({ authorization: basic('cloud', 'cloud-secret') });
    t.after(() => cloud.close());

    const h = startSenderHarness(join(dir.path, 'wal'), [], {
      OUTPOST_ENDPOINT_SITE_URL: siteProxy.url, OUTPOST_ENDPOINT_SITE_USERNAME: 'site', OUTPOST_ENDPOINT_SITE_PASSWORD: 'site-secret',
      OUTPOST_ENDPOINT_CLOUD_URL: cloud.url, OUTPOST_ENDPOINT_CLOUD_USERNAME: 'cloud', OUTPOST_ENDPOINT_CLOUD_PASSWORD: 'cloud-secret',
      OUTPOST_ENDPOINT_CLOUD_PROTOCOL: '2.0',
    });
    t.after(() => h.stop());
    const now = Date.now();
    const rounds = 10;
    for (let r = 0; r < rounds; r++) h.appendRound(5, now - 20_000 + r * 1000, (i) => i * 100 + r);
    await drained(h, [siteProxy.url, cloud.url], 'both endpoints to deliver everything');

    // The cloud: every request carried its own credentials and was stored, in 2.0.
    assert.ok(cloud.requests.length > 0);
    assert.deepEqual([...new Set(cloud.requests.map((r) => `${r.protocol} ${r.headers.authorization} ${r.stored}`))], [`2.0 ${basic('cloud', 'cloud-secret')} true`]);
    const got = delivered(cloud);
    assert.equal(got.size, 5);
    for (const [series, samples] of got) assert.equal(samples.length, rounds, `${series}: ${samples.length} samples`);

    // The site: VictoriaMetrics checked the credentials and stored every sample of each series.
    assert.ok(siteProxy.headers.length > 0);
    assert.deepEqual([...new Set(siteProxy.headers.map((hd) => `${hd['content-type']} ${hd.authorization}`))], [`application/x-protobuf ${basic('site', 'site-secret')}`]);
    const counted = await site.query(`count_over_time(m[1h])`);
    assert.deepEqual(counted.map((r) => r.value[1]).sort(), Array(5).fill(String(rounds)));
    const counts = h.counts;
    assert.equal(counts.get(siteProxy.url)!.sent, 5 * rounds);
    assert.equal(counts.get(cloud.url)!.sent, 5 * rounds);
    assert.equal(counts.get(cloud.url)!.failed + counts.get(siteProxy.url)!.failed, 0, 'nothing refused');
  });
});

describe('named endpoints: write relabel per receiver', { skip: prometheusSkip() }, () => {
  it('sends only node_* to one receiver and everything to the other; both cursors advance and a restart in between loses and duplicates nothing', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const proms: PrometheusServer[] = [];
    for (const name of ['cloud', 'site']) {
      mkdirSync(join(dir.path, name));
      const prom = await startPrometheus(join(dir.path, name));
      t.after(() => prom.stop());
      proms.push(prom);
    }
    const [cloud, site] = proms as [PrometheusServer, PrometheusServer];
    const rules = join(dir.path, 'cloud-relabel.yml');
    writeFileSync(rules, "- source_labels: [__name__]\n  regex: 'node_.*'\n  action: keep\n");
    const env = {
      OUTPOST_ENDPOINT_CLOUD_URL: cloud.writeUrl, OUTPOST_ENDPOINT_CLOUD_RELABEL_CONFIG_FILE: rules,
      OUTPOST_ENDPOINT_SITE_URL: site.writeUrl,
    };
    const walDir = join(dir.path, 'wal');
    const node = ['node_load1', 'node_memory_MemFree_bytes'];
    const other = ['redis_up', 'mysql_up', 'temperature'];
    const urls = [cloud.writeUrl, site.writeUrl];
    const start = Date.now() - 60_000;
    const totals = new Map(urls.map((url) => [url, { sent: 0, filtered: 0 }]));
    const run = async (fromRound: number, toRound: number): Promise<void> => {
      const h = startSenderHarness(walDir, [], env);
      try {
        for (let r = fromRound; r < toRound; r++) appendEach(h, [...node, ...other], start + r * 1000, r);
        await drained(h, urls, 'both endpoints to deliver everything');
      } finally {
        await h.stop();
      }
      for (const url of urls) {
        const c = h.counts.get(url)!;
        totals.get(url)!.sent += c.sent;
        totals.get(url)!.filtered += c.filtered;
      }
    };
    await run(0, 10);
    await run(10, 20); // a restart: a new process opens the same WAL

    assert.deepEqual(totals.get(cloud.writeUrl), { sent: 20 * node.length, filtered: 20 * other.length }, 'the cloud: node_* sent once each, the rest filtered once each');
    assert.deepEqual(totals.get(site.writeUrl), { sent: 20 * (node.length + other.length), filtered: 0 }, 'the site: everything, once');
    // Samples per family over the run: the families there, then each one's count.
    const families = async (prom: PrometheusServer): Promise<Record<string, string>> => {
      const names = (await prom.query('group by (__name__) (last_over_time({__name__=~".+"}[5m]))')).map((r) => r.metric.__name__!);
      const counts: Record<string, string> = {};
      for (const name of names.sort()) counts[name] = (await prom.query(`count_over_time(${name}[5m])`))[0]!.value[1];
      return counts;
    };
    assert.deepEqual(await families(cloud), Object.fromEntries(node.map((n) => [n, '20'])));
    assert.deepEqual(await families(site), Object.fromEntries([...node, ...other].map((n) => [n, '20'])));
  });
});

describe('named endpoints: upgrade from the unnamed form', () => {
  it('keeps the cursor of a receiver that moves from OUTPOST_REMOTE_WRITE_URL to a named endpoint: no backlog resent, none skipped', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver();
    t.after(() => receiver.close());
    // A second receiver that stays down keeps every segment in the WAL (none is delivered to
    // all), so a cursor lost in the upgrade would show as the old samples sent again.
    const down = await startFaultReceiver({ mode: { kind: 'status', status: 503 } });
    t.after(() => down.close());
    const walDir = join(dir.path, 'wal');
    const start = Date.now() - 60_000;

    // The current release's form: the URL in OUTPOST_REMOTE_WRITE_URL; everything delivered.
    const before = startSenderHarness(walDir, [receiver.url, down.url]);
    for (let r = 0; r < 5; r++) before.appendRound(3, start + r * 1000, (i) => i + r);
    await drained(before, [receiver.url], 'delivery by the unnamed endpoint');
    await before.stop();
    const requestsBefore = receiver.requests.length;
    assert.equal(before.counts.get(receiver.url)!.sent, 15);

    // Samples committed while no sender runs (the gateway down for the upgrade): the backlog.
    const offline = openTestWal(walDir, { clock: systemClock });
    for (let r = 5; r < 8; r++) {
      for (let i = 0; i < 3; i++) offline.append(offline.seriesRef([{ name: '__name__', value: 'm' }, { name: 'i', value: String(i) }]), start + r * 1000, i + r);
    }
    offline.commit();
    offline.close();
    assert.equal(committedSamples(walDir).length, 24, 'the delivered samples are still in the WAL: a lost cursor would send them again');

    const after = startSenderHarness(walDir, [down.url], { OUTPOST_ENDPOINT_SITE_URL: receiver.url });
    t.after(() => after.stop());
    await drained(after, [receiver.url], 'delivery by the named endpoint');
    const resent = receiver.requests.slice(requestsBefore);
    const got = new Map<string, number[]>();
    for (const [series, samples] of delivered({ ...receiver, requests: resent })) got.set(series, samples.map(([ts]) => ts - start));
    assert.deepEqual(Object.fromEntries(got), {
      '__name__=m,i=0': [5000, 6000, 7000], '__name__=m,i=1': [5000, 6000, 7000], '__name__=m,i=2': [5000, 6000, 7000],
    }, 'exactly the backlog: nothing delivered before is sent again, nothing committed since is skipped');
  });
});
