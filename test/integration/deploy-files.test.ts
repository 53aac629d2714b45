import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MAIN_JS } from '../helpers/outpost-process.js';
import { DEPLOY_DIR, REPO_ROOT, describeRun, run } from '../helpers/deploy.js';
import { renderConfigurationMarkdown } from '../../src/config/reference.js';
import { VARIABLES } from '../../src/config/variables.js';

const ENV_EXAMPLE = join(DEPLOY_DIR, 'outpost.env.example');
const CONFIGURATION_DOC = join(REPO_ROOT, 'docs/configuration.md');


/** `#NAME=value` lines of the example: its defaults, commented out. */
function exampleDefaults(text: string): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const m of text.matchAll(/^#(OUTPOST_[A-Z0-9_]+)=(.*)$/gm)) {
    assert.ok(!defaults.has(m[1]!), `${m[1]} is listed once`);
    defaults.set(m[1]!, m[2]!);
  }
  return defaults;
}

async function checkConfig(env: Record<string, string>): Promise<unknown> {
  const result = await run(process.execPath, [MAIN_JS, 'check-config'], { env: { PATH: process.env.PATH ?? '', ...env } });
  assert.equal(result.code, 0, describeRun(result));
  assert.equal(result.stderr, '', `no warning (unknown or misspelt variable):\n${describeRun(result)}`);
  return JSON.parse(result.stdout);
}

describe('docs/configuration.md', () => {
  it('is what `npm run docs` makes of the variable table (run it after changing a variable)', () => {
    assert.equal(readFileSync(CONFIGURATION_DOC, 'utf8'), renderConfigurationMarkdown());
  });
});

describe('outpost.env.example', () => {
  const example = readFileSync(ENV_EXAMPLE, 'utf8');
  const defaults = exampleDefaults(example);

  it('lists every variable outpost reads, *_FILE twins included', () => {
    const missing = Object.keys(VARIABLES).filter((name) => !defaults.has(name));
    assert.deepEqual(missing, [], 'variables missing from deploy/outpost.env.example');
    const unknown = [...defaults.keys()].filter((name) => !Object.hasOwn(VARIABLES, name));
    assert.deepEqual(unknown, [], 'variables outpost does not read');
  });

  it('documents each variable with a comment above it', () => {
    const lines = example.split('\n');
    lines.forEach((line, i) => {
      if (!/^#OUTPOST_/.test(line)) return;
      let j = i - 1;
      while (j >= 0 && /^#OUTPOST_/.test(lines[j]!)) j--;
      assert.ok(j >= 0 && /^# \S/.test(lines[j]!), `a comment precedes ${line}`);
    });
  });

  it('shows the real defaults: uncommented, check-config accepts them and they change nothing', async () => {
    const uncommented = Object.fromEntries(defaults);
    const effective = await checkConfig(uncommented);
    // The example shows /var/lib/outpost, the data directory the unit and the image set.
    const baseline = await checkConfig({ OUTPOST_DATA_DIR: '/var/lib/outpost' });
    assert.deepEqual(effective, baseline);
  });
});

describe('container and compose files', () => {
  const dockerfile = readFileSync(join(DEPLOY_DIR, 'container/Dockerfile'), 'utf8');
  const compose = parse(readFileSync(join(DEPLOY_DIR, 'compose/compose.yaml'), 'utf8')) as {
    services: Record<string, { image?: string; build?: { context: string; dockerfile: string }; command?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
  };

  it('builds in stages and runs as a non-root user on port 9780 with a readiness healthcheck', () => {
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    assert.ok(stages.length >= 2 && stages.every((s) => /^node:\$\{NODE_VERSION\}-bookworm-slim$/.test(s)), stages.join(' '));
    for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev', 'ENV OUTPOST_HTTP_ADDRESS=0.0.0.0:9780', 'EXPOSE 9780', '/-/ready', 'VOLUME ["/var/lib/outpost"]']) {
      assert.ok(dockerfile.includes(step), `Dockerfile has ${step}`);
    }
    const user = [...dockerfile.matchAll(/^USER (\S+)/gm)].at(-1)?.[1];
    assert.ok(user !== undefined && user !== 'root' && user !== '0', `runs as ${user}`);
  });

  it('wires the demo services to files that exist', () => {
    const services = compose.services;
    assert.deepEqual(Object.keys(services).sort(), ['grafana', 'mosquitto', 'outpost', 'prometheus', 'sensor']);
    assert.ok(services.prometheus!.command!.includes('--web.enable-remote-write-receiver'));
    const env = services.outpost!.environment!;
    assert.equal(env.OUTPOST_REMOTE_WRITE_URL, 'http://prometheus:9090/api/v1/write');
    assert.equal(env.OUTPOST_MQTT_URL, 'mqtt://mosquitto:1883');
    const build = services.outpost!.build!;
    assert.ok(existsSync(join(DEPLOY_DIR, 'compose', build.context, build.dockerfile)), 'the outpost build points at the Dockerfile');
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) assert.ok(existsSync(join(DEPLOY_DIR, 'compose', source)), `${name} mounts ${source}, which exists`);
      }
    }
    for (const variable of Object.keys(env)) assert.match(readFileSync(ENV_EXAMPLE, 'utf8'), new RegExp(`^#${variable}=`, 'm'));
  });
});
