/**
 * The two remote-write messages, written field by field into a reused `ProtoWriter`.
 *
 * Wire layout (tag bytes are field number << 3 | wire type):
 *   1.0 prometheus.WriteRequest   0x0a TimeSeries…  or (a metadata request) 0x1a MetricMetadata…
 *       TimeSeries                0x0a Label… 0x12 Sample…
 *       Label                     0x0a name, 0x12 value
 *       MetricMetadata            0x08 type, 0x12 metric_family_name, 0x22 help, 0x2a unit
 *   2.0 io.prometheus.write.v2.Request   0x22 symbol… 0x2a TimeSeries…
 *       TimeSeries                0x0a packed labels_refs, 0x12 Sample…, 0x2a Metadata
 *       Metadata                  0x08 type, 0x18 help_ref, 0x20 unit_ref
 *   both Sample                   0x09 value (fixed64), 0x10 timestamp (int64 varint)
 *
 * Each TimeSeries' size is computed before it is written, so lengths are written once and nothing
 * moves. As proto3 allows, a field holding its default is left out: a +0 value (all 64 bits zero,
 * so -0 is still sent) or a 0 timestamp; receivers decode them as 0. Prometheus's own encoder
 * leaves them out too (and -0 with them), so every receiver is used to it.
 *
 * Metadata comes from what the inputs stated (`WireSeries.metadata`), never guessed from a name.
 * In 2.0 a series without any (or with only defaults: unknown type, no help, no unit) carries no
 * Metadata field, which proto3 reads as those same defaults; its help and unit strings join the
 * symbols after every label string, so label refs and the bytes of a request without metadata
 * are exactly what they were before metadata existed. 1.0 sends metadata in requests of its own
 * (`encodeV1Metadata`), as Prometheus does; its sample requests never carry any.
 */
import type { Label, Labels } from '../../../model/labels.js';
import type { MetricMetadata, MetricType } from '../../../model/metadata.js';
import { ProtoWriter, utf8Size, varint32Size, varint64Size } from './proto-writer.js';
import type { SeriesSamples } from '../../series-samples.js';

// 64 KiB holds ~450 series of one sample (1.0); bigger requests grow it once and it stays grown.
const writer = new ProtoWriter(64 * 1024);

/** Encodes a 1.0 `prometheus.WriteRequest`. */
export function encodeV1(series: ReadonlyArray<SeriesSamples>): Uint8Array {
  writer.reset();
  const views = new ValueViews();
  for (const s of series) {
    if (s.count === 0) continue;
    checkRange(s);
    const { v1Chunk, v1Start, v1Length } = s.series;
    const words = views.words(s.values);
    const seriesSize = v1Length + samplesSize(s, words);
    writer.reserve(1 + varint32Size(seriesSize) + seriesSize);
    writer.byte(0x0a);
    writer.varint32(seriesSize);
    writer.copyRange(v1Chunk, v1Start, v1Start + v1Length);
    writeSamples(s, views.bytes(s.values), words);
  }
  return writer.finish();
}

const labelsWriter = new ProtoWriter(256);

/**
 * The Label fields of a 1.0 TimeSeries for `labels` (already merged, sorted, no empty value), in
 * a scratch buffer valid until the next call: `WireSeries` keeps a copy, so a series' labels are
 * encoded once, not once per request.
 */
export function encodeLabelsV1(labels: Labels): Uint8Array {
  const out = labelsWriter;
  out.reset();
  for (const { name, value } of labels) {
    const nameSize = utf8Size(name);
    const valueSize = utf8Size(value);
    const labelSize = 2 + varint32Size(nameSize) + nameSize + varint32Size(valueSize) + valueSize;
    out.reserve(1 + varint32Size(labelSize) + labelSize);
    out.byte(0x0a);
    out.varint32(labelSize);
    out.byte(0x0a);
    out.varint32(nameSize);
    out.utf8(name);
    out.byte(0x12);
    out.varint32(valueSize);
    out.utf8(value);
  }
  return out.finish();
}

/** Inverts `encodeLabelsV1` on bytes [start, end) of `bytes`. */
export function decodeLabelsV1(bytes: Uint8Array, start: number, end: number): Labels {
  const labels: Label[] = [];
  const reader = { pos: start };
  while (reader.pos < end) {
    readVarint(bytes, reader); // the Label field's tag and length: its two fields follow
    readVarint(bytes, reader);
    const name = readString(bytes, reader);
    const value = readString(bytes, reader);
    labels.push({ name, value });
  }
  return labels;
}

/** The `__name__` value among the Label fields in [start, end) of `bytes`, without decoding the rest. */
export function metricNameV1(bytes: Uint8Array, start: number, end: number): string | undefined {
  const reader = { pos: start };
  while (reader.pos < end) {
    readVarint(bytes, reader);
    const labelEnd = readVarint(bytes, reader) + reader.pos;
    if (readString(bytes, reader) === '__name__') return readString(bytes, reader);
    reader.pos = labelEnd;
  }
  return undefined;
}

