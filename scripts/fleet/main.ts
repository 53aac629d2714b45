/**
 * `npm run fleet`: N gateways against one central VictoriaMetrics through a proxy that goes away
 * for an outage and comes back with a tenant limit (see scenario.ts). Prints progress, then one
 * JSON line per collector; writes the per-gateway table to fleet-<collector>.md (or --table-dir).
 *
 *   npm run fleet -- --gateways=50 --series=500 --interval=10 --outage=600 --capacity=3 \
 *                    --down=refuse|unavailable --collector=outpost|vmagent|both --keep
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { VICTORIA_METRICS_BIN } from '../../test/helpers/victoria-metrics.js';
import { VMAGENT_BIN, type Collector } from './gateways.js';
import { runFleet, type GatewayRow } from './scenario.js';

const { values } = parseArgs({
  options: {
    gateways: { type: 'string', default: '50' },
    series: { type: 'string', default: '500' },
    interval: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '60' },
    steady: { type: 'string', default: '60' },
    outage: { type: 'string', default: '600' },
    capacity: { type: 'string', default: '3' },
    burst: { type: 'string', default: '5' },
    down: { type: 'string', default: 'refuse' },
    collector: { type: 'string', default: 'outpost' },
    'table-dir': { type: 'string', default: '.' },
    keep: { type: 'boolean', default: false },
  },
});

const number = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${String(values[name])}`);
  return n;
};
const down = values.down;
if (down !== 'refuse' && down !== 'unavailable') throw new Error(`--down must be refuse or unavailable, not ${down}`);
const collectors: Collector[] = values.collector === 'both' ? ['outpost', 'vmagent'] : [values.collector as Collector];
for (const c of collectors) if (c !== 'outpost' && c !== 'vmagent') throw new Error(`--collector must be outpost, vmagent or both, not ${c}`);
for (const bin of [VICTORIA_METRICS_BIN, ...(collectors.includes('vmagent') ? [VMAGENT_BIN] : [])]) {
  if (!existsSync(bin)) throw new Error(`${bin} is not installed (apt-get install victoria-metrics)`);
}

const work = tempDir('outpost-fleet-');
// Children are killed on exit (gateways.ts, daemon.ts); a signal must become an exit for that.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (!values.keep) work.remove();
    process.exit(130);
  });
}

try {
  for (const collector of collectors) {
    const outage = number('outage');
    const { report, rows } = await runFleet({
      collector,
      gateways: number('gateways'),
      series: number('series'),
      intervalSeconds: number('interval'),
      warmupSeconds: number('warmup'),
      steadySeconds: number('steady'),
      outageSeconds: outage,
      down,
      capacityFactor: number('capacity'),
      burstSeconds: number('burst'),
      // Far beyond the 1.25 × minimum the goal allows, so a slow drain is measured, not cut off.
      drainTimeoutSeconds: Math.max(300, outage * 2),
      settleSeconds: 60,
      dir: join(work.path, collector),
      log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${collector}: ${line}`),
    });
    // The figures first: a table that cannot be written must not cost a run of many minutes.
    console.log(JSON.stringify(report));
    const table = join(values['table-dir'], `fleet-${collector}.md`);
    mkdirSync(values['table-dir'], { recursive: true });
    writeFileSync(table, markdownTable(rows));
    console.log(`per-gateway table: ${table}`);
  }
} finally {
  if (values.keep) console.log(`kept ${work.path}`);
  else work.remove();
}

function markdownTable(rows: GatewayRow[]): string {
  const head = '| gateway | served | delivered | stored | lost | dup (store) | dup (proxy) | out of order | backlog | catch-up s | steady RSS MiB | peak RSS MiB |';
  const line = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const body = rows.map((r) => `| ${r.gateway} | ${r.served} | ${r.delivered} | ${r.stored} | ${r.lost} | ${r.storedDuplicates} | ${r.duplicates} | ${r.outOfOrder} | ${r.backlog} | ${r.catchUpSeconds?.toFixed(1) ?? 'never'} | ${r.steadyRssMiB.toFixed(1)} | ${r.peakRssMiB.toFixed(1)} |`);
  return [head, line, ...body, ''].join('\n');
}
