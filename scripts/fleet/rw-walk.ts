/**
 * Just enough of a Remote-Write 1.0 request for the fleet proxy: each series' identity (its label
 * bytes), its `__name__` and `gateway` labels and its sample timestamps. A hand-written walk over
 * the protobuf rather than protobufjs: the proxy reads every request of fifty gateways on a
 * machine they share, and needs neither values nor a re-encoded check.
 */
import { uncompress } from 'snappyjs';

/** One TimeSeries of a request. */
export interface WalkedSeries {
  /** The label bytes as a latin1 string: equal for the same series in every request. */
  key: string;
  name: string;
  gateway: string;
  timestamps: number[];
}

const decoder = new TextDecoder();

/** Decompresses and walks a 1.0 WriteRequest; metadata (field 3) is skipped. Throws on a malformed body. */
export function walkRemoteWrite(body: Uint8Array): WalkedSeries[] {
  const buf = uncompress(body);
  const series: WalkedSeries[] = [];
  const top = new Reader(buf, 0, buf.length);
  while (!top.done()) {
    const { field, end } = top.next();
    if (field === 1) series.push(walkSeries(buf, top.pos, end));
    top.pos = end;
  }
  return series;
}

function walkSeries(buf: Uint8Array, start: number, stop: number): WalkedSeries {
  const r = new Reader(buf, start, stop);
  const out: WalkedSeries = { key: '', name: '', gateway: '', timestamps: [] };
  let keyParts = '';
  while (!r.done()) {
    const { field, end } = r.next();
    if (field === 1) {
      keyParts += Buffer.from(buf.buffer, buf.byteOffset + r.pos, end - r.pos).toString('latin1') + '\u0000';
      const label = readLabel(buf, r.pos, end);
      if (label.name === '__name__') out.name = label.value;
      else if (label.name === 'gateway') out.gateway = label.value;
    } else if (field === 2) {
      out.timestamps.push(readTimestamp(buf, r.pos, end));
    }
    r.pos = end;
  }
  out.key = keyParts;
  return out;
}

function readLabel(buf: Uint8Array, start: number, stop: number): { name: string; value: string } {
  const r = new Reader(buf, start, stop);
  let name = '';
  let value = '';
  while (!r.done()) {
    const { field, end } = r.next();
    const text = decoder.decode(buf.subarray(r.pos, end));
    if (field === 1) name = text;
    else if (field === 2) value = text;
    r.pos = end;
  }
  return { name, value };
}

function readTimestamp(buf: Uint8Array, start: number, stop: number): number {
  const r = new Reader(buf, start, stop);
  let timestamp = 0;
  while (!r.done()) {
    const { field, end, varint } = r.next();
    if (field === 2) timestamp = varint;
    r.pos = end;
  }
  return timestamp;
}

/** A cursor over protobuf fields between `pos` and `stop`. */
class Reader {
  constructor(private readonly buf: Uint8Array, public pos: number, private readonly stop: number) {}

  done(): boolean {
    return this.pos >= this.stop;
  }

  /** Reads a field's key; `pos` is left at its payload, `end` after it (varint payloads: `varint`). */
  next(): { field: number; end: number; varint: number } {
    const key = this.varint();
    const field = key >>> 3;
    switch (key & 7) {
      case 0: {
        const at = this.pos;
        const varint = this.varint();
        const end = this.pos;
        this.pos = at;
        return { field, end, varint };
      }
      case 1: return { field, end: this.pos + 8, varint: 0 };
      case 2: {
        const length = this.varint();
        if (this.pos + length > this.stop) throw new Error('protobuf field runs past its message');
        return { field, end: this.pos + length, varint: 0 };
      }
      case 5: return { field, end: this.pos + 4, varint: 0 };
      default: throw new Error(`protobuf wire type ${key & 7} is not expected here`);
    }
  }

  /** A varint as a number; timestamps in ms fit 2⁵³ exactly. */
  private varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.stop) throw new Error('protobuf varint runs past its message');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  }
}
