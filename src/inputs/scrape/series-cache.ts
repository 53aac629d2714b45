/**
 * Series keys of one target's previous scrape, by the series text as the page wrote it. A target
 * exposes the same series scrape after scrape (Prometheus keeps a scrape cache for the same
 * reason): a hit skips scanning, sorting and escaping the labels. Only series seen in the last
 * successful scrape are kept, so memory follows the target's current size.
 */
export class SeriesCache {
  private previous = new Map<string, string>();
  private current = new Map<string, string>();

  /** The key of `raw` if the previous scrape had it; remembers it for the next scrape. */
  lookup(raw: string): string | undefined {
    const key = this.previous.get(raw);
    if (key !== undefined) this.current.set(raw, key);
    return key;
  }

  /** Remembers a freshly parsed series for the next scrape. */
  store(raw: string, key: string): void {
    this.current.set(raw, key);
  }

  /** Ends a parse: a good page becomes the reference, a failed one is forgotten. */
  finish(ok: boolean): void {
    if (ok) this.previous = this.current;
    this.current = new Map();
  }
}
