/** Small statistics shared by the benchmarks. */

/** The median of `xs` (the mean of the middle two for an even count); `xs` is left unsorted. */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
