/**
 * Named endpoints: `OUTPOST_ENDPOINT_<NAME>_URL` declares one, `OUTPOST_ENDPOINT_<NAME>_<SETTING>`
 * gives it its own value of a sending variable. Which settings exist is read off the variable
 * table (the variables marked `endpoint`, plus ENDPOINT_ONLY_SETTINGS), so a new sending variable
 * becomes a per-endpoint setting by its table entry alone.
 *
 * An endpoint is read with the same code as the unnamed variables, through a view of the
 * environment in which each unnamed variable holds the endpoint's own value or the inherited one
 * (`endpointEnv`). Credentials and the client certificate with its key are inherited whole: an
 * endpoint that sets any of them gets none of the unnamed ones, so a password never reaches a
 * receiver for which the user gave other credentials.
 */
import { REDACTED, redactUrls, urlWithoutUserinfo } from './redact.js';
import type { ConfigError } from './types.js';
import { ENDPOINT_ONLY_SETTINGS, VARIABLES, type EndpointInheritance, type VariableInfo, type VariableName } from './variables.js';

/** The prefix of every named-endpoint variable. */
export const ENDPOINT_PREFIX = 'OUTPOST_ENDPOINT_';

/** The name an unnamed endpoint (the `index`th URL of OUTPOST_REMOTE_WRITE_URL, from 0) is shown by: `remote-write-1`, … */
export function unnamedEndpointName(index: number): string {
  // The hyphen keeps these apart from every named endpoint, whose names are [a-z0-9]+.
  return `remote-write-${index + 1}`;
}

/** The suffix of a sending variable as an endpoint setting: `OUTPOST_REMOTE_WRITE_PASSWORD` → `PASSWORD`, `OUTPOST_QUEUE_CAPACITY` → `QUEUE_CAPACITY`. */
export function settingSuffix(name: VariableName): string {
  return name.replace(/^OUTPOST_(REMOTE_WRITE_)?/, '');
}

const TABLE = Object.entries(VARIABLES) as Array<[VariableName, VariableInfo]>;

/** How a named endpoint inherits each unnamed variable it may set. */
const INHERITANCE: ReadonlyMap<VariableName, EndpointInheritance> = new Map(
  TABLE.flatMap(([name, info]) => (info.endpoint === undefined ? [] : [[name, info.endpoint] as const])),
);

/** The unnamed variables a named endpoint may set for itself, by setting suffix, in table order. */
export const INHERITED_SETTINGS: ReadonlyMap<string, VariableName> = new Map([...INHERITANCE.keys()].map((name) => [settingSuffix(name), name]));

/** Every setting suffix a named endpoint knows. */
export const ENDPOINT_SETTINGS: readonly string[] = ['URL', ...INHERITED_SETTINGS.keys(), 'RELABEL_CONFIG_FILE'];

/** The variable of setting `suffix` of endpoint `name` (upper case). */
export function endpointVariable(name: string, suffix: string): string {
  return `${ENDPOINT_PREFIX}${name}_${suffix}`;
}

/** A named endpoint as declared: its upper-case name and URL text. */
export interface DeclaredEndpoint {
  readonly name: string;
  readonly url: string;
}

/**
 * The endpoints `env` declares (sorted by name) and every misnamed OUTPOST_ENDPOINT_* variable:
 * no `<NAME>_<SETTING>` shape, a name with other characters than A-Z and 0-9, an unknown setting,
 * or a setting for a name without `_URL`.
 */
