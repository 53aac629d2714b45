/**
 * Applies compiled relabel rules to one label set with the semantics of Prometheus's
 * `relabel.Process`: rules run in order, each sees the labels as the rules before it left them,
 * and a keep/drop that rejects ends the run. Setting a label to '' deletes it. Pure: nothing is
 * compiled or allocated per rule beyond the match itself.
 */
import { createHash } from 'node:crypto';
import { getLabel, isValidLabelName, type Label, type Labels } from '../model/labels.js';
import type { RelabelRule } from './rules.js';
import { expandTemplate } from './template.js';

/**
 * Returns `labels` relabelled by `rules` — sorted, unique, without empty values — or null when a
 * rule dropped the series. A result without `__name__` is returned as is: the caller decides.
 * When no rule changes anything, `labels` itself is returned.
 */
export function relabel(labels: Labels, rules: readonly RelabelRule[]): Labels | null {
  const builder = new LabelBuilder(labels);
  for (const rule of rules) {
    if (!apply(rule, builder)) return null;
  }
  return builder.labels();
}

function apply(rule: RelabelRule, b: LabelBuilder): boolean {
  const value = rule.sourceLabels.map((name) => b.get(name)).join(rule.separator);
  switch (rule.action) {
    case 'drop':
      return !rule.matcher.test(value);
    case 'keep':
      return rule.matcher.test(value);
    case 'dropequal':
      return b.get(rule.targetLabel) !== value;
    case 'keepequal':
      return b.get(rule.targetLabel) === value;
    case 'replace': {
      const match = rule.matcher.exec(value);
      if (match === null) break; // no match: no change
      const target = expandTemplate(rule.targetTemplate, match);
      // A templated target may expand to something that is no label name; Prometheus skips the rule then.
      if (isValidLabelName(target)) b.set(target, expandTemplate(rule.replacementTemplate, match));
      break;
    }
    case 'lowercase':
      b.set(rule.targetLabel, mapCase(value, 'lower'));
      break;
    case 'uppercase':
      b.set(rule.targetLabel, mapCase(value, 'upper'));
      break;
    case 'hashmod':
      b.set(rule.targetLabel, hashMod(value, rule.modulus));
      break;
    case 'labelmap':
      for (const label of b.snapshot()) {
        const match = rule.matcher.exec(label.name);
        if (match === null) continue;
        // Prometheus would set even an invalid name and then fail the whole scrape; skipping it
        // keeps the series and leaves the source label in place.
        const name = expandTemplate(rule.replacementTemplate, match);
        if (isValidLabelName(name)) b.set(name, label.value);
      }
      break;
    case 'labeldrop':
      for (const label of b.snapshot()) if (rule.matcher.test(label.name)) b.delete(label.name);
      break;
    case 'labelkeep':
      for (const label of b.snapshot()) if (!rule.matcher.test(label.name)) b.delete(label.name);
      break;
  }
  return true;
}

/**
 * The bucket of `value` among `modulus`, exactly as Prometheus computes it: the MD5 of the
 * UTF-8 value, its last 8 bytes read as a big-endian unsigned 64-bit integer, modulo `modulus`
 * (`binary.BigEndian.Uint64(sum[8:]) % modulus`). Being identical matters: gateways that shard
 * with hashmod must agree with Prometheus servers sharding the same series.
 */
function hashMod(value: string, modulus: number): string {
  const sum = createHash('md5').update(value, 'utf8').digest();
  return (sum.readBigUInt64BE(8) % BigInt(modulus)).toString();
}

// Go's strings.ToUpper maps code point by code point with Unicode's simple mappings, never
// lengthening text ("ß" stays "ß"); JavaScript uses the full mappings ("ß" → "SS"). Where the full
// mapping of a code point is longer, Go keeps the code point, except where a simple mapping exists:
// U+0130 "İ" lowercases to "i", and Greek letters with ypogegrammeni uppercase to their titlecase
// form (U+1F80 → U+1F88, U+1FB3 → U+1FBC, …).
const ASCII = /^[\x00-\x7f]*$/;

function mapCase(text: string, to: 'lower' | 'upper'): string {
  if (ASCII.test(text)) return to === 'lower' ? text.toLowerCase() : text.toUpperCase();
  let out = '';
  for (const c of text) {
    const mapped = to === 'lower' ? c.toLowerCase() : c.toUpperCase();
    out += [...mapped].length === 1 ? mapped : simpleFallback(c, to);
  }
  return out;
}

function simpleFallback(c: string, to: 'lower' | 'upper'): string {
  const cp = c.codePointAt(0)!;
  if (to === 'lower') return cp === 0x130 ? 'i' : c;
  if ((cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7)) return String.fromCodePoint(cp + 8);
  if (cp === 0x1fb3 || cp === 0x1fc3 || cp === 0x1ff3) return String.fromCodePoint(cp + 9);
  return c;
}

/**
 * The working copy of a label set while rules run, shaped like Prometheus's `labels.Builder`:
 * the input stays untouched, changes are kept aside. Its iteration order is the builder's too
 * (untouched input labels by name, then changed ones in the order they were set), which decides
 * who wins when a labelmap maps two labels onto one name.
 */
class LabelBuilder {
  private readonly added = new Map<string, string>();
  private readonly deleted = new Set<string>();

  constructor(private readonly base: Labels) {}

  get(name: string): string {
    return this.added.get(name) ?? (this.deleted.has(name) ? '' : (getLabel(this.base, name) ?? ''));
  }

  set(name: string, value: string): void {
    if (value === '') {
      this.delete(name);
      return;
    }
    this.deleted.delete(name);
    this.added.set(name, value);
  }

  delete(name: string): void {
    this.added.delete(name);
    this.deleted.add(name);
  }

  /** The current labels, copied so rules may change the builder while going through them. */
  snapshot(): Label[] {
    const out = this.base.filter((l) => l.value !== '' && !this.deleted.has(l.name) && !this.added.has(l.name));
    for (const [name, value] of this.added) out.push({ name, value });
    return out;
  }

  labels(): Labels {
    if (this.added.size === 0 && this.deleted.size === 0 && this.base.every((l) => l.value !== '')) return this.base;
    return this.snapshot().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
