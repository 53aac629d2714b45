const VALID_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** True when `name` is a valid Prometheus metric name. */
export function isValidMetricName(name: string): boolean {
  return VALID_METRIC_NAME.test(name);
}

/**
 * Turns any string into a valid metric name: every invalid character becomes `_`, and a leading
 * digit gets a `_` prefix. Returns '' only for the empty string.
 */
export function sanitizeMetricName(raw: string): string {
  if (raw === '') return '';
  let out = raw.replace(/[^a-zA-Z0-9_:]/g, '_');
  if (/^[0-9]/.test(out)) out = '_' + out;
  return out;
}

/** Like `sanitizeMetricName` but for label names, which may not contain `:`. */
export function sanitizeLabelName(raw: string): string {
  if (raw === '') return '';
  let out = raw.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(out)) out = '_' + out;
  return out;
}
