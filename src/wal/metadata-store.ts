import { familyOf, METRIC_TYPES, metricMetadata, sameMetadata, type MetricMetadata, type MetricType } from '../model/metadata.js';
import type { WalDatabase } from './database.js';

/**
 * Metric metadata by family, in memory, mirroring the WAL's `metadata` table (family → type, help,
 * unit; one row per family, not per sample or per series, so it costs no sample bytes).
 *
 * Inputs state a family's metadata every round; an unchanged entry costs one Map lookup and a
 * comparison (identical objects compare by reference). A new or changed entry waits in `pending`
 * and is written by the next commit, in the same transaction as the samples appended with it,
 * so both are durable together and a round's restatements cost no SQL. Readers see only
 * committed entries, as they see only committed samples.
 *
 * Families are forgotten with their series: when the WAL collects series, entries that no
 * remaining series' name resolves to (`familyOf`) are deleted, so a target that churns family
 * names cannot grow the table without bound.
 */
export class MetadataStore {
  private readonly committed = new Map<string, MetricMetadata>();
  private readonly pending = new Map<string, MetricMetadata>();
  private readonly upsert;
  private readonly remove;

  constructor(db: WalDatabase) {
    this.upsert = db.prepare<[string, string, string, string]>('INSERT OR REPLACE INTO metadata (family, type, help, unit) VALUES (?, ?, ?, ?)');
    this.remove = db.prepare<[string]>('DELETE FROM metadata WHERE family = ?');
    for (const row of db.prepare('SELECT family, type, help, unit FROM metadata').iterate() as Iterable<{ family: string; type: string; help: string; unit: string }>) {
      // A type this code does not know (written by a newer version) reads as unknown rather than failing the open.
      const type = METRIC_TYPES.has(row.type as MetricType) ? (row.type as MetricType) : 'unknown';
      this.committed.set(row.family, metricMetadata(type, row.help, row.unit));
    }
  }

  /** Records `metadata` for the next commit unless it is what the family already has. */
  set(family: string, metadata: MetricMetadata): void {
    const known = this.pending.get(family) ?? this.committed.get(family);
    if (known !== undefined && sameMetadata(known, metadata)) return;
    if (!METRIC_TYPES.has(metadata.type)) throw new Error(`metadata of ${family} has an invalid type ${JSON.stringify(metadata.type)}`);
    // A frozen copy: the caller's object may be reused or changed after the call.
    this.pending.set(family, metricMetadata(metadata.type, metadata.help, metadata.unit));
  }

  /** True when entries wait for a commit. */
  hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Writes the pending entries; must run inside the commit's transaction. */
  write(): void {
    for (const [family, m] of this.pending) this.upsert.run(family, m.type, m.help, m.unit);
  }

  /** Called after the transaction that ran `write` committed: the entries become visible. */
  persisted(): void {
    for (const [family, m] of this.pending) this.committed.set(family, m);
    this.pending.clear();
  }

  /** The committed metadata of `family`. */
  get(family: string): MetricMetadata | undefined {
    return this.committed.get(family);
  }

  /** Every committed entry: a read-only view that later commits update. */
  all(): ReadonlyMap<string, MetricMetadata> {
    return this.committed;
  }

  /**
   * Deletes the committed entries no name of `liveNames` resolves to, in the caller's
   * transaction. Returns the families to forget once that transaction commits (`forget`); pending
   * entries are kept, as their samples are not written yet.
   */
  collect(liveNames: Iterable<string>): string[] {
    if (this.committed.size === 0) return [];
    const has = (f: string): boolean => this.committed.has(f);
    const used = new Set<string>();
    for (const name of liveNames) {
      const family = familyOf(name, has);
      if (family !== undefined) used.add(family);
    }
    const unused: string[] = [];
    for (const family of this.committed.keys()) {
      if (!used.has(family) && !this.pending.has(family)) unused.push(family);
    }
    for (const family of unused) this.remove.run(family);
    return unused;
  }

  /** Drops `families` from memory after the transaction that deleted their rows committed. */
  forget(families: readonly string[]): void {
    for (const family of families) this.committed.delete(family);
  }
}
