import { closeSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';

/** Size of a file in bytes, 0 when it does not exist. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** True for the errors a full filesystem raises through SQLite or Node. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * A file of zeros kept beside the database. When the disk fills, releasing it gives SQLite room
 * to journal the deletes that free real space (a delete in WAL mode needs to write first).
 */
export class SpaceReserve {
  constructor(readonly path: string, private readonly bytes: number) {}

  /** Creates the reserve if it is missing; false (and no partial file) when there is no room. */
  ensure(): boolean {
    if (fileSize(this.path) === this.bytes) return true;
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'w');
      const zeros = Buffer.alloc(Math.min(this.bytes, 64 * 1024));
      for (let written = 0; written < this.bytes; ) written += writeSync(fd, zeros, 0, Math.min(zeros.length, this.bytes - written));
      fsyncSync(fd);
      return true;
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      rmSync(this.path, { force: true });
      if (isDiskFull(error)) return false;
      throw error;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Deletes the reserve; true if there was one to give back. */
  release(): boolean {
    const had = fileSize(this.path) > 0;
    rmSync(this.path, { force: true });
    return had;
  }
}
