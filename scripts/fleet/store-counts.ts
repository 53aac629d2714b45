/**
 * What the central store holds, asked of VictoriaMetrics itself: per gateway, the synthetic
 * samples stored (distinct timestamps per series) and any stored twice. Staleness markers (NaN,
 * which a sender writes when a scrape fails or a series ends) are not readings and are not counted.
 */

/** Samples of one gateway in the store. */
export interface StoredCount {
  /** Distinct (series, timestamp) pairs. */
  samples: number;
  /** Pairs stored more than once. */
  duplicates: number;
}

/** Reads every series of `metric` with `gateway` through /api/v1/export and counts its samples. */
export async function storedSamples(baseUrl: string, metric: string, gateway: string): Promise<StoredCount> {
  await (await fetch(`${baseUrl}/internal/force_flush`)).arrayBuffer();
  const match = `${metric}{gateway="${gateway}"}`;
  const res = await fetch(`${baseUrl}/api/v1/export?match[]=${encodeURIComponent(match)}`);
  if (!res.ok) throw new Error(`export of ${match} answered ${res.status}: ${await res.text()}`);
  let samples = 0;
  let duplicates = 0;
  for (const line of (await res.text()).split('\n')) {
    if (line === '') continue;
    const { values, timestamps } = JSON.parse(jsonNumbers(line)) as { values: Array<number | null>; timestamps: number[] };
    const readings = timestamps.filter((_, i) => values[i] !== null);
    const distinct = new Set(readings).size;
    samples += distinct;
    duplicates += readings.length - distinct;
  }
  return { samples, duplicates };
}

/**
 * An export line made JSON: VictoriaMetrics writes NaN and ±Inf values bare, which JSON has no word
 * for. NaN (the staleness marker; the synthetic series have no other NaN) becomes null, ±Inf a
 * number that parses as ±Infinity.
 */
export function jsonNumbers(line: string): string {
  // Only inside the values array: a label value may spell them too (its quotes are escaped there).
  return line.replace(/"values":\[[^\]]*\]/, (values) =>
    values.replace(/NaN|([+-]?)Inf/g, (word: string, sign: string | undefined) => (word === 'NaN' ? 'null' : `${sign === '-' ? '-' : ''}1e999`)));
}

/** The base URL of a store from its remote-write URL. */
export function storeBase(writeUrl: string): string {
  return writeUrl.replace(/\/api\/v1\/write$/, '');
}
