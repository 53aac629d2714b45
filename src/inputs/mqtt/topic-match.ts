/**
 * Matching a received topic against the configured templates (`OUTPOST_MQTT_TOPICS`), with MQTT
 * filter semantics: a literal level matches itself, `+` and `{label}` match exactly one level
 * (which may be empty), a trailing `#` matches the parent level and any number below it, and a
 * wildcard in the first level never matches a topic starting with `$` (MQTT 5, 4.7.2).
 */
import type { TopicTemplate } from '../../config/templates.js';
import type { Label } from '../../model/labels.js';

/** What a template captured from a topic: the `{__name__}` level (null when it has none) and the `{label}` levels. */
export interface TopicMatch {
  readonly template: TopicTemplate;
  readonly name: string | null;
  /** In template order, unsorted and unvalidated; an empty value means the level was empty. */
  readonly labels: Label[];
}

/**
 * Returns the captures of the first template in `templates` that matches `topic`, or null when
 * none does. Walks the topic in place (no `split`), so a non-matching template costs no garbage.
 */
export function matchTopic(templates: readonly TopicTemplate[], topic: string): TopicMatch | null {
  for (const template of templates) {
    const match = matchTemplate(template, topic);
    if (match !== null) return match;
  }
  return null;
}

/** Returns the captures of `template` for `topic`, or null when it does not match. */
export function matchTemplate(template: TopicTemplate, topic: string): TopicMatch | null {
  const levels = template.levels;
  // Wildcards in the first level skip `$SYS/...`-style topics, as the broker's own matching does.
  const dollar = topic.startsWith('$');
  let name: string | null = null;
  let labels: Label[] | null = null;
  // Start of the current topic level; topic.length + 1 once every level is consumed.
  let pos = 0;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.kind === 'hash') {
      if (i === 0 && dollar) return null;
      // `#` is last (the parser guarantees it) and also matches the parent: `a/#` matches `a`.
      return { template, name, labels: labels ?? [] };
    }
    if (pos > topic.length) return null;
    const slash = topic.indexOf('/', pos);
    const end = slash === -1 ? topic.length : slash;
    if (level.kind === 'literal') {
      if (end - pos !== level.value.length || !topic.startsWith(level.value, pos)) return null;
    } else {
      if (i === 0 && dollar) return null;
      if (level.kind === 'capture') {
        const value = topic.slice(pos, end);
        if (level.label === '__name__') name = value;
        else (labels ??= []).push({ name: level.label, value });
      }
    }
    pos = end + 1;
  }
  return pos === topic.length + 1 ? { template, name, labels: labels ?? [] } : null;
}
