/**
 * The metric metadata of one target's page (`# TYPE`, `# HELP`, `# UNIT` per family), carried from
 * scrape to scrape like the `SeriesCache`, and for the same reason: pages repeat themselves.
 *
 * The parser reports each metadata line with byte offsets; nothing here runs per sample. The
 * metadata lines of the last good page are kept in page order with their bytes (from the name to
 * the line end) and what they said, so a line where it was last time costs one byte comparison:
 * no string, no lookup, no decoding. Any other line is looked up by its family name; its HELP text
 * is decoded and unescaped only when its bytes differ from the family's last one. A family whose
 * type, help and unit did not change keeps its `MetricMetadata` object, which the WAL then
 * compares by reference.
 *
 * One parse at a time, each ended by `finish`: a good page replaces the families and lines (those
 * it no longer has are forgotten, which bounds memory by the page); a failed one changes nothing.
 */
import { metricMetadata, type MetricMetadata, type MetricType } from '../../model/metadata.js';

const BACKSLASH = 92;
const LOWER_N = 110;
const UNKNOWN: MetricMetadata = metricMetadata('unknown', '');

/** The kind of a metadata line, as the line spells it. */
export type MetadataLineKind = 'HELP' | 'TYPE' | 'UNIT';

/** A family's entry: its metadata as of the last good page, and what this parse has seen so far. */
class Family {
  /** Metadata as of the last good page that had the family. */
  metadata = UNKNOWN;
  /** Last parse that saw the family; this parse's values below are valid only while it is current. */
  seenIn = 0;
  /** True once a good page had the family (a failed page's new families are dropped). */
  kept = false;
  type: MetricType = 'unknown';
  help = '';
  unit = '';
  /** Bytes of the last HELP text decoded, and the text it gave. */
  helpRaw: Uint8Array | null = null;
  helpText = '';
  /** Index in the last good page's lines of the family's HELP, TYPE and UNIT line; -1: none. */
  readonly lineAt: Record<MetadataLineKind, number> = { HELP: -1, TYPE: -1, UNIT: -1 };

  constructor(readonly name: string) {}
}

/** One metadata line of a page: its bytes from the name on, and the value it gave its family. */
class Line {
  constructor(
    readonly family: Family,
    readonly kind: MetadataLineKind,
    readonly raw: Uint8Array,
    readonly value: string,
  ) {}
}

/** The metadata of a target's last good page; see the file comment. */
export class PageMetadata {
  private readonly families = new Map<string, Family>();
  // Families and lines of the page being parsed and of the last good page, in page order.
  private current: Family[] = [];
  private page: Family[] = [];
  private currentLines: Line[] = [];
  private lines: Line[] = [];
  // Index in `lines` of the line expected next.
  private expected = 0;
  private parse = 1;

  /**
   * True, and the line applied, when the `kind` line whose name starts at `start` and which ends at
   * `end` is byte for byte the line expected next from the last good page. Such a line was valid
   * then, so the parser need not check it again. Otherwise the parser checks the line and calls
   * `help`, `type` or `unit`.
   */
  repeats(kind: MetadataLineKind, bytes: Buffer, start: number, end: number): boolean {
    const line = this.lines[this.expected];
    if (line === undefined || line.kind !== kind || !sameBytes(line.raw, bytes, start, end)) return false;
    this.expected++;
    this.apply(line);
    return true;
  }

  /** `# HELP name text`: `bytes` [nameStart, nameEnd) is the name, [textStart, textEnd) the raw text. */
  help(bytes: Buffer, nameStart: number, nameEnd: number, textStart: number, textEnd: number): void {
    const family = this.family(bytes, nameStart, nameEnd, 'HELP');
    const raw = family.helpRaw;
    if (raw === null || !sameBytes(raw, bytes, textStart, textEnd)) {
      // A copy: `bytes` is the response body, which the cache must not keep alive.
      family.helpRaw = new Uint8Array(bytes.subarray(textStart, textEnd));
      family.helpText = unescapeHelp(bytes.toString('utf8', textStart, textEnd));
    }
    this.record(family, 'HELP', bytes, nameStart, textEnd, family.helpText);
  }

