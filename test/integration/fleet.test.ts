import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dashboardQueries } from '../helpers/grafana-dashboards.js';
import { tempDir } from '../helpers/temp-dir.js';
import { victoriaMetricsSkip } from '../helpers/victoria-metrics.js';
import { runFleet, type RunningFleet } from '../../scripts/fleet/scenario.js';

// The short version of `npm run fleet` (README "Fleet"): ten gateways, a one-minute outage.
const GATEWAYS = 10;
const MiB_BUDGET = 16;

describe('a fleet after a central outage', { skip: victoriaMetricsSkip() }, () => {
  it('ten gateways catch up a one-minute outage against a 3× tenant limit: nothing lost, in order, fair, few 429s, flat memory, and every fleet dashboard panel has data for every gateway', { timeout: 300_000 }, async (t) => {
    const dir = tempDir('outpost-fleet-');
    t.after(dir.remove);
    const panelsWithoutData: string[] = [];
    const { report, rows } = await runFleet({
      collector: 'outpost', gateways: GATEWAYS, series: 500, intervalSeconds: 10,
      warmupSeconds: 20, steadySeconds: 30, outageSeconds: 60, down: 'refuse',
      capacityFactor: 3, burstSeconds: 5, drainTimeoutSeconds: 120, settleSeconds: 20,
      dir: dir.path, log: (line) => t.diagnostic(line),
      whileRunning: async (fleet) => {
        panelsWithoutData.push(...await emptyPanels(fleet));
      },
    });
    t.diagnostic(JSON.stringify(report));

    assert.deepEqual(rows.filter((r) => r.lost > 0).map((r) => `${r.gateway}: ${r.lost} of ${r.served}`), [], 'no gateway lost samples');
    assert.equal(report.out_of_order, 0, 'every series arrived in timestamp order');
    assert.equal(rows.reduce((n, r) => n + r.storedDuplicates, 0), 0, 'a 429 stores nothing, so nothing is stored twice');
    assert.ok(report.drain_ratio !== null && report.drain_ratio <= 1.25, `the fleet drained within 1.25 × the minimum ${report.drain_min_s} s: ${report.drain_s} s`);
    assert.ok(report.fairness_ratio !== null && report.fairness_ratio <= 1.5, `the slowest catch-up is within 1.5 × the median: ${report.catch_up_max_s} s vs ${report.catch_up_median_s} s`);
    assert.ok(report.throttled_share_first_60s <= 0.25, `429s in the first minute: ${report.throttled_share_first_60s}`);
    assert.ok(report.throttled_share_after_60s <= 0.05, `429s after the first minute: ${report.throttled_share_after_60s}`);
    assert.deepEqual(rows.filter((r) => r.peakRssMiB > r.steadyRssMiB + MiB_BUDGET).map((r) => `${r.gateway}: ${r.steadyRssMiB.toFixed(1)} → ${r.peakRssMiB.toFixed(1)} MiB`), [], `no gateway grew more than ${MiB_BUDGET} MiB over its steady RSS`);
    assert.deepEqual(panelsWithoutData, [], 'every fleet dashboard query has data for every gateway');
  });
});

/** The fleet dashboard's queries whose answer from the store lacks data, or lacks a gateway when it is per gateway. */
async function emptyPanels(fleet: RunningFleet): Promise<string[]> {
  const names = fleet.gateways.map((g) => g.name);
  const problems: string[] = [];
  for (const q of dashboardQueries('fleet-overview.json', { site: 'fleet' })) {
    const res = await fetch(`${fleet.storeUrl}/api/v1/query?query=${encodeURIComponent(q.expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string> }> } };
    if (body.status !== 'success') {
      problems.push(`${q.where}: refused: ${body.error}`);
      continue;
    }
    const result = body.data!.result;
    const perGateway = result.some((r) => r.metric.gateway !== undefined);
    const seen = new Set(result.map((r) => r.metric.gateway));
    if (result.length === 0) problems.push(`${q.where}: no data`);
    else if (perGateway && names.some((n) => !seen.has(n))) problems.push(`${q.where}: no data for ${names.filter((n) => !seen.has(n)).join(', ')}`);
  }
  return problems;
}