function readVarint(bytes: Uint8Array, reader: { pos: number }): number {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[reader.pos++];
    if (b === undefined) throw new Error('label bytes end inside a varint');
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return value;
  }
}

const utf8 = new TextDecoder();

/** Reads a length-delimited string field (tag, length, bytes). */
function readString(bytes: Uint8Array, reader: { pos: number }): string {
  reader.pos++; // the tag: 0x0a for a name, 0x12 for a value
  const length = readVarint(bytes, reader);
  const start = reader.pos;
  reader.pos += length;
  return utf8.decode(bytes.subarray(start, reader.pos));
}

// 2.0 scratch: the label refs of every series back to back, and where each series' refs end.
let labelRefs: Uint32Array = new Uint32Array(1024);
const refsEnd: number[] = [];
// 2.0 scratch per series: the size of its Metadata message (0: no field) and its three values.
let metaSize = new Uint32Array(256);
let metaType = new Uint32Array(256);
let metaHelp = new Uint32Array(256);
let metaUnit = new Uint32Array(256);

/**
 * The enum value of a type in both specs' MetricType (1.0 `MetricMetadata.MetricType`, 2.0
 * `Metadata.MetricType`): the same numbers, 0 being UNKNOWN in 1.0 and UNSPECIFIED in 2.0.
 */
const TYPE_NUMBERS: Readonly<Record<MetricType, number>> = {
  unknown: 0, counter: 1, gauge: 2, histogram: 3, gaugehistogram: 4, summary: 5, info: 6, stateset: 7,
};

/**
 * Encodes a 1.0 `prometheus.WriteRequest` that holds only `metadata` entries (field 3), one
 * `MetricMetadata` per entry in the order given, fields holding their default left out. Returns a
 * view into the buffer `encodeV1` reuses, valid until the next encode call.
 */
export function encodeV1Metadata(entries: ReadonlyArray<{ family: string; metadata: MetricMetadata }>): Uint8Array {
  writer.reset();
  for (const { family, metadata } of entries) {
    const type = TYPE_NUMBERS[metadata.type];
    const familySize = utf8Size(family);
    const helpSize = utf8Size(metadata.help);
    const unitSize = utf8Size(metadata.unit);
    const size = (type === 0 ? 0 : 1 + varint32Size(type)) + stringFieldSize(familySize) + stringFieldSize(helpSize) + stringFieldSize(unitSize);
    writer.reserve(1 + varint32Size(size) + size);
    writer.byte(0x1a);
    writer.varint32(size);
    if (type !== 0) {
      writer.byte(0x08);
      writer.varint32(type);
    }
    writeStringField(0x12, family, familySize);
    writeStringField(0x22, metadata.help, helpSize);
    writeStringField(0x2a, metadata.unit, unitSize);
  }
  return writer.finish();
}

/** Bytes of a string field whose UTF-8 is `size` bytes: nothing for the empty default. */
function stringFieldSize(size: number): number {
  return size === 0 ? 0 : 1 + varint32Size(size) + size;
}

function writeStringField(tag: number, value: string, size: number): void {
  if (size === 0) return;
  writer.byte(tag);
  writer.varint32(size);
  writer.utf8(value);
}

/** Encodes a 2.0 `io.prometheus.write.v2.Request`. */
export function encodeV2(series: ReadonlyArray<SeriesSamples>): Uint8Array {
  // The spec requires symbols[0] to be the empty string. Strings are numbered as first met, so the
  // label names, which every series repeats, get the small refs (one varint byte).
  const symbols = [''];
  const index = new Map<string, number>([['', 0]]);
  const intern = (s: string): number => {
    let ref = index.get(s);
    if (ref === undefined) {
      ref = symbols.length;
      index.set(s, ref);
      symbols.push(s);
    }
    return ref;
  };
  let r = 0;
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    if (s.count > 0) {
      checkRange(s);
      const labels = s.series.labels;
      if (labelRefs.length < r + 2 * labels.length) labelRefs = grow(labelRefs, r + 2 * labels.length);
      for (const { name, value } of labels) {
        labelRefs[r++] = intern(name);
        labelRefs[r++] = intern(value);
      }
    }
    refsEnd[i] = r;
  }
  internMetadata(series, intern);

  writer.reset();
  for (const symbol of symbols) {
    const size = utf8Size(symbol);
    writer.reserve(1 + varint32Size(size) + size);
    writer.byte(0x22);
    writer.varint32(size);
    writer.utf8(symbol);
  }

  const views = new ValueViews();
  r = 0;
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    const end = refsEnd[i]!;
    if (s.count === 0) continue;
    let refsSize = 0;
    for (let k = r; k < end; k++) refsSize += varint32Size(labelRefs[k]!);
    const words = views.words(s.values);
    const meta = metaSize[i]!;
    const seriesSize = 1 + varint32Size(refsSize) + refsSize + samplesSize(s, words) + (meta === 0 ? 0 : 1 + varint32Size(meta) + meta);
    writer.reserve(1 + varint32Size(seriesSize) + seriesSize);
    writer.byte(0x2a);
    writer.varint32(seriesSize);
    writer.byte(0x0a);
    writer.varint32(refsSize);
    for (; r < end; r++) writer.varint32(labelRefs[r]!);
    writeSamples(s, views.bytes(s.values), words);
    if (meta !== 0) writeMetadataV2(meta, metaType[i]!, metaHelp[i]!, metaUnit[i]!);
  }
  return writer.finish();
}

