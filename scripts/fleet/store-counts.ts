/**
 * What the central store holds, asked of VictoriaMetrics itself: per gateway, the synthetic
 * samples stored (distinct timestamps per series) and any stored twice.
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
    const { timestamps } = JSON.parse(line) as { timestamps: number[] };
    const distinct = new Set(timestamps).size;
    samples += distinct;
    duplicates += timestamps.length - distinct;
  }
  return { samples, duplicates };
}

/** The base URL of a store from its remote-write URL. */
export function storeBase(writeUrl: string): string {
  return writeUrl.replace(/\/api\/v1\/write$/, '');
}
