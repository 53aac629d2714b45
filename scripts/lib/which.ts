import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The full path of executable `name` on PATH or, after it, in `extraDirs`; null when it is nowhere. */
export function which(name: string, extraDirs: readonly string[] = []): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs]) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return null;
}