/**
 * Fills the per-series Metadata scratch of a 2.0 request, interning help and unit texts after
 * every label string (so they never push a label's ref past a varint byte boundary).
 */
function internMetadata(series: ReadonlyArray<SeriesSamples>, intern: (s: string) => number): void {
  if (metaSize.length < series.length) {
    const size = Math.max(series.length, 2 * metaSize.length);
    metaSize = new Uint32Array(size);
    metaType = new Uint32Array(size);
    metaHelp = new Uint32Array(size);
    metaUnit = new Uint32Array(size);
  }
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    const metadata = s.series.metadata;
    metaSize[i] = 0;
    if (s.count === 0 || metadata === undefined) continue;
    // '' interns to 0, the default: left out like the type's 0.
    const type = TYPE_NUMBERS[metadata.type];
    const help = intern(metadata.help);
    const unit = intern(metadata.unit);
    metaType[i] = type;
    metaHelp[i] = help;
    metaUnit[i] = unit;
    metaSize[i] = (type === 0 ? 0 : 1 + varint32Size(type)) + (help === 0 ? 0 : 1 + varint32Size(help)) + (unit === 0 ? 0 : 1 + varint32Size(unit));
  }
}

/** Writes a TimeSeries' Metadata field (its body `size` bytes, as `internMetadata` computed). */
function writeMetadataV2(size: number, type: number, help: number, unit: number): void {
  writer.byte(0x2a);
  writer.varint32(size);
  if (type !== 0) {
    writer.byte(0x08);
    writer.varint32(type);
  }
  if (help !== 0) {
    writer.byte(0x18);
    writer.varint32(help);
  }
  if (unit !== 0) {
    writer.byte(0x20);
    writer.varint32(unit);
  }
}

/** Bytes of the Sample fields of `s` (each: tag, one-byte length, body). */
function samplesSize(s: SeriesSamples, words: Uint32Array): number {
  const { timestamps } = s;
  const end = s.start + s.count;
  let size = 0;
  for (let i = s.start; i < end; i++) {
    const t = timestamps[i]!;
    if (!Number.isSafeInteger(t)) throw new Error(`sample timestamp ${t} is not an integer number of milliseconds`);
    // A Sample body is at most 9 + 11 bytes, so its length always fits one varint byte.
    size += 2 + (words[2 * i] === 0 && words[2 * i + 1] === 0 ? 0 : 9) + (t === 0 ? 0 : 1 + varint64Size(t));
  }
  return size;
}

/** Writes the Sample fields of `s`; `bytes` and `words` view its value column. */
function writeSamples(s: SeriesSamples, bytes: Uint8Array, words: Uint32Array): void {
  const { timestamps } = s;
  const end = s.start + s.count;
  for (let i = s.start; i < end; i++) {
    const t = timestamps[i]!;
    writer.byte(0x12);
    const lengthAt = writer.pos++;
    if (words[2 * i] !== 0 || words[2 * i + 1] !== 0) {
      writer.byte(0x09);
      writer.fixed64Bytes(bytes, i);
    }
    if (t !== 0) {
      writer.byte(0x10);
      writer.varint64(t);
    }
    writer.bytes[lengthAt] = writer.pos - lengthAt - 1;
  }
}

function checkRange(s: SeriesSamples): void {
  const end = s.start + s.count;
  if (!(s.start >= 0 && end <= s.timestamps.length && end <= s.values.length)) {
    throw new RangeError(`samples ${s.start}..${end} lie outside columns of ${s.timestamps.length} and ${s.values.length}`);
  }
}

function grow(a: Uint32Array, min: number): Uint32Array {
  const b = new Uint32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Byte and 32-bit views of value columns, made once per column per request: series built by
 * `SeriesGrouper` share one column, so this is usually one pair of views a request.
 */
class ValueViews {
  private column: Float64Array | null = null;
  private byteView: Uint8Array = new Uint8Array(0);
  private wordView: Uint32Array = new Uint32Array(0);

  bytes(values: Float64Array): Uint8Array {
    this.view(values);
    return this.byteView;
  }

  words(values: Float64Array): Uint32Array {
    this.view(values);
    return this.wordView;
  }

  private view(values: Float64Array): void {
    if (values === this.column) return;
    this.column = values;
    // A Float64Array's byteOffset is a multiple of 8, so the 32-bit view is aligned.
    this.byteView = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.wordView = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  }
}
