/**
 * Reads a relabel config file (`OUTPOST_RELABEL_CONFIG_FILE`). Two shapes are accepted, so that a
 * block can be pasted from a Prometheus config with or without its key: a top-level YAML list of
 * rules, or a mapping whose only key is `relabel_configs` holding that list. `${NAME}` in a
 * rule's `replacement` or `target_label` is filled in from the environment here, once (the rule
 * that tells it from a capture group reference is in env-references.ts). The only I/O of the
 * relabel module.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { expandRulesEnv, type EnvValues } from './env-references.js';
import { compileRelabelConfigs, type RelabelCompileResult } from './rules.js';

// The YAML parser is loaded on first use: most gateways have no relabel file, and it costs memory.
let yaml: typeof Yaml | undefined;
const loadYaml = (): typeof Yaml => (yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml);

const KEY = 'relabel_configs';

/**
 * Reads, parses and compiles the rules in the YAML file at `path`; never throws. Problems come
 * back as messages: an unreadable file, YAML syntax errors (with line and column), a wrong
 * shape, every unset environment variable a rule names and every rule problem, each naming the
 * rule by position and line. `env` holds the variables `${NAME}` expands from.
 */
export function loadRelabelFile(path: string, env: EnvValues): RelabelCompileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return { ok: false, errors: [`cannot read relabel config file ${path} (${code})`] };
  }
  const { isMap, isNode, isSeq, LineCounter, parseDocument, visit } = loadYaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => `YAML syntax error at ${lineOf(e.pos[0])}: ${e.message}`) };
  }

  // Go's YAML decoder gives a text field the scalar as written: `replacement: 1.0` is "1.0" and
  // `modulus: 18446744073709551615` keeps every digit. JavaScript would make those numbers, so
  // numbers and booleans go back to their source text; rules.ts reads modulus from that text.
  visit(doc, {
    Scalar(_, node) {
      if (['number', 'boolean', 'bigint'].includes(typeof node.value) && node.source !== undefined) node.value = node.source;
    },
  });
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    return { ok: false, errors: [`YAML error: ${(error as Error).message}`] }; // e.g. an alias to no anchor
  }

  const list = isMap(doc.contents) ? doc.contents.get(KEY, true) : doc.contents;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const extra = Object.keys(raw).filter((key) => key !== KEY);
    if (extra.length > 0 || !(KEY in raw)) {
      const found = extra.length > 0 ? `found ${extra.map((k) => JSON.stringify(k)).join(', ')}` : `${KEY} is missing`;
      return { ok: false, errors: [`expected a list of rules, or a mapping with the single key ${KEY} holding one; ${found}`] };
    }
    raw = (raw as Record<string, unknown>)[KEY];
  }
  const ruleLines = isSeq(list) ? list.items.map((item) => lineCounter.linePos(isNode(item) && item.range ? item.range[0] : 0).line) : undefined;
  const expanded = expandRulesEnv(raw, env, ruleLines);
  const compiled = compileRelabelConfigs(expanded.raw, ruleLines === undefined ? {} : { ruleLines });
  if (expanded.errors.length === 0) return compiled;
  return { ok: false, errors: [...expanded.errors, ...(compiled.ok ? [] : compiled.errors)] };
}
