/**
 * 32-bit FNV-1a over a series key's UTF-16 code units. Stable across runs and machines, so the
 * sender's shard of a series never moves while the shard count stays; not for security.
 */
export function hashSeriesKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
