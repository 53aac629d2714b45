/**
 * The whole-site recipe (deploy/examples/hybrid-site) end to end, all real and on loopback:
 * redis-server + redis_exporter, MariaDB + mysqld_exporter (its own least-privilege account),
 * mosquitto with a publisher, two Prometheus 2.42 receivers, and Outpost run as a process with the
 * recipe's variables. The recipe's files are read, not copied: the test only puts in what this
 * machine decides (ports, receivers, data dir, host name) and shortens the intervals.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEPLOY_DIR, describeRun, run } from '../helpers/deploy.js';
import { createExporterAccount, mariadbSkip, startMariadb, startMysqldExporter } from '../helpers/mariadb.js';
import { mosquittoPub, mosquittoSkip, startMosquitto } from '../helpers/mosquitto.js';
import { MAIN_JS, startOutpostProcess, waitForStatus, type OutpostProcess } from '../helpers/outpost-process.js';
import { prometheusSkip, startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';
import { startRecordingProxy } from '../helpers/recording-proxy.js';
import { redisSkip, startRedis, startRedisExporter } from '../helpers/redis.js';
import { tempDir } from '../helpers/temp-dir.js';

const RECIPE_DIR = join(DEPLOY_DIR, 'examples/hybrid-site');
const RECIPE_ENV = join(RECIPE_DIR, 'outpost.env');
const RECIPE_RELABEL = join(RECIPE_DIR, 'relabel.yml');
/** The variant with a cloud and a site endpoint: replaces the recipe's OUTPOST_REMOTE_WRITE_URL. */
const VARIANT_ENV = join(RECIPE_DIR, 'named-endpoints.env');
const VARIANT_RELABEL = join(RECIPE_DIR, 'cloud-relabel.yml');
const CLOUD_TOKEN = 'cloud-token-e2e';
/** The host name given to Outpost; not this machine's, so a `host` label can only come from the environment. */
const HOST = 'gw-e2e-7';
const OUTAGE_MS = 60_000;
/** The bound on the live receiver's lag while the other is down and catching up. */
const MAX_LAG_S = 5;

