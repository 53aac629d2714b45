/**
 * The variable reference, made from the table in variables.ts so that it cannot drift from what
 * the program reads: `docs/configuration.md` (written by `npm run docs`, checked by a test) and
 * the list `outpost --help` prints.
 */
import { ENDPOINT_SETTINGS, INHERITED_SETTINGS } from './endpoints.js';
import { ENDPOINT_ONLY_SETTINGS, VARIABLES, type VariableGroup, type VariableInfo } from './variables.js';

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
    if (group === 'sending') lines.push('', ...namedEndpointsMarkdown());
  }
  return lines.join('\n') + '\n';
}

/** The "Named endpoints" part of the reference: the rules, then every setting and where it inherits from. */
function namedEndpointsMarkdown(): string[] {
  const lines = [
    '### Named endpoints',
    '',
    'Each receiver its own settings: `OUTPOST_ENDPOINT_<NAME>_URL` declares an endpoint called `<NAME>`',
    '(`[A-Z0-9]+`, no underscore; shown lower-case as `endpoint="<name>"` in metrics, logs and the status',
    'API), and `OUTPOST_ENDPOINT_<NAME>_<SETTING>` gives it its own value of a setting. A setting it does',
    'not set is inherited from the unnamed variable; credentials (user name, password, bearer token and',
    'their `_FILE` twins) and the client certificate with its key are inherited as a whole, so an',
    'endpoint that sets any of them gets none of the unnamed ones. The URLs of `OUTPOST_REMOTE_WRITE_URL`',
    'stay endpoints with the unnamed settings, named `remote-write-1`, `remote-write-2`, … in the order',
    'listed. `OUTPOST_REMOTE_WRITE_MAX_BYTES_PER_SECOND` caps all endpoints together (shared fairly by',
    'those behind) and an endpoint\'s own `_MAX_BYTES_PER_SECOND` caps it alone; both hold.',
    '',
    'An endpoint\'s WAL cursor is named by its URL without credentials, as before named endpoints: a',
    'receiver moved from `OUTPOST_REMOTE_WRITE_URL` to a named endpoint with the same URL keeps its',
    'position (nothing resent, nothing skipped), and renaming an endpoint keeps it too. A setting for a',
    'name without `_URL`, an unknown setting, a name with other characters than `A-Z0-9`, or two',
    'endpoints with one URL (credentials aside) is a config error naming the variable.',
    '',
    '| setting `OUTPOST_ENDPOINT_<NAME>_…` | default | meaning |',
    '|---|---|---|',
  ];
  for (const suffix of ENDPOINT_SETTINGS) {
    const inherited = INHERITED_SETTINGS.get(suffix);
    if (inherited !== undefined) {
      const info: VariableInfo = VARIABLES[inherited];
      const set = info.endpoint === 'setting' ? '' : ` (inherited with the other ${info.endpoint} settings)`;
      lines.push(`| \`${suffix}\` | \`${inherited}\`${set} | ${info.doc} |`);
    } else {
      lines.push(`| \`${suffix}\` | unset | ${ENDPOINT_ONLY_SETTINGS[suffix as keyof typeof ENDPOINT_ONLY_SETTINGS].doc} |`);
    }
  }
  return lines;
}

/** The variables by group with their defaults, for `outpost --help`. */
export function renderVariableHelp(): string {
  const width = Math.max(...Object.keys(VARIABLES).map((name) => name.length));
  const blocks = byGroup().map(([group, variables]) =>
    [`${GROUP_TITLES[group]}:`, ...variables.map(([name, info]) => `  ${name.padEnd(width)}  ${info.default === '' ? '(unset)' : info.default}`)].join('\n'));
  const named = `Named endpoints: OUTPOST_ENDPOINT_<NAME>_URL, and OUTPOST_ENDPOINT_<NAME>_<SETTING> for\n  ${ENDPOINT_SETTINGS.filter((s) => s !== 'URL').join(', ')}\n  (unset settings inherit the unnamed variables)`;
  return [...blocks, named].join('\n\n');
}
