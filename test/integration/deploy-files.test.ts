import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { MAIN_JS } from '../helpers/outpost-process.js';
import { DEPLOY_DIR, REPO_ROOT, describeRun, run } from '../helpers/deploy.js';

const ENV_EXAMPLE = join(DEPLOY_DIR, 'outpost.env.example');
// CONTRACT.md lives beside the checkout (../shared), locally and on CI.
const CONTRACT = resolve(REPO_ROOT, '../shared/CONTRACT.md');
const ENV_TS = join(REPO_ROOT, 'src/config/env.ts');

/**
 * The variables of CONTRACT.md's tables. A first cell like "`OUTPOST_MQTT_USERNAME` / `_PASSWORD`
 * / `_CLIENT_ID`" names siblings by suffix: a suffix replaces the base's last word, or as many
 * last words as it has when both end alike (`OUTPOST_REMOTE_WRITE_CA_FILE` / `_CERT_FILE`,
 * `OUTPOST_QUEUE_MIN_SHARDS` / `_MAX_SHARDS`). Every *_PASSWORD and *_TOKEN adds its *_FILE twin.
 */
function contractVariables(markdown: string): string[] {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    const cell = /^\|\s*(`OUTPOST_[^|]*)\|/.exec(line)?.[1];
    if (cell === undefined) continue;
    const tokens = [...cell.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const base = tokens[0]!;
    names.add(base);
    const baseWords = base.split('_');
    for (const suffix of tokens.slice(1)) {
      const words = suffix.slice(1).split('_');
      const replaced = words.length > 1 && words.at(-1) === baseWords.at(-1) ? words.length : 1;
      names.add([...baseWords.slice(0, baseWords.length - replaced), ...words].join('_'));
    }
  }
  for (const name of [...names]) if (/_(PASSWORD|TOKEN)$/.test(name)) names.add(`${name}_FILE`);
  return [...names].sort();
}

/** The keys of the VARIABLES table in src/config/env.ts: every variable the program reads. */
function sourceVariables(source: string): string[] {
  return [...source.matchAll(/^\s+(OUTPOST_[A-Z0-9_]+): \{ default:/gm)].map((m) => m[1]!).sort();
}

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

describe('outpost.env.example', () => {
  const example = readFileSync(ENV_EXAMPLE, 'utf8');
  const defaults = exampleDefaults(example);

  it('lists every variable of CONTRACT.md and of src/config/env.ts, *_FILE twins included', (t) => {
    const expected = new Set<string>(sourceVariables(readFileSync(ENV_TS, 'utf8')));
    assert.ok(expected.size > 40, `read the variable table of ${ENV_TS}`);
    if (existsSync(CONTRACT)) {
      const fromContract = contractVariables(readFileSync(CONTRACT, 'utf8'));
      assert.ok(fromContract.length > 40, `read the variable tables of ${CONTRACT}`);
      for (const name of fromContract) expected.add(name);
    } else {
      t.diagnostic(`${CONTRACT} not found: checked against src/config/env.ts only`);
    }
    const missing = [...expected].filter((name) => !defaults.has(name));
    assert.deepEqual(missing, [], 'variables missing from deploy/outpost.env.example');
  });

  it('reads the contract table shorthand as the variables it names', () => {
    const names = contractVariables([
      '| `OUTPOST_REMOTE_WRITE_USERNAME` / `_PASSWORD` | empty | HTTP basic auth |',
      '| `OUTPOST_REMOTE_WRITE_CA_FILE` / `_CERT_FILE` / `_KEY_FILE` | empty | TLS |',
      '| `OUTPOST_QUEUE_MIN_SHARDS` / `_MAX_SHARDS` | `1` / `4` | |',
      '| `OUTPOST_MQTT_USERNAME` / `_PASSWORD` / `_CLIENT_ID` / `_CA_FILE` | | |',
    ].join('\n'));
    assert.deepEqual(names, [
      'OUTPOST_MQTT_CA_FILE', 'OUTPOST_MQTT_CLIENT_ID', 'OUTPOST_MQTT_PASSWORD', 'OUTPOST_MQTT_PASSWORD_FILE', 'OUTPOST_MQTT_USERNAME',
      'OUTPOST_QUEUE_MAX_SHARDS', 'OUTPOST_QUEUE_MIN_SHARDS',
      'OUTPOST_REMOTE_WRITE_CA_FILE', 'OUTPOST_REMOTE_WRITE_CERT_FILE', 'OUTPOST_REMOTE_WRITE_KEY_FILE',
      'OUTPOST_REMOTE_WRITE_PASSWORD', 'OUTPOST_REMOTE_WRITE_PASSWORD_FILE', 'OUTPOST_REMOTE_WRITE_USERNAME',
    ]);
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
