/**
 * Environment values in relabel rules: `${NAME}` in a rule's `replacement` or `target_label` is
 * replaced, when the file is loaded, by the value of the environment variable NAME, so that one
 * file serves every gateway (`replacement: ${HOSTNAME}`, as Alloy users write it).
 *
 * Prometheus reads `${name}` in those fields as a capture group reference, so the rule that tells
 * the two apart has to be exact. `${NAME}` comes from the environment when NAME
 *   - is an environment variable name, `[A-Za-z_][A-Za-z0-9_]*` (so never `${1}`: numbers are
 *     always groups), and
 *   - is not the name of a capture group of the rule's own regex (`(?P<NAME>…)` wins, as in
 *     Prometheus).
 * Everything else keeps its Prometheus meaning: `$1`, `${1}`, `$name`, `${group}`, and `$$` for a
 * literal `$`, so `$${HOSTNAME}` is the text `${HOSTNAME}`. Only the braced form expands: `$NAME`
 * stays a group reference. This takes nothing useful away: in Prometheus a reference to a group
 * the regex does not have always expands to nothing. The value is inserted literally (a `$` in it
 * is not a reference); an unset variable is an error, a set but empty one expands to nothing.
 */
import { compileGoRegexp } from './re2.js';

/** Variables to expand from; the process environment is one. */
export type EnvValues = Readonly<Record<string, string | undefined>>;

/** The text with every environment reference replaced, or the unset variables it names (each once). */
export type EnvExpansion = { ok: true; text: string } | { ok: false; missing: string[] };

// `$$` is matched first so that the `${` of `$${NAME}` is never taken for a reference.
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Expands the environment references in the `replacement` and `target_label` of each rule of a
 * parsed relabel file (other fields and shapes pass through unchanged, for the compiler to judge).
 * Each unset variable is a message naming the rule by position and, when known, line.
 */
export function expandRulesEnv(raw: unknown, env: EnvValues, ruleLines: readonly number[] = []): { raw: unknown; errors: string[] } {
  if (!Array.isArray(raw)) return { raw, errors: [] };
  const errors: string[] = [];
  const rules = raw.map((rule: unknown, index) => {
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return rule;
    const fields = { ...(rule as Record<string, unknown>) };
    // An absent or null regex ((.*) or '') has no named groups. A regex that does not compile has
    // unknown ones: its fields stay as written, and the compiler reports the regex.
    const regex = typeof fields.regex === 'string' ? compileGoRegexp(fields.regex) : { ok: true as const, value: { groupNames: [] } };
    if (!regex.ok) return fields;
    for (const field of ['target_label', 'replacement']) {
      const text = fields[field];
      if (typeof text !== 'string') continue;
      const result = expandEnvReferences(text, regex.value.groupNames, env);
      if (result.ok) {
        fields[field] = result.text;
        continue;
      }
      const where = ruleLines[index] === undefined ? `rule ${index + 1}` : `rule ${index + 1} (line ${ruleLines[index]})`;
      const names = result.missing.join(', ');
      const which = result.missing.length === 1 ? `environment variable ${names}, which is not set` : `environment variables ${names}, which are not set`;
      errors.push(`${where}: ${field} ${JSON.stringify(text)} names ${which}`);
    }
    return fields;
  });
  return { raw: rules, errors };
}

/**
 * Replaces the environment references of `text` (see the header) from `env`. `groupNames` are
 * the capture group names of the rule's regex (Go's `SubexpNames`); references to those are left
 * for the template. A `$` in a value is doubled, so the template step reads it as a literal `$`.
 */
export function expandEnvReferences(text: string, groupNames: readonly string[], env: EnvValues): EnvExpansion {
  const missing: string[] = [];
  const expanded = text.replace(REFERENCE, (whole, name: string | undefined) => {
    if (name === undefined || groupNames.includes(name)) return whole;
    const value = env[name];
    if (value === undefined) {
      if (!missing.includes(name)) missing.push(name);
      return whole;
    }
    return value.replaceAll('$', () => '$$');
  });
  return missing.length === 0 ? { ok: true, text: expanded } : { ok: false, missing };
}