export function scanEndpointVariables(env: NodeJS.ProcessEnv): { endpoints: DeclaredEndpoint[]; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const settingsOf = new Map<string, string[]>();
  const urls = new Map<string, string>();
  const problem = (variable: string, text: string, exampleVariable: string, example: string): void => {
    errors.push({ variable, problem: text, value: redactUrls(shownValue(variable, env[variable] ?? '')), example, exampleVariable });
  };
  for (const variable of Object.keys(env).filter((v) => v.startsWith(ENDPOINT_PREFIX)).sort()) {
    if (given(env[variable]) === undefined) continue;
    const rest = variable.slice(ENDPOINT_PREFIX.length);
    const cut = rest.indexOf('_');
    const name = cut > 0 ? rest.slice(0, cut) : '';
    const suffix = cut > 0 ? rest.slice(cut + 1) : '';
    if (name === '' || suffix === '') {
      problem(variable, 'is not of the form OUTPOST_ENDPOINT_<NAME>_<SETTING>', endpointVariable('CLOUD', 'URL'), ENDPOINT_ONLY_SETTINGS.URL.example);
      continue;
    }
    if (!/^[A-Z0-9]+$/.test(name)) {
      const why = /[a-z]/.test(name) ? 'has lower-case letters' : 'has characters other than A-Z and 0-9';
      const fixed = name.toUpperCase().replace(/[^A-Z0-9]/g, '');
      problem(variable, `endpoint name "${name}" ${why}; a name is [A-Z0-9]+ (shown lower-case in the endpoint label)`, endpointVariable(fixed === '' ? 'CLOUD' : fixed, suffix), exampleOf(suffix));
      continue;
    }
    if (!ENDPOINT_SETTINGS.includes(suffix)) {
      const guess = closest(suffix, ENDPOINT_SETTINGS);
      problem(variable, `"${suffix}" is not a setting of a named endpoint${guess === null ? '' : ` (did you mean ${guess}?)`}; the settings are ${ENDPOINT_SETTINGS.join(', ')}`,
        endpointVariable(name, guess ?? 'PROTOCOL'), exampleOf(guess ?? 'PROTOCOL'));
      continue;
    }
    if (suffix === 'URL') urls.set(name, given(env[variable])!);
    else settingsOf.set(name, [...(settingsOf.get(name) ?? []), variable]);
  }
  for (const [name, variables] of settingsOf) {
    if (urls.has(name)) continue;
    for (const variable of variables) {
      problem(variable, `is a setting of endpoint ${name}, which has no URL; set ${endpointVariable(name, 'URL')} too, or fix the name`, endpointVariable(name, 'URL'), ENDPOINT_ONLY_SETTINGS.URL.example);
    }
  }
  const endpoints = [...urls].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, url]) => ({ name, url }));
  return { endpoints, errors };
}

/**
 * The environment as endpoint `name` sees it: each unnamed variable it may set holds the
 * endpoint's own value, else the unnamed one (sets inherited whole, see the header), and
 * `variableOf` tells which variable a value came from, for errors.
 */
export function endpointEnv(env: NodeJS.ProcessEnv, name: string): { env: NodeJS.ProcessEnv; variableOf: (base: VariableName) => string } {
  const view: NodeJS.ProcessEnv = { ...env };
  const own = new Set<VariableName>();
  const ownsSet = (set: EndpointInheritance): boolean =>
    [...INHERITED_SETTINGS].some(([suffix, base]) => INHERITANCE.get(base) === set && given(env[endpointVariable(name, suffix)]) !== undefined);
  for (const [suffix, base] of INHERITED_SETTINGS) {
    const set = INHERITANCE.get(base)!;
    const mine = env[endpointVariable(name, suffix)];
    if (set === 'setting' ? given(mine) !== undefined : ownsSet(set)) {
      view[base] = mine;
      own.add(base);
    }
  }
  return {
    env: view,
    // An unset value is named by the endpoint's variable: that is where the user would set it.
    variableOf: (base) => (own.has(base) || given(env[base]) === undefined ? endpointVariable(name, settingSuffix(base)) : base),
  };
}

/** The URL an endpoint's WAL cursor is named by and two endpoints may not share: the URL without credentials. */
export function receiverKey(url: string): string {
  try {
    return urlWithoutUserinfo(url);
  } catch {
    return url; // not a URL: reported by the URL check
  }
}

function given(value: string | undefined): string | undefined {
  const text = value?.trim();
  return text === '' ? undefined : text;
}

function exampleOf(suffix: string): string {
  const base = INHERITED_SETTINGS.get(suffix);
  if (base !== undefined) return VARIABLES[base].example;
  return suffix in ENDPOINT_ONLY_SETTINGS ? ENDPOINT_ONLY_SETTINGS[suffix as keyof typeof ENDPOINT_ONLY_SETTINGS].example : ENDPOINT_ONLY_SETTINGS.URL.example;
}

function shownValue(variable: string, value: string): string {
  return /_(PASSWORD|TOKEN)$/.test(variable) ? REDACTED : value;
}

/** The candidate within three edits of `text`, the nearest; null when none is that near. */
export function closest(text: string, candidates: readonly string[]): string | null {
  let best: { candidate: string; distance: number } | null = null;
  for (const candidate of candidates) {
    const distance = editDistance(text, candidate);
    if (best === null || distance < best.distance) best = { candidate, distance };
  }
  return best !== null && best.distance <= 3 ? best.candidate : null;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
