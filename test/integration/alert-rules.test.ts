import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEPLOY_DIR, describeRun, run, toolSkip } from '../helpers/deploy.js';

const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const RULES = join(DEPLOY_DIR, 'prometheus', 'outpost-alerts.yml');
const RULE_TESTS = join(DEPLOY_DIR, 'prometheus', 'outpost-alerts.test.yml');

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
}
interface RuleTestFile {
  tests: Array<{ name?: string; alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

describe('alerting rules', { skip: toolSkip(PROMTOOL) }, () => {
  it('pass promtool check rules', async (t) => {
    const result = await run(PROMTOOL, ['check', 'rules', RULES]);
    for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
    assert.equal(result.code, 0, describeRun(result));
    assert.match(result.stdout, /SUCCESS/, describeRun(result));
  });

  it('pass their promtool unit tests', async (t) => {
    const result = await run(PROMTOOL, ['test', 'rules', RULE_TESTS], { cwd: join(DEPLOY_DIR, 'prometheus') });
    for (const line of (result.stdout + result.stderr).trim().split('\n')) t.diagnostic(line);
    assert.equal(result.code, 0, describeRun(result));
    assert.match(result.stdout, /SUCCESS/, describeRun(result));
  });

  it('each alert is tested both firing and quiet', () => {
    const rules = parse(readFileSync(RULES, 'utf8')) as RuleFile;
    const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as RuleTestFile;
    const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    assert.ok(alerts.length >= 4, `backlog, dropping, disk budget and silence alerts at least: ${alerts.join(', ')}`);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} is shown firing`);
      assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert} is shown staying quiet`);
    }
  });
});
