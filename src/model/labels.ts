/** One label pair. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

/** A label set sorted by name with unique names; `__name__` is the metric name. */
export type Labels = ReadonlyArray<Label>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** True when `name` is a valid Prometheus label name. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/**
 * Returns a sorted copy of `labels` with empty values removed (Prometheus treats an empty value
 * as an absent label), or an error string when a name is invalid, repeated, or a value is not
 * well-formed UTF-16 (a lone surrogate cannot become UTF-8 on the wire).
 */
export function normalizeLabels(labels: Iterable<Label>): Labels | string {
  const out: Label[] = [];
  for (const label of labels) {
    if (!isValidLabelName(label.name)) return `invalid label name "${label.name}"`;
    if (!label.value.isWellFormed()) return `label "${label.name}" has a value that is not valid UTF-8`;
    if (label.value !== '') out.push(label);
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.name === out[i - 1]!.name) return `label "${out[i]!.name}" appears twice`;
  }
  return out;
}

/** Returns the value of label `name`, or undefined. */
export function getLabel(labels: Labels, name: string): string | undefined {
  for (const label of labels) if (label.name === name) return label.value;
  return undefined;
}

// NUL cannot occur in a label name, and in values only by mistake: as a separator it keeps the
// key unambiguous (the encoding below escapes it anyway).
const SEP = '\u0000';

/**
 * The canonical identity of a sorted label set: equal sets give equal keys. It is also the
 * stored form in the WAL's series table, so `parseLabelsKey` must invert it exactly.
 */
export function labelsKey(labels: Labels): string {
  const parts: string[] = [];
  for (const { name, value } of labels) parts.push(name, value.includes(SEP) ? value.replaceAll(SEP, '\\0') : value);
  // Joined, not built with `+=`: that makes a rope, and a rope kept as a key (the scrape's WAL
  // keys, the WAL's series registry) keeps a 32-byte node beside its flattened text.
  return parts.join(SEP);
}

/** Inverts `labelsKey` (a value that held NUL comes back with `\0` in its place). */
export function parseLabelsKey(key: string): Labels {
  if (key === '') return [];
  const parts = key.split(SEP);
  const out: Label[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ name: parts[i]!, value: parts[i + 1]! });
  return out;
}

/** Renders labels as `name{a="b",...}` for logs and errors. */
export function formatLabels(labels: Labels): string {
  const name = getLabel(labels, '__name__') ?? '';
  const rest = labels.filter((l) => l.name !== '__name__').map((l) => `${l.name}=${JSON.stringify(l.value)}`);
  return `${name}{${rest.join(',')}}`;
}
