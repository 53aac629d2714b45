/**
 * The samples appended since the last commit, in three growable columns (no object per sample).
 * Capacity doubles as needed and is kept after `clear()`, so a steady load allocates nothing.
 */
export class PendingBatch {
  refs = new Uint32Array(4096);
  timestamps = new Float64Array(4096);
  values = new Float64Array(4096);
  count = 0;

  push(ref: number, timestampMs: number, value: number): void {
    if (this.count === this.refs.length) this.grow();
    const i = this.count++;
    this.refs[i] = ref;
    this.timestamps[i] = timestampMs;
    this.values[i] = value;
  }

  clear(): void {
    this.count = 0;
  }

  private grow(): void {
    const size = this.refs.length * 2;
    const refs = new Uint32Array(size);
    refs.set(this.refs);
    const timestamps = new Float64Array(size);
    timestamps.set(this.timestamps);
    const values = new Float64Array(size);
    values.set(this.values);
    this.refs = refs;
    this.timestamps = timestamps;
    this.values = values;
  }
}
