/**
 * Prometheus `relabel_config` rules: their types and their validation. Compiling checks every
 * rule the way Prometheus does when it loads a config (`model/relabel/relabel.go`, `Validate`),
 * so a file accepted here is accepted there, and compiles each regex and template once so that
 * relabelling a series never compiles anything. Unlike Prometheus, which stops at the first
 * problem, every problem of every rule is reported, each naming its rule and field.
 */
import { isValidLabelName } from '../model/labels.js';
import { compileGoRegexp } from './re2.js';
import { parseTemplate, type Template } from './template.js';

const ACTIONS = [
  'replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase',
] as const;

/** What a rule does; the names and meanings of Prometheus. */
export type RelabelAction = (typeof ACTIONS)[number];

/** One compiled rule: the fields as Prometheus defines them (defaults filled in), and their compiled forms. */
export interface RelabelRule {
  readonly action: RelabelAction;
  /** Labels whose values, joined by `separator`, are the rule's input; a missing label counts as ''. */
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  /** The regex as written; it must match the whole input (Prometheus anchors it). */
  readonly regex: string;
  /** For hashmod: the number of buckets; 0 for other actions. */
  readonly modulus: number;
  readonly targetLabel: string;
  readonly replacement: string;
  /** `regex` in Go syntax, compiled and anchored. Never global, so sharing and freezing it is safe. */
  readonly matcher: RegExp;
  /** `targetLabel` as a template (replace expands it per match). */
  readonly targetTemplate: Template;
  /** `replacement` as a template (replace and labelmap expand it per match). */
  readonly replacementTemplate: Template;
}

/** The outcome of compiling: every rule, or every problem found in any of them. */
export type RelabelCompileResult = { ok: true; rules: RelabelRule[] } | { ok: false; errors: string[] };

/** Where the rules came from, to make messages point at them. */
export interface RelabelSourceInfo {
  /** The line of each rule in its file, by index; messages then say `line N`. */
  readonly ruleLines?: readonly number[];
}

// Prometheus's defaults (DefaultRelabelConfig).
const DEFAULTS = { separator: ';', regex: '(.*)', replacement: '$1', action: 'replace' } as const;
const FIELDS = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action'] as const;
type Field = (typeof FIELDS)[number];

// Prometheus's relabelTarget, `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`, rewritten to accept the
// same strings without nested repetition: JavaScript backtracks, and the original would take
// exponential time on a long name that fails at its end.
const LABEL_TEMPLATE = /^(?:[a-zA-Z_]|\$\w|\$\{\w+\})(?:\w|\$\w|\$\{\w+\})*$/;

/**
 * Validates and compiles a parsed `relabel_configs` list. Absent fields take Prometheus's
 * defaults; a field set to null takes its zero value (as Go's YAML decoder does): '' for text, []
 * for `source_labels`, 0 for `modulus`. Field names must be exact; unknown ones are errors. Each
 * message names the rule by its position counting from 1, e.g.
 * `rule 2 (action replace): regex "(": invalid regular expression: missing closing )`.
 */
export function compileRelabelConfigs(raw: unknown, source: RelabelSourceInfo = {}): RelabelCompileResult {
  if (raw === null || raw === undefined) return { ok: true, rules: [] };
  if (!Array.isArray(raw)) return { ok: false, errors: [`relabel configs must be a list of rules, got ${describe(raw)}`] };
  const rules: RelabelRule[] = [];
  const errors: string[] = [];
  raw.forEach((item: unknown, index) => {
    const result = compileRule(item, index, source.ruleLines?.[index]);
    if (Array.isArray(result)) errors.push(...result);
    else rules.push(result);
  });
  return errors.length === 0 ? { ok: true, rules } : { ok: false, errors };
}

