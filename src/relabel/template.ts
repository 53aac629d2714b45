/**
 * Replacement templates with the rules of Go's `Regexp.ExpandString`, which Prometheus uses for
 * `replacement` and a templated `target_label`: `$1` and `${1}` insert a group by number, `$name`
 * and `${name}` by name, `$$` is a literal `$`. A name is the longest run of letters, digits and
 * `_`, so `$1x` means the group named `1x` (usually none, hence empty): write `${1}x`. A `$` that
 * starts no valid reference stays as text. A template is parsed once, when its rule is compiled.
 */

/** A parsed template: literal text, and capture group numbers to insert (groups that do not exist are already left out). */
export type Template = readonly (string | number)[];

/** Parses `text` against a regex whose groups are named by `groupNames` (index 0 the whole match, as Go's `SubexpNames`). */
export function parseTemplate(text: string, groupNames: readonly string[]): Template {
  const parts: (string | number)[] = [];
  let literal = '';
  let i = 0;
  for (;;) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) break;
    literal += text.slice(i, dollar);
    i = dollar + 1;
    if (text[i] === '$') {
      literal += '$';
      i++;
      continue;
    }
    const ref = REFERENCE.exec(text.slice(i));
    if (ref === null) {
      literal += '$';
      continue;
    }
    i += ref[0].length;
    const group = groupNumber(ref[1] ?? ref[2]!, groupNames);
    if (group === undefined) continue;
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(group);
  }
  literal += text.slice(i);
  if (literal !== '') parts.push(literal);
  return parts;
}

/** Fills `template` from `match`; a group that did not take part in the match inserts nothing. */
export function expandTemplate(template: Template, match: RegExpExecArray): string {
  let out = '';
  for (const part of template) out += typeof part === 'string' ? part : (match[part] ?? '');
  return out;
}

// Go's extract(): `{name}` or a bare name of Unicode letters, decimal digits and `_`.
const REFERENCE = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u;

/**
 * The group a reference names. As in Go, a name is a number only when it is ASCII digits without
 * a leading zero and below 10^9 (`$01` looks up a group *named* `01`); a number past the last
 * group, or a name no group has, refers to nothing.
 */
function groupNumber(name: string, groupNames: readonly string[]): number | undefined {
  if (/^(?:0|[1-9][0-9]{0,8})$/.test(name)) {
    const n = Number(name);
    return n < groupNames.length ? n : undefined;
  }
  const index = groupNames.indexOf(name, 1);
  return index < 0 ? undefined : index;
}
