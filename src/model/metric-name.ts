/**
 * Turns any string into a valid Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`): every invalid
 * character becomes `_`, and a leading digit gets a `_` prefix. Returns '' only for the empty string.
 */
export function sanitizeMetricName(raw: string): string {
  if (raw === '') return '';
  let out = raw.replace(/[^a-zA-Z0-9_:]/g, '_');
  if (/^[0-9]/.test(out)) out = '_' + out;
  return out;
}
