/** Removal of scratch trees that may hold read-only directories (from a bundle, or read back). */
import { chmodSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Removes `path` and everything below it, even where a directory lacks its owner's write bit. */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Not root, and a directory is read-only (tar and rdump keep modes): open them all, retry.
    allowWrites(path);
    rmSync(path, { recursive: true, force: true });
  }
}

function allowWrites(path: string): void {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return;
  chmodSync(path, stat.mode | 0o700);
  for (const name of readdirSync(path)) allowWrites(join(path, name));
}