  /** `# TYPE name type` ending at `end`, the type already mapped from the page's word. */
  type(bytes: Buffer, nameStart: number, nameEnd: number, end: number, type: MetricType): void {
    this.record(this.family(bytes, nameStart, nameEnd, 'TYPE'), 'TYPE', bytes, nameStart, end, type);
  }

  /** `# UNIT name unit` ending at `end` (OpenMetrics; a comment to the 0.0.4 grammar, but kept). */
  unit(bytes: Buffer, nameStart: number, nameEnd: number, end: number, unit: string): void {
    this.record(this.family(bytes, nameStart, nameEnd, 'UNIT'), 'UNIT', bytes, nameStart, end, unit);
  }

  /** Ends a parse: a good page becomes the families' state; a failed one leaves it as it was. */
  finish(ok: boolean): void {
    const seen = this.current;
    if (ok) {
      for (const family of seen) {
        family.kept = true;
        family.lineAt.HELP = family.lineAt.TYPE = family.lineAt.UNIT = -1;
        const m = family.metadata;
        if (m.type !== family.type || m.help !== family.help || m.unit !== family.unit) family.metadata = metricMetadata(family.type, family.help, family.unit);
      }
      if (seen.length !== this.families.size) {
        for (const [name, family] of this.families) if (family.seenIn !== this.parse) this.families.delete(name);
      }
      this.current = this.page;
      this.page = seen;
      const lines = this.currentLines;
      this.currentLines = this.lines;
      this.lines = lines;
      for (let i = 0; i < lines.length; i++) lines[i]!.family.lineAt[lines[i]!.kind] = i;
    } else {
      // Families this failed page introduced are dropped; the others keep their metadata.
      for (const family of seen) if (!family.kept) this.families.delete(family.name);
    }
    this.current.length = 0;
    this.currentLines.length = 0;
    this.expected = 0;
    this.parse++;
  }

  /** Calls `fn` for each family of the last good page with a metadata line, in page order. */
  forEach(fn: (family: string, metadata: MetricMetadata) => void): void {
    for (const family of this.page) fn(family.name, family.metadata);
  }

  /** Applies a line found the slow way and keeps it for the next parse's predictions. */
  private record(family: Family, kind: MetadataLineKind, bytes: Buffer, start: number, end: number, value: string): void {
    this.apply(new Line(family, kind, new Uint8Array(bytes.subarray(start, end)), value));
  }

  private apply(line: Line): void {
    const family = line.family;
    if (family.seenIn !== this.parse) this.touch(family);
    if (line.kind === 'HELP') family.help = line.value;
    else if (line.kind === 'TYPE') family.type = line.value as MetricType;
    else family.unit = line.value;
    this.currentLines.push(line);
  }

  /**
   * The family named by `bytes` [start, end); predictions resume after its `kind` line of the last
   * good page, so one inserted or removed line does not make the rest of the page slow.
   */
  private family(bytes: Buffer, start: number, end: number, kind: MetadataLineKind): Family {
    // Metric names are ASCII (the parser checked them), so latin1 decodes them exactly and fast.
    const name = bytes.toString('latin1', start, end);
    let family = this.families.get(name);
    if (family === undefined) {
      family = new Family(name);
      this.families.set(name, family);
    }
    if (family.lineAt[kind] >= 0) this.expected = family.lineAt[kind] + 1;
    return family;
  }

  /** Starts the family's values for this parse: no lines seen yet. */
  private touch(family: Family): void {
    family.seenIn = this.parse;
    family.type = 'unknown';
    family.help = '';
    family.unit = '';
    this.current.push(family);
  }
}

/** True when `raw` holds exactly the bytes [start, end) of `bytes`. */
function sameBytes(raw: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (raw.length !== end - start) return false;
  for (let k = 0; k < raw.length; k++) if (raw[k] !== bytes[start + k]) return false;
  return true;
}

/**
 * Decodes a HELP text's escapes as Prometheus's text parser does: `\\` is a backslash, `\n` a line
 * break, and any other backslash stays as written.
 */
export function unescapeHelp(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (c === BACKSLASH && (next === BACKSLASH || next === LOWER_N)) {
      out += next === LOWER_N ? '\n' : '\\';
      i++;
    } else {
      out += text[i];
    }
  }
  return out;
}