/** `NAME=value` lines of an env file (the form systemd's EnvironmentFile and docker --env-file read); comments and blanks skipped. */
function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    assert.ok(m !== null, `${path}: not a NAME=value line: ${line}`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

/**
 * The recipe with the variant's endpoints instead of its OUTPOST_REMOTE_WRITE_URL, and this
 * machine's paths for the files the variant names (the cloud's relabel file and token file).
 */
function variantEnv(recipe: Record<string, string>, tokenFile: string): Record<string, string> {
  const { OUTPOST_REMOTE_WRITE_URL: _, ...rest } = recipe;
  const variant = readEnvFile(VARIANT_ENV);
  assert.ok(variant.OUTPOST_ENDPOINT_CLOUD_BEARER_TOKEN_FILE !== undefined && variant.OUTPOST_ENDPOINT_CLOUD_RELABEL_CONFIG_FILE !== undefined);
  return { ...rest, ...variant, OUTPOST_ENDPOINT_CLOUD_BEARER_TOKEN_FILE: tokenFile, OUTPOST_ENDPOINT_CLOUD_RELABEL_CONFIG_FILE: VARIANT_RELABEL };
}

/** The labels of `OUTPOST_EXTERNAL_LABELS` (`a=b,c=d`). */
function externalLabels(env: Record<string, string>): Array<[string, string]> {
  return env.OUTPOST_EXTERNAL_LABELS!.split(',').map((pair) => pair.split('=') as [string, string]);
}

/** Replaces each `127.0.0.1:<port>` of the recipe with the port of the service started here; an unknown port is an error. */
function substitutePorts(value: string, ports: ReadonlyMap<number, number>): string {
  return value.replace(/127\.0\.0\.1:(\d+)/g, (whole, port: string) => {
    const actual = ports.get(Number(port));
    assert.ok(actual !== undefined, `the recipe uses ${whole}, which the test does not start`);
    return `127.0.0.1:${actual}`;
  });
}

describe('hybrid-site recipe: configuration', () => {
  const recipe = readEnvFile(RECIPE_ENV);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...recipe, OUTPOST_RELABEL_CONFIG_FILE: RECIPE_RELABEL };

  it('passes check-config as written, apart from the relabel file\'s path', async () => {
    const result = await run(process.execPath, [MAIN_JS, 'check-config'], { env });
    assert.equal(result.code, 0, describeRun(result));
    assert.equal(result.stderr, '', describeRun(result));
  });

  it('passes check-config in its named-endpoints variant, apart from the paths of its files', async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const token = join(dir.path, 'cloud-token');
    writeFileSync(token, `${CLOUD_TOKEN}\n`);
    const result = await run(process.execPath, [MAIN_JS, 'check-config'], { env: { ...variantEnv(env, token) } });
    assert.equal(result.code, 0, describeRun(result));
    assert.equal(result.stderr, '', describeRun(result));
    const printed = JSON.parse(result.stdout) as { remoteWrite: { endpoints: Array<{ name: string; auth: object; headers: object; relabelRules: number }> } };
    assert.deepEqual(printed.remoteWrite.endpoints.map((e) => [e.name, e.auth, e.headers, e.relabelRules > 0]), [
      ['cloud', { kind: 'bearer', token: '<redacted>' }, { 'X-Scope-OrgID': 'farm7' }, true],
      ['site', { kind: 'none' }, {}, false],
    ]);
    assert.ok(!result.stdout.includes(CLOUD_TOKEN));
  });

  it('refuses to start without HOSTNAME, naming the variable and the relabel rule that uses it', async () => {
    const { HOSTNAME: _, ...withoutHost } = env;
    const result = await run(process.execPath, [MAIN_JS, 'check-config'], { env: withoutHost });
    assert.equal(result.code, 1, describeRun(result));
    assert.match(result.stderr + result.stdout,
      /OUTPOST_RELABEL_CONFIG_FILE: rule 1 \(line \d+\): replacement "\$\{HOSTNAME\}" names environment variable HOSTNAME, which is not set/);
  });
});

type PromResult = Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }>;

