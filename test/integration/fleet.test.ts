import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dashboardQueries } from '../helpers/grafana-dashboards.js';
import { tempDir } from '../helpers/temp-dir.js';
import { victoriaMetricsSkip } from '../helpers/victoria-metrics.js';
import { runFleet, type FleetReport, type GatewayRow, type RunningFleet } from '../../scripts/fleet/scenario.js';

// The short version of `npm run fleet` (README "Fleet"): ten gateways, a one-minute outage.
const GATEWAYS = 10;
const MiB_BUDGET = 16;

describe('ten gateways after a one-minute central outage, back with a 3× tenant limit', { skip: victoriaMetricsSkip() }, () => {
  let run: { report: FleetReport; rows: GatewayRow[] };
  const panelsWithoutData: string[] = [];

  before(async () => {
    const dir = tempDir('outpost-fleet-');
    try {
      run = await runFleet({
        collector: 'outpost', gateways: GATEWAYS, series: 500, intervalSeconds: 10,
        warmupSeconds: 20, steadySeconds: 30, outageSeconds: 60, down: 'refuse',
        // The settling time makes the herd figures reach past the first minute after the return.
        capacityFactor: 3, burstSeconds: 5, drainTimeoutSeconds: 120, settleSeconds: 45,
        dir: dir.path, log: (line) => console.log(line),
        whileRunning: async (fleet) => {
          panelsWithoutData.push(...await emptyPanels(fleet));
        },
      });
      console.log(JSON.stringify(run.report));
    } finally {
      dir.remove();
    }
  }, { timeout: 300_000 });

  it('loses no sample in any gateway: the store holds every sample served', () => {
    assert.deepEqual(run.rows.filter((r) => r.lost > 0).map((r) => `${r.gateway}: ${r.lost} of ${r.served}`), []);
  });

  it('keeps every series in timestamp order and sends nothing twice beyond the requests the outage cut off', () => {
    assert.equal(run.report.out_of_order, 0);
    // At-least-once: a request the outage cut off after the store took it is sent again, at most
    // one request per shard (4 × 2000 samples by default); a 429 stores nothing, so adds none.
    assert.deepEqual(run.rows.filter((r) => r.duplicates > 4 * 2000).map((r) => `${r.gateway}: ${r.duplicates}`), []);
  });

  // Drain time and fairness are goals of the full run (`npm run fleet`, README "Fleet"): a one-minute
  // outage drains in about 30 s, where they ranged 0.86–1.42 × and 1.58–2.66 × over four runs, so
  // they are measured there, not asserted here.
  it('is refused (429) in at most 25 % of requests in the first minute after the return and 5 % after it', () => {
    const r = run.report;
    assert.ok(r.requests_after_60s > 0, 'the run reaches past the first minute');
    assert.ok(r.throttled_share_first_60s <= 0.25, `first minute: ${r.throttled_share_first_60s} of ${r.requests_first_60s}`);
    assert.ok(r.throttled_share_after_60s <= 0.05, `after it: ${r.throttled_share_after_60s} of ${r.requests_after_60s}`);
  });

  it(`grows no gateway more than ${MiB_BUDGET} MiB over its steady RSS`, () => {
    assert.deepEqual(run.rows.filter((r) => r.peakRssMiB > r.steadyRssMiB + MiB_BUDGET).map((r) => `${r.gateway}: ${r.steadyRssMiB.toFixed(1)} → ${r.peakRssMiB.toFixed(1)} MiB`), []);
  });

  it('answers every fleet dashboard query with data for every gateway', () => {
    assert.deepEqual(panelsWithoutData, []);
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
