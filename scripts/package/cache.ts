import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Fills `path` through a scratch directory beside it that `fill` writes into, renamed into place
 * at the end: a cache entry exists whole or not at all, so an interrupted build or two builds
 * racing for the same entry never leave a half-written one. Returns at once when `path` exists.
 * `fill` gets the scratch directory and tells which of its entries becomes `path` (itself or a child).
 */
export async function cacheEntry(path: string, fill: (scratch: string) => Promise<string>): Promise<boolean> {
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true });
  const scratch = mkdtempSync(join(dirname(path), '.tmp-'));
  try {
    const made = await fill(scratch);
    try {
      renameSync(made, path);
    } catch (error) {
      // Another build got there first with the same content.
      if (!existsSync(path)) throw error;
    }
    return true;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The file's Subresource Integrity string (`sha512-<base64>`), as npm records `dist.integrity`. */
export async function sha512Integrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return 'sha512-' + hash.digest('base64');
}
