import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { allPanels, dashboardQueries, loadDashboard as load, variableQuery } from '../helpers/grafana-dashboards.js';
import { startOutpostProcess, waitForStatus } from '../helpers/outpost-process.js';
import { prometheusSkip, startPrometheus } from '../helpers/prometheus.js';
import { tempDir } from '../helpers/temp-dir.js';

const DASHBOARDS = ['fleet-overview.json', 'gateway-detail.json'];
const SITE = 'lab';
const GATEWAY = 'gw-test';
const VALUES = { site: SITE, gateway: GATEWAY };

/** Families only some hardware has (docs/reference.md: "where the hardware has them"). */
const HARDWARE_FAMILIES = ['node_thermal_zone_temp', 'node_hwmon_temp_celsius'];

describe('Grafana dashboards', { skip: prometheusSkip() }, () => {
  it('are dashboards of the Prometheus data source variable, every panel with targets', () => {
    for (const file of DASHBOARDS) {
      const d = load(file);
      assert.ok(d.schemaVersion >= 36, `${file}: schemaVersion ${d.schemaVersion}`);
      assert.ok(d.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'), `${file}: datasource variable`);
      const panels = allPanels(d.panels).filter((p) => p.type !== 'row');
      assert.ok(panels.length >= 6, `${file}: ${panels.length} panels`);
      for (const p of panels) {
        assert.equal(p.datasource?.uid, '${datasource}', `${file} "${p.title}" uses the datasource variable`);
        assert.ok((p.targets ?? []).length > 0, `${file} "${p.title}" has targets`);
        const refs = p.targets!.map((t) => t.refId);
        assert.equal(new Set(refs).size, refs.length, `${file} "${p.title}" refIds are unique`);
      }
    }
    const ids = allPanels(load('gateway-detail.json').panels).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  });

  it('every panel query and variable returns data from a Prometheus fed by a running Outpost', { timeout: 180_000 }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const prometheus = await startPrometheus(dir.path);
    t.after(() => prometheus.stop());
    const outpost = await startOutpostProcess({
      OUTPOST_DATA_DIR: join(dir.path, 'outpost'),
      OUTPOST_REMOTE_WRITE_URL: prometheus.writeUrl,
      OUTPOST_EXTERNAL_LABELS: `site=${SITE},gateway=${GATEWAY}`,
      OUTPOST_HOST_METRICS_INTERVAL: '1s',
      OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '1s',
      OUTPOST_LOG_LEVEL: 'warn',
    });
    t.after(async () => {
      if (outpost.child.exitCode === null && outpost.child.signalCode === null) outpost.child.kill('SIGKILL');
      await outpost.exited;
    });
    await waitForStatus(`http://127.0.0.1:${outpost.port}/-/ready`, 200);

    const base = `http://127.0.0.1:${prometheus.port}`;
    const query = async (expr: string): Promise<Array<{ metric: Record<string, string> }>> => {
      const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string> }> } };
      assert.equal(body.status, 'success', `Prometheus refuses ${expr}: ${body.error}`);
      return body.data!.result;
    };

    const queries = DASHBOARDS.flatMap((file) => dashboardQueries(file, VALUES));

    // Temperature sensors exist only on some hardware; where the host has none, their panels
    // are empty by design (their queries were still accepted). The host input writes every
    // family in the same round, so once node_load1 arrived an absent family is really absent.
    const absentHardware = async (): Promise<string[]> => {
      if ((await query(`node_load1{site="${SITE}"}`)).length === 0) return [];
      const absent: string[] = [];
      for (const family of HARDWARE_FAMILIES) if ((await query(`count(${family})`)).length === 0) absent.push(family);
      return absent;
    };
    const hardwareOnly = (q: { expr: string }, absent: string[]): boolean => {
      const families = HARDWARE_FAMILIES.filter((f) => q.expr.includes(f));
      return families.length > 0 && families.every((f) => absent.includes(f));
    };

    // Own metrics are written every 15 s: rates need two of them, and counters such as
    // prometheus_remote_storage_bytes_total exist only from the first delivery on.
    const started = Date.now();
    const pending = new Set(queries);
    let absent: string[] = [];
    for (;;) {
      for (const q of [...pending]) {
        const result = await query(q.expr);
        if (result.length > 0 && (q.label === undefined || result.some((r) => r.metric[q.label!] !== undefined))) pending.delete(q);
      }
      absent = await absentHardware();
      if ([...pending].every((q) => hardwareOnly(q, absent)) || Date.now() - started > 120_000) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const empty = [...pending].filter((q) => {
      if (!hardwareOnly(q, absent)) return true;
      t.diagnostic(`no ${HARDWARE_FAMILIES.filter((f) => q.expr.includes(f)).join('/')} on this host: ${q.where} is empty`);
      return false;
    });
    t.diagnostic(`${queries.length} queries checked, ${queries.length - pending.size} returned data after ${Math.round((Date.now() - started) / 1000)} s`);
    assert.deepEqual(empty.map((q) => `${q.where}: ${q.expr}`), [], `queries without data; outpost output:\n${outpost.output().slice(-3000)}`);

    // The variables take the values the gateway was labelled with.
    assert.deepEqual((await query(variableQuery('label_values(outpost_build_info{job="outpost"}, gateway)', VALUES).expr)).map((r) => r.metric.gateway), [GATEWAY]);

    outpost.child.kill('SIGTERM');
    assert.equal(await outpost.exited, 0, outpost.output());
  });
});