/** A PromQL query evaluated at `timeS` (epoch seconds); range vector selectors give raw samples. */
async function queryAt(prom: PrometheusServer, expr: string, timeS: number): Promise<PromResult> {
  const res = await fetch(`http://127.0.0.1:${prom.port}/api/v1/query?query=${encodeURIComponent(expr)}&time=${timeS}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: PromResult } };
  if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
  return body.data.result;
}

interface EndpointStatus { url: string; state: string; backlogSamples: number; backlogAgeSeconds: number | null }

const skip = prometheusSkip() || mosquittoSkip() || redisSkip() || mariadbSkip();

describe('hybrid-site recipe: a whole site end to end', { skip, timeout: 240_000 }, () => {
  const recipe = readEnvFile(RECIPE_ENV);
  const dir = tempDir('outpost-site-');
  const cleanups: Array<() => unknown> = [];
  let receivers: [PrometheusServer, PrometheusServer];
  let outpost: OutpostProcess;
  let outpostReadyAt: number;
  let redisExporterPort: number;
  let mysqlExporterPort: number;
  /** The recipe's variables with the ports of the services started here. */
  let siteEnv: Record<string, string>;
  /** Shorter intervals for the test; see `before`. */
  const TIMINGS = {
    OUTPOST_HOST_METRICS_INTERVAL: '1s', OUTPOST_SCRAPE_INTERVAL: '1s', OUTPOST_WAL_COMMIT_INTERVAL: '500ms',
    OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '500ms', OUTPOST_QUEUE_MAX_BACKOFF: '2s',
  };
  let publishing = true;
  let publishError: unknown = null;

  before(async () => {
    const sub = (name: string): string => {
      const path = join(dir.path, name);
      mkdirSync(path);
      return path;
    };
    const started = async <T extends { stop(): Promise<void> }>(service: Promise<T>): Promise<T> => {
      const s = await service;
      cleanups.push(() => s.stop());
      return s;
    };
    const redis = await started(startRedis(sub('redis')));
    const redisExporter = await started(startRedisExporter(redis.url));
    const db = await started(startMariadb(sub('mariadb')));
    const mysqlExporter = await started(startMysqldExporter(db, await createExporterAccount(db), sub('mysqld-exporter')));
    const mosquitto = await started(startMosquitto({ dataDir: sub('mosquitto') }));
    receivers = [await started(startPrometheus(sub('prom-a'))), await started(startPrometheus(sub('prom-b')))];
    redisExporterPort = Number(new URL(redisExporter.url).port);
    mysqlExporterPort = Number(new URL(mysqlExporter.url).port);

    // The recipe's loopback services, by their default ports, on the ports they got here.
    const ports = new Map([[9121, redisExporterPort], [9104, mysqlExporterPort], [1883, mosquitto.port]]);
    const env = Object.fromEntries(Object.entries(recipe).map(([name, value]) => [name, substitutePorts(value, ports)]));
    siteEnv = env;
    assert.equal(recipe.OUTPOST_REMOTE_WRITE_URL!.split(',').length, 2, 'the recipe writes to two receivers');
    assert.ok(recipe.HOSTNAME !== undefined && recipe.OUTPOST_RELABEL_CONFIG_FILE !== undefined);
    outpost = await startOutpostProcess({
      ...env,
      HOSTNAME: HOST,
      OUTPOST_REMOTE_WRITE_URL: receivers.map((r) => r.writeUrl).join(','),
      OUTPOST_RELABEL_CONFIG_FILE: RECIPE_RELABEL,
      OUTPOST_DATA_DIR: sub('outpost'),
      // Timings only. Every input each second, so a minute holds plenty to check. A steady
      // sample waits for its commit, then for an idle sender's next look (one commit interval),
      // then for its batch: about 7 s with the defaults (1s, 1s, 5s), over the 5 s lag bound
      // before any outage; 500 ms each keep the steady lag near 1.5 s. A dead receiver is retried
      // at least every 2 s, so catching up starts soon after its restart.
      ...TIMINGS,
    });
    cleanups.push(async () => {
      outpost.child.kill('SIGTERM');
      const timer = setTimeout(() => outpost.child.kill('SIGKILL'), 15_000);
      await outpost.exited;
      clearTimeout(timer);
    });
    await waitForStatus(`http://127.0.0.1:${outpost.port}/-/ready`, 200, 20_000);
    outpostReadyAt = Date.now();

    // The site's sensors: a number on a plain topic and a zigbee2mqtt JSON object, every second.
    const publisher = (async () => {
      while (publishing) {
        await Promise.all([
          mosquittoPub(mosquitto.port, 'sensors/kitchen/temperature', '21.5'),
          mosquittoPub(mosquitto.port, 'zigbee2mqtt/porch', '{"humidity":61,"battery":{"level":97},"linkquality":120}'),
        ]);
        await sleep(1000);
      }
    })().catch((error: unknown) => void (publishError = error));
    cleanups.push(async () => {
      publishing = false;
      await publisher;
    });
  });

  after(async () => {
    // Outpost and the publisher first (they were started last), the services after them.
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    dir.remove();
  });

  /** What is still missing from `prom`, one line per expectation; [] once the whole site is there. */
  async function siteProblems(prom: PrometheusServer): Promise<string[]> {
    const problems: string[] = [];
    const expect = async (expr: string, check: (result: PromResult) => boolean, what: string): Promise<void> => {
      const result = await queryAt(prom, expr, Date.now() / 1000);
      if (!check(result)) problems.push(`${expr}: expected ${what}, got ${JSON.stringify(result).slice(0, 300)}`);
    };
    const one = (value: string) => (r: PromResult) => r.length === 1 && r[0]!.value![1] === value;
    const some = (r: PromResult) => r.length > 0;
    const none = (r: PromResult) => r.length === 0;
    await expect(`up{job="redis",instance="${HOST}:${redisExporterPort}"}`, one('1'), 'one series at 1 (instance rewritten by the recipe)');
    await expect('redis_up{job="redis"}', one('1'), 'one series at 1');
    await expect(`up{job="mysql",instance="${HOST}:${mysqlExporterPort}"}`, one('1'), 'one series at 1 (instance rewritten by the recipe)');
    await expect('mysql_up{job="mysql"}', one('1'), 'one series at 1');
    await expect('mysql_exporter_last_scrape_error{job="mysql"}', one('0'), 'no scrape error: the exporter\'s grants are enough');
    for (const family of ['node_cpu_seconds_total', 'node_memory_MemTotal_bytes', 'node_load1', 'node_boot_time_seconds', 'node_time_seconds']) {
      await expect(family, some, 'host metrics');
    }
    await expect('temperature{room="kitchen"}', one('21.5'), 'the sensor reading');
    await expect('humidity{device="porch"}', one('61'), 'the zigbee2mqtt reading');
    await expect('battery_level{device="porch"}', one('97'), 'the zigbee2mqtt reading');
    await expect('count(last_over_time({__name__=~".+"}[1h])) > 200', some, 'hundreds of series');
    // Every series the receiver ever got (stale ones too) carries the labels; the names of any that do not are listed.
    const lacking = (matcher: string) => `group by (__name__) (last_over_time({__name__=~".+",${matcher}}[1h]))`;
    await expect(lacking(`host!="${HOST}"`), none, `host="${HOST}" on every series`);
    for (const [name, value] of externalLabels(recipe)) await expect(lacking(`${name}!="${value}"`), none, `${name}="${value}" on every series`);
    await expect('group by (__name__) (last_over_time({__name__=~"(go|process|promhttp)_.*"}[1h]))', none, 'the exporters\' runtime metrics dropped by the recipe');
    return problems;
  }

  it('delivers host, Redis, MySQL and sensor series to both receivers, each with the host and external labels', async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const problems = [...(await siteProblems(receivers[0])).map((p) => `A: ${p}`), ...(await siteProblems(receivers[1])).map((p) => `B: ${p}`)];
      if (problems.length === 0) break;
      if (Date.now() > deadline) assert.fail(`${problems.join('\n')}\npublisher: ${String(publishError)}\n--- outpost\n${outpost.output().slice(-3000)}`);
      await sleep(1000);
    }
  });

  it('refills a receiver stopped for a minute with everything it missed, while the other never lags more than 5 s', async (t) => {
    const [live, down] = receivers;
    const statusUrl = `http://127.0.0.1:${outpost.port}/api/v1/status`;
    const endpoint = async (url: string): Promise<EndpointStatus> => {
      const doc = (await (await fetch(statusUrl)).json()) as { endpoints: EndpointStatus[] };
      return doc.endpoints.find((e) => e.url === url)!;
    };
    // The live receiver's lag, as Outpost sees it (age of its oldest unacknowledged sample) and as
    // the receiver shows it (age of the newest sample of a series scraped every second).
    let maxStatusLag = 0;
    let maxReceiverLag = 0;
    const measureLag = async (): Promise<void> => {
      maxStatusLag = Math.max(maxStatusLag, (await endpoint(live.writeUrl)).backlogAgeSeconds ?? 0);
      const [newest] = await live.query('timestamp(up{job="redis"})');
      assert.ok(newest !== undefined, 'the live receiver has up{job="redis"}');
      maxReceiverLag = Math.max(maxReceiverLag, Date.now() / 1000 - Number(newest!.value[1]));
    };

    const downDir = join(dir.path, 'prom-b');
    // The comparison window starts 5 s before the stop: Outpost must have been collecting by then.
    await sleep(outpostReadyAt + 10_000 - Date.now());
    await down.stop();
    const stoppedAt = Date.now();
    let downDuringOutage: EndpointStatus | undefined;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      await measureLag();
      downDuringOutage = await endpoint(down.writeUrl);
      await sleep(500);
    }
    const restarted = await startPrometheus(downDir, down.port);
    cleanups.push(() => restarted.stop());
    receivers[1] = restarted;
    const restartedAt = Date.now();
    assert.ok(downDuringOutage!.backlogSamples > 10_000, `the stopped receiver's samples wait in the WAL: ${JSON.stringify(downDuringOutage)}`);
    assert.equal(downDuringOutage!.state, 'offline-buffering');

    // Caught up: nothing older than a few seconds is waiting for it any more.
    const caughtUpBy = Date.now() + 60_000;
    for (;;) {
      await measureLag();
      const status = await endpoint(restarted.writeUrl);
      if (status.backlogAgeSeconds !== null && status.backlogAgeSeconds < 3) break;
      assert.ok(Date.now() < caughtUpBy, `the restarted receiver did not catch up within 60 s: ${JSON.stringify(status)}`);
      await sleep(500);
    }
    const caughtUpAfterS = (Date.now() - restartedAt) / 1000;
    assert.ok(maxStatusLag <= MAX_LAG_S, `the live endpoint's oldest unacknowledged sample reached ${maxStatusLag.toFixed(1)} s`);
    assert.ok(maxReceiverLag <= MAX_LAG_S, `the live receiver's newest up{job="redis"} was ${maxReceiverLag.toFixed(1)} s old`);

    // The outage window, from a little before the stop to the restart: every series has the same
    // samples (times and values) on both receivers.
    await sleep(restartedAt + (MAX_LAG_S + 1) * 1000 - Date.now()); // both have all of it by now
    const atS = restartedAt / 1000;
    const windowS = Math.ceil((restartedAt - stoppedAt) / 1000) + 5;
    const samples = async (prom: PrometheusServer): Promise<Map<string, Array<[number, string]>>> => new Map(
      (await queryAt(prom, `{__name__=~".+"}[${windowS}s]`, atS)).map((r) => [JSON.stringify(r.metric), r.values!]),
    );
    const [liveSamples, refilledSamples] = [await samples(live), await samples(restarted)];
    assert.ok(liveSamples.size > 200, `series in the window: ${liveSamples.size}`);
    const differing = [...new Set([...liveSamples.keys(), ...refilledSamples.keys()])]
      .filter((series) => JSON.stringify(refilledSamples.get(series)) !== JSON.stringify(liveSamples.get(series)))
      .map((series) => `${series}: live ${liveSamples.get(series)?.length ?? 'no'} samples, refilled ${refilledSamples.get(series)?.length ?? 'no'}`);
    assert.deepEqual(differing.slice(0, 10), [], `${differing.length} of ${liveSamples.size} series differ over the ${windowS} s window`);
    const total = [...liveSamples.values()].reduce((sum, values) => sum + values.length, 0);

    // A series scraped every second has a sample every second across the outage: no gap.
    const upKey = [...refilledSamples.keys()].find((key) => {
      const metric = JSON.parse(key) as Record<string, string>;
      return metric.__name__ === 'up' && metric.job === 'redis';
    });
    // The window's edges count as samples: the series must also cover its start and its end.
    const times = [atS - windowS, ...refilledSamples.get(upKey!)!.map(([time]) => time), atS];
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    const longestGap = Math.max(...gaps);
    const gapAt = times[gaps.indexOf(longestGap)]! - times[0]!;
    assert.ok(longestGap < 1.5, `up{job="redis"}: ${times.length - 2} samples in ${windowS} s, longest gap ${longestGap.toFixed(3)} s, ${gapAt.toFixed(1)} s into the window (outage from ${(stoppedAt / 1000 - times[0]!).toFixed(1)} s)`);
    t.diagnostic(`${liveSamples.size} series, ${total} samples in the window; caught up ${caughtUpAfterS.toFixed(1)} s after the restart; live lag at most ${maxStatusLag.toFixed(1)} s (status), ${maxReceiverLag.toFixed(1)} s (receiver)`);
  });
  it('named-endpoints variant: the cloud gets only its token and tenant and only host and sensor series, the site everything and no credentials', async (t) => {
    const dir2 = tempDir('outpost-site-variant-');
    t.after(dir2.remove);
    const sub = (name: string): string => {
      const path = join(dir2.path, name);
      mkdirSync(path);
      return path;
    };
    const token = join(dir2.path, 'cloud-token');
    writeFileSync(token, `${CLOUD_TOKEN}\n`);
    const [cloudProm, siteProm] = [await startPrometheus(sub('cloud')), await startPrometheus(sub('site'))];
    t.after(() => Promise.all([cloudProm.stop(), siteProm.stop()]));
    // The cloud's gateway refuses a request without the token and the tenant, as Mimir's does.
    const cloud = await startRecordingProxy(cloudProm.writeUrl, { authorization: `Bearer ${CLOUD_TOKEN}`, 'x-scope-orgid': 'farm7' });
    const site = await startRecordingProxy(siteProm.writeUrl);
    t.after(() => Promise.all([cloud.close(), site.close()]));
    const variant = await startOutpostProcess({
      ...variantEnv(siteEnv, token),
      HOSTNAME: HOST,
      OUTPOST_ENDPOINT_CLOUD_URL: cloud.url,
      OUTPOST_ENDPOINT_SITE_URL: site.url,
      OUTPOST_RELABEL_CONFIG_FILE: RECIPE_RELABEL,
      OUTPOST_DATA_DIR: sub('outpost'),
      // Its own MQTT session: the default id is made from the machine's host name, the other Outpost's too.
      OUTPOST_MQTT_CLIENT_ID: 'outpost-variant-e2e',
      ...TIMINGS,
    });
    t.after(async () => {
      variant.child.kill('SIGTERM');
      const timer = setTimeout(() => variant.child.kill('SIGKILL'), 15_000);
      await variant.exited;
      clearTimeout(timer);
    });
    await waitForStatus(`http://127.0.0.1:${variant.port}/-/ready`, 200, 20_000);

    const cloudProblems = async (): Promise<string[]> => {
      const problems: string[] = [];
      const expect = async (expr: string, ok: (r: PromResult) => boolean, what: string): Promise<void> => {
        const result = await queryAt(cloudProm, expr, Date.now() / 1000);
        if (!ok(result)) problems.push(`${expr}: expected ${what}, got ${JSON.stringify(result).slice(0, 300)}`);
      };
      await expect('node_load1', (r) => r.length === 1, 'the host metrics');
      await expect('temperature{room="kitchen"}', (r) => r.length === 1 && r[0]!.value![1] === '21.5', 'the sensor reading');
      await expect('battery_level{device="porch"}', (r) => r.length === 1, 'the zigbee2mqtt reading');
      await expect('group by (__name__) (last_over_time({__name__=~"(redis|mysql|up|scrape|outpost|prometheus)_?.*"}[1h]))', (r) => r.length === 0, 'no exporter or own series (cloud-relabel.yml)');
      await expect('count(last_over_time({__tmp_cloud!=""}[1h]))', (r) => r.length === 0, 'no helper label');
      return problems;
    };
    const deadline = Date.now() + 60_000;
    for (;;) {
      const problems = [...(await cloudProblems()).map((p) => `cloud: ${p}`), ...(await siteProblems(siteProm)).map((p) => `site: ${p}`)];
      if (problems.length === 0) break;
      if (Date.now() > deadline) assert.fail(`${problems.join('\n')}\n--- outpost\n${variant.output().slice(-3000)}`);
      await sleep(1000);
    }
    assert.ok(cloud.headers.length > 0 && site.headers.length > 0);
    assert.deepEqual([...new Set(cloud.headers.map((h) => `${h.authorization} ${h['x-scope-orgid']}`))], [`Bearer ${CLOUD_TOKEN} farm7`], 'every cloud request had its token and tenant');
    assert.deepEqual([...new Set(site.headers.map((h) => `${h.authorization} ${h['x-scope-orgid']}`))], ['undefined undefined'], 'the site never got the cloud\'s token or tenant');
    const metrics = await (await fetch(`http://127.0.0.1:${variant.port}/metrics`)).text();
    assert.match(metrics, /^outpost_samples_filtered_total\{url="[^"]+",endpoint="cloud"\} [1-9]/m, 'the samples kept from the cloud are counted');
    assert.match(metrics, /^outpost_samples_filtered_total\{url="[^"]+",endpoint="site"\} 0$/m);
  });
});
