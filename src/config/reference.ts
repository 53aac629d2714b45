/**
 * The variable reference, made from the table in variables.ts so that it cannot drift from what
 * the program reads: `docs/configuration.md` (written by `npm run docs`, checked by a test) and
 * the list `outpost --help` prints.
 */
import { VARIABLES, type VariableGroup, type VariableInfo } from './variables.js';

const GROUP_TITLES: Record<VariableGroup, string> = {
  process: 'Process',
  storage: 'Storage (the WAL)',
  sending: 'Sending (Prometheus remote_write)',
  inputs: 'Inputs',
};

function byGroup(): Array<[VariableGroup, Array<[string, VariableInfo]>]> {
  const groups = new Map<VariableGroup, Array<[string, VariableInfo]>>();
  for (const [name, info] of Object.entries(VARIABLES) as Array<[string, VariableInfo]>) {
    const list = groups.get(info.group) ?? [];
    list.push([name, info]);
    groups.set(info.group, list);
  }
  return [...groups];
}

/** The whole of `docs/configuration.md`. */
export function renderConfigurationMarkdown(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Made by `npm run docs` from src/config/variables.ts; a test fails when they differ. -->',
    '',
    'Outpost is configured by environment variables only (an env file for systemd or Docker).',
    'Durations use Prometheus syntax (`500ms`, `15s`, `2h`, `7d`); sizes accept `512MiB`, `1GiB`,',
    '`64KiB` or plain bytes. Every `*_PASSWORD` and `*_TOKEN` has a `*_FILE` twin that reads the',
    'secret from a file. `outpost check-config` validates the environment and prints the effective',
    'configuration with secrets redacted; a bad value exits 1 naming the variable, the problem and a',
    'good example. An `OUTPOST_*` variable Outpost does not know is warned about (likely a typo).',
    '',
    'The status API, own metrics, MQTT mapping and delivery rules are in [reference.md](reference.md).',
  ];
  for (const [group, variables] of byGroup()) {
    lines.push('', `## ${GROUP_TITLES[group]}`, '', '| variable | default | example | meaning |', '|---|---|---|---|');
    for (const [name, info] of variables) {
      lines.push(`| \`${name}\` | ${info.default === '' ? 'unset' : `\`${info.default}\``} | \`${info.example}\` | ${info.doc} |`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The variables by group with their defaults, for `outpost --help`. */
export function renderVariableHelp(): string {
  const width = Math.max(...Object.keys(VARIABLES).map((name) => name.length));
  const blocks = byGroup().map(([group, variables]) =>
    [`${GROUP_TITLES[group]}:`, ...variables.map(([name, info]) => `  ${name.padEnd(width)}  ${info.default === '' ? '(unset)' : info.default}`)].join('\n'));
  return blocks.join('\n\n');
}
