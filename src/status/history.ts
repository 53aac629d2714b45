/**
 * A fixed-size ring of rows of numbers (a time column and values), oldest overwritten first.
 * Memory is allocated once: `capacity × width` doubles, so six hours at 15 s (1440 rows) of a few
 * columns is tens of kilobytes whatever the uptime. NaN stands for "unknown".
 */
export interface HistoryRing {
  /** Rows held, at most `capacity`. */
  readonly size: number;
  readonly width: number;
  /** Appends a row of `width` values (missing ones become NaN), dropping the oldest when full. */
  push(row: readonly number[]): void;
  /** Value of column `column` in row `index`, 0 being the oldest row held. */
  value(index: number, column: number): number;
}

/** Creates an empty ring of `capacity` rows of `width` columns. */
export function createHistoryRing(capacity: number, width: number): HistoryRing {
  if (!(capacity >= 1 && width >= 1)) throw new Error(`history ring needs capacity and width ≥ 1, got ${capacity} × ${width}`);
  const data = new Float64Array(capacity * width);
  let next = 0;
  let size = 0;
  return {
    get size() { return size; },
    width,
    push(row) {
      for (let c = 0; c < width; c++) data[next * width + c] = row[c] ?? NaN;
      next = (next + 1) % capacity;
      size = Math.min(size + 1, capacity);
    },
    value(index, column) {
      if (index < 0 || index >= size || column < 0 || column >= width) throw new RangeError(`no value at row ${index}, column ${column}`);
      const row = (next - size + index + capacity) % capacity;
      return data[row * width + column]!;
    },
  };
}
