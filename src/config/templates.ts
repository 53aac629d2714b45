/**
 * MQTT topic templates (`OUTPOST_MQTT_TOPICS`): an MQTT topic filter in which a level may be
 * `{label}`, matching one level like `+` and capturing it as a label; `{__name__}` captures the
 * metric name. Parsed once at startup; the MQTT input subscribes to `filter` and matches topics
 * against `levels`.
 */
import { isValidLabelName } from '../model/labels.js';
import type { ParseResult } from './parse.js';

/** One level of a template: literal text, `+`, a trailing `#`, or a `{label}` capture. */
export type TopicLevel =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'plus' }
  | { readonly kind: 'hash' }
  | { readonly kind: 'capture'; readonly label: string };

/** A parsed template: the text as written, its levels, and the MQTT subscription filter (captures as `+`). */
export interface TopicTemplate {
  readonly raw: string;
  readonly levels: readonly TopicLevel[];
  readonly filter: string;
}

/** Parses one template such as `sensors/{room}/{__name__}` or `zigbee2mqtt/#`. */
export function parseTopicTemplate(raw: string): ParseResult<TopicTemplate> {
  if (raw === '') return { ok: false, error: 'a template is empty' };
  if (raw.includes('\u0000')) return { ok: false, error: `template "${raw}" contains a NUL character` };
  const parts = raw.split('/');
  const levels: TopicLevel[] = [];
  const captured = new Set<string>();
  for (const [i, part] of parts.entries()) {
    const problem = (message: string): ParseResult<TopicTemplate> => ({ ok: false, error: `template "${raw}": ${message}` });
    if (part === '+') levels.push({ kind: 'plus' });
    else if (part === '#') {
      if (i !== parts.length - 1) return problem('# is allowed only as the last level');
      levels.push({ kind: 'hash' });
    } else if (part.startsWith('{') && part.endsWith('}')) {
      const label = part.slice(1, -1);
      if (!isValidLabelName(label)) return problem(`{${label}} is not a valid label name (it must match [a-zA-Z_][a-zA-Z0-9_]*)`);
      if (captured.has(label)) return problem(`{${label}} is captured twice`);
      captured.add(label);
      levels.push({ kind: 'capture', label });
    } else if (/[+#{}]/.test(part)) {
      return problem(`level "${part}" mixes text with +, # or braces; a wildcard or {label} must be a whole level`);
    } else levels.push({ kind: 'literal', value: part });
  }
  const filter = levels.map((l) => (l.kind === 'literal' ? l.value : l.kind === 'hash' ? '#' : '+')).join('/');
  return { ok: true, value: { raw, levels, filter } };
}

/**
 * Parses `;`-separated templates (blanks around each are ignored). At least one is required, and
 * two templates may not subscribe to the same filter (a topic would match both ambiguously).
 */
export function parseTopicTemplates(text: string): ParseResult<TopicTemplate[]> {
  const templates: TopicTemplate[] = [];
  const errors: string[] = [];
  const byFilter = new Map<string, string>();
  for (const raw of text.split(';').map((s) => s.trim()).filter((s) => s !== '')) {
    const result = parseTopicTemplate(raw);
    if (!result.ok) {
      errors.push(result.error);
      continue;
    }
    const other = byFilter.get(result.value.filter);
    if (other !== undefined) errors.push(`templates "${other}" and "${raw}" both subscribe to ${result.value.filter}`);
    byFilter.set(result.value.filter, raw);
    templates.push(result.value);
  }
  if (errors.length > 0) return { ok: false, error: errors.join('; ') };
  if (templates.length === 0) return { ok: false, error: 'no topic template given' };
  return { ok: true, value: templates };
}