function compileRule(raw: unknown, index: number, line: number | undefined): RelabelRule | string[] {
  const ruleName = (action: string): string => {
    const about = [...(action === '' ? [] : [`action ${action}`]), ...(line === undefined ? [] : [`line ${line}`])];
    return about.length === 0 ? `rule ${index + 1}` : `rule ${index + 1} (${about.join(', ')})`;
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return [`${ruleName('')}: expected a mapping of fields such as source_labels and action, got ${describe(raw)}`];
  }
  const fields = raw as Partial<Record<string, unknown>>;
  // Prometheus reads the action case-insensitively.
  const actionText = fields.action === undefined ? DEFAULTS.action : typeof fields.action === 'string' ? fields.action.toLowerCase() : '';
  const name = ruleName(actionText);
  const errors: string[] = [];
  const problem = (text: string): void => void errors.push(`${name}: ${text}`);

  for (const key of Object.keys(fields)) {
    if (!(FIELDS as readonly string[]).includes(key)) problem(`unknown field "${key}"; the fields are ${FIELDS.join(', ')}`);
  }
  const text = (field: Field, fallback: string): string => {
    const value = fields[field];
    if (value === undefined) return fallback;
    if (value === null) return '';
    if (typeof value === 'string') return value;
    problem(`${field} must be text, got ${describe(value)}`);
    return fallback;
  };
  const separator = text('separator', DEFAULTS.separator);
  const regex = text('regex', DEFAULTS.regex);
  const targetLabel = text('target_label', '');
  const replacement = text('replacement', DEFAULTS.replacement);
  const sourceLabels = readSourceLabels(fields.source_labels, problem);
  const modulus = readModulus(fields.modulus, problem);

  let action: RelabelAction = DEFAULTS.action;
  if ((ACTIONS as readonly string[]).includes(actionText)) action = actionText as RelabelAction;
  else if (actionText === '') problem(`action must be one of ${ACTIONS.join(', ')}, got ${describe(fields.action)}`);
  else problem(`action ${JSON.stringify(fields.action)} is not one of ${ACTIONS.join(', ')}`);

  const compiled = compileGoRegexp(regex);
  if (!compiled.ok) problem(`regex ${JSON.stringify(regex)}: invalid regular expression: ${compiled.error}`);
  // The per-action rules read the fields above; after a field problem they would only repeat it.
  if (!compiled.ok || errors.length > 0) return errors;

  // A field counts as set when present, even as null; but a null source_labels is Go's nil list,
  // which the labeldrop/labelkeep check accepts.
  const set = new Set(FIELDS.filter((field) => fields[field] !== undefined && !(field === 'source_labels' && fields[field] === null)));
  const rule = { action, sourceLabels, separator, regex, modulus, targetLabel, replacement };
  for (const text of actionProblems(rule, set)) problem(text);
  if (errors.length > 0) return errors;
  return {
    ...rule,
    matcher: compiled.value.regexp,
    targetTemplate: parseTemplate(targetLabel, compiled.value.groupNames),
    replacementTemplate: parseTemplate(replacement, compiled.value.groupNames),
  };
}

type RuleFields = Pick<RelabelRule, 'action' | 'sourceLabels' | 'separator' | 'regex' | 'modulus' | 'targetLabel' | 'replacement'>;

/** Prometheus's per-action rules (`Config.Validate`), each message naming the field to fix. */
function actionProblems(rule: RuleFields, set: ReadonlySet<Field>): string[] {
  const { action, targetLabel, replacement } = rule;
  const problems: string[] = [];
  const requireTarget = (): void => {
    if (targetLabel === '') problems.push(`target_label is required for action ${action}`);
    else if (!isValidLabelName(targetLabel)) problems.push(`target_label "${targetLabel}" is not a valid label name (it must match [a-zA-Z_][a-zA-Z0-9_]*)`);
  };
  // These actions ignore the other fields; Prometheus refuses a rule that sets one, as a likely mistake.
  const onlyFields = (allowed: string, checks: Array<[Field, boolean]>): void => {
    const extra = checks.filter(([, isSet]) => isSet).map(([field]) => field);
    if (extra.length > 0) problems.push(`action ${action} takes only ${allowed}; remove ${extra.join(', ')}`);
  };
  const changed = (): Array<[Field, boolean]> => [
    ['modulus', rule.modulus !== 0], ['separator', rule.separator !== DEFAULTS.separator], ['replacement', replacement !== DEFAULTS.replacement],
  ];
  switch (action) {
    case 'replace':
      if (targetLabel === '') problems.push('target_label is required for action replace');
      else if (targetLabel.includes('$') ? !LABEL_TEMPLATE.test(targetLabel) : !isValidLabelName(targetLabel)) {
        problems.push(`target_label "${targetLabel}" is neither a valid label name nor a template of one such as "\${1}_total"`);
      }
      break;
    case 'hashmod':
      requireTarget();
      if (rule.modulus === 0) problems.push('modulus is required for action hashmod and must be at least 1');
      break;
    case 'lowercase':
    case 'uppercase':
      requireTarget();
      if (replacement !== DEFAULTS.replacement) problems.push(`replacement cannot be set for action ${action}`);
      break;
    case 'keepequal':
    case 'dropequal':
      requireTarget();
      onlyFields('source_labels and target_label', [['regex', set.has('regex')], ...changed()]);
      break;
    case 'labelmap':
      if (!LABEL_TEMPLATE.test(replacement)) {
        problems.push(`replacement "${replacement}" is neither a valid label name nor a template of one such as "\${1}" for action labelmap`);
      }
      break;
    case 'labeldrop':
    case 'labelkeep':
      onlyFields('regex', [['source_labels', set.has('source_labels')], ['target_label', targetLabel !== ''], ...changed()]);
      break;
    case 'keep':
    case 'drop':
      break;
  }
  return problems;
}

function readSourceLabels(value: unknown, problem: (text: string) => void): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problem(`source_labels must be a list of label names such as [job, instance], got ${describe(value)}`);
    return [];
  }
  for (const name of value) {
    if (typeof name !== 'string' || !isValidLabelName(name)) problem(`source_labels: ${describe(name)} is not a valid label name`);
  }
  return value as string[];
}

function readModulus(value: unknown, problem: (text: string) => void): number {
  if (value === undefined || value === null) return 0;
  // From YAML it arrives as the text written (see load.ts), so a huge number is not silently rounded.
  const n = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : typeof value === 'number' ? value : NaN;
  if (Number.isSafeInteger(n) && n >= 0) return n;
  problem(`modulus must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${describe(value)}`);
  return 0;
}

/** Names a parsed YAML value for a message. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}
