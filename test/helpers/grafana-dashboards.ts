/**
 * The Grafana dashboards of deploy/grafana as data, and their queries as the Prometheus data
 * source would send them, for the tests that run those queries against a real store.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY_DIR } from './deploy.js';

export interface Target { refId: string; expr: string; datasource?: { uid?: string } }
export interface Panel { id: number; type: string; title: string; datasource?: { uid?: string }; targets?: Target[]; panels?: Panel[] }
export interface Variable { name: string; type: string; query?: string | { query: string } }
export interface Dashboard { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: Variable[] } }

/** Reads deploy/grafana/`file`. */
export function loadDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(join(DEPLOY_DIR, 'grafana', file), 'utf8')) as Dashboard;
}

/** Every panel, those inside rows included. */
export function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** The query the store gets for a Grafana expression with the dashboard's variables set to `values` (Grafana's own intervals preset). */
export function substitute(expr: string, values: Record<string, string>): string {
  const all: Record<string, string> = { __rate_interval: '1m', __interval: '1m', __range: '1h', ...values };
  const out = expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => all[braced ?? bare ?? ''] ?? whole);
  assert.doesNotMatch(out, /\$/, `every variable of ${expr} has a test value`);
  return out;
}

/** label_values(selector, label) as the instant query Grafana's Prometheus data source runs. */
export function variableQuery(query: string, values: Record<string, string>): { expr: string; label: string } {
  const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
  assert.ok(m, `a label_values() variable: ${query}`);
  return { expr: `group by (${m[2]}) (${substitute(m[1]!, values)})`, label: m[2]! };
}

/** Every panel target and query variable of `file`, variables set to `values`. */
export function dashboardQueries(file: string, values: Record<string, string>): Array<{ where: string; expr: string; label?: string }> {
  const d = loadDashboard(file);
  const queries: Array<{ where: string; expr: string; label?: string }> = [];
  for (const p of allPanels(d.panels)) {
    for (const target of p.targets ?? []) queries.push({ where: `${file} "${p.title}" ${target.refId}`, expr: substitute(target.expr, values) });
  }
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    queries.push({ where: `${file} variable ${v.name}`, ...variableQuery(typeof v.query === 'string' ? v.query : v.query!.query, values) });
  }
  return queries;
}
