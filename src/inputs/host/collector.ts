import { closeSync, openSync, readSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { Labels } from '../../model/labels.js';
import { metricMetadata, type MetricMetadata, type MetricType } from '../../model/metadata.js';
import type { WalAppender } from '../../wal/wal.js';

/** Where the host's pseudo file systems are; other values let tests point at a fixture tree. */
export interface HostPaths {
  /** `/proc` (node_exporter's `--path.procfs`). */
  readonly procPath: string;
  /** `/sys` (node_exporter's `--path.sysfs`). */
  readonly sysPath: string;
  /** `/` (node_exporter's `--path.rootfs`): prefix of /etc/os-release, udev data and statfs paths. */
  readonly rootfsPath: string;
}

/**
 * One collection round as a collector sees it: the paths, the round's timestamp, a file reader
 * shared by the round's collectors, and the sink for samples.
 */
export interface HostRound extends HostPaths {
  /** The timestamp every sample of the round gets. */
  readonly nowMs: number;
  /**
   * Text of `<procPath>/<relative>`, read at most once per round however many collectors ask
   * (cpu and stat both parse /proc/stat). Synchronous (see {@link KernelFiles}); throws the fs
   * error (ENOENT, ...) when the file cannot be read.
   */
  readProc(relative: string): string;
  /** `readProc` for `<sysPath>/<relative>`: only for attributes that never wait for hardware. */
  readSys(relative: string): string;
  /**
   * Adds one sample. `labels` must be sorted by name and hold no empty value: build it with
   * {@link series}. A series the WAL refuses (cardinality cap) is skipped silently; the WAL
   * counts it. The first sample of a family in the round also states the family's metadata
   * (see `createHostRound`), so collectors never do it themselves.
   */
  add(labels: Labels, value: number): void;
}

/** A collector's metadata: node_exporter's type and help of each family it writes, by exact name. */
export type FamilyMetadata = (family: string) => MetricMetadata | undefined;

/** The `FamilyMetadata` of a fixed table: family name → [type, node_exporter's help text]. */
export function metadataTable(table: Readonly<Record<string, readonly [MetricType, string]>>): FamilyMetadata {
  const byName = new Map(Object.entries(table).map(([family, [type, help]]) => [family, metricMetadata(type, help)]));
  return (family) => byName.get(family);
}

/**
 * One node_exporter collector. `collect` adds the round's samples and rejects when the collector
 * cannot produce its metrics at all; a collector whose source is simply absent on this hardware
 * (no thermal zones, no hwmon chips) adds nothing and resolves, as node_exporter's ErrNoData.
 */
export interface HostCollector {
  /** node_exporter's collector name (`cpu`, `meminfo`, ...), used in errors. */
  readonly name: string;
  /** The metadata of every family `collect` may write (only consulted for families it wrote). */
  readonly metadata: FamilyMetadata;
  collect(round: HostRound): Promise<void>;
}

// Enough for /proc/stat, /proc/meminfo and /proc/1/mounts of a gateway in one read; grows when not.
const INITIAL_BUFFER_BYTES = 64 * 1024;

/**
 * Reads procfs and sysfs files that are built from kernel memory, through descriptors kept open
 * across rounds, into one reused buffer.
 *
 * Why not fs.promises.readFile: it costs open, fstat, two reads and close, each a thread-pool
 * round trip with its promise, and that was most of a round's CPU. Such a file regenerates its
 * content on every read from offset 0, so a kept descriptor and pread(0) give fresh data for
 * two syscalls. The reads are synchronous: nothing waits for a device, so there is no I/O to
 * overlap. Files whose driver may talk to hardware (hwmon and thermal attributes, over I2C or
 * firmware mailboxes), files on disk (os-release) and statfs, which may hang on NFS, stay
 * asynchronous in their collectors. The descriptors (about ten) live as long as the input.
 */
export class KernelFiles {
  private readonly fds = new Map<string, number>();
  private buffer = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);

  /** The file's current text; throws the fs error when it cannot be opened or read. */
  read(path: string): string {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, 'r');
      this.fds.set(path, fd);
    }
    try {
      let length = 0;
      for (;;) {
        if (length === this.buffer.length) {
          const grown = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(grown);
          this.buffer = grown;
        }
        const n = readSync(fd, this.buffer, length, this.buffer.length - length, length);
        if (n === 0) return this.buffer.toString('utf8', 0, length);
        length += n;
      }
    } catch (error) {
      // Reopen next time rather than keep a descriptor that failed.
      this.fds.delete(path);
      closeSync(fd);
      throw error;
    }
  }
}

/**
 * A round that reads /proc and /sys through `files` with a per-round cache and appends to
 * `appender` at `nowMs`. Samples of a series the appender refuses (ref 0) are dropped here, as
 * the WalAppender contract asks. The first written sample of each family states the family's
 * `metadataOf` to the appender, once per round: per sample this costs one string comparison with
 * the previous sample's name, since collectors write a family's series together.
 */
export function createHostRound(paths: HostPaths, files: KernelFiles, appender: WalAppender, nowMs: number, metadataOf: FamilyMetadata = () => undefined): HostRound {
  const texts = new Map<string, string>();
  const stated = new Set<string>();
  let lastName = '';
  const read = (path: string) => {
    let text = texts.get(path);
    if (text === undefined) texts.set(path, (text = files.read(path)));
    return text;
  };
  return {
    ...paths,
    nowMs,
    readProc: (relative) => read(`${paths.procPath}/${relative}`),
    readSys: (relative) => read(`${paths.sysPath}/${relative}`),
    add(labels, value) {
      const ref = appender.seriesRef(labels);
      if (ref === 0) return;
      appender.append(ref, nowMs, value);
      // `series` puts the name first.
      const name = labels[0]!.value;
      if (name === lastName) return;
      lastName = name;
      if (stated.has(name)) return;
      stated.add(name);
      const metadata = metadataOf(name);
      if (metadata !== undefined) appender.setMetadata(name, metadata);
    },
  };
}

/**
 * The label set of one series: `__name__` then `pairs` (name, value, name, value, ...), which
 * the caller lists in label-name order so nothing needs sorting. Pairs with an empty value are
 * left out, as Prometheus treats `x=""` as no label at all (node_exporter's `id_like=""` and the
 * like arrive at a Prometheus server without that label too).
 */
export function series(name: string, ...pairs: string[]): Labels {
  const labels = [{ name: '__name__', value: name }];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    if (pairs[i + 1] !== '') labels.push({ name: pairs[i]!, value: pairs[i + 1]! });
  }
  return labels;
}

/** A file's text with surrounding whitespace removed, or undefined when it cannot be read. */
export async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Entry names of a directory, sorted; empty when it does not exist (hardware without it). */
export async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
