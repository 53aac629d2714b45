/**
 * Prometheus remote-write request bodies and headers, for the 1.0 spec (`prometheus.WriteRequest`)
 * and the 2.0 spec (`io.prometheus.write.v2.Request`).
 *
 * A request holds one TimeSeries per series with all of that series' samples in it, so the labels
 * of a series go on the wire once per request, not once per sample (Prometheus builds one
 * TimeSeries per sample, repeating the labels each time). Samples come in as views into
 * typed-array columns (`SeriesSamples`); `SeriesGrouper` (series-group.ts) builds them from a WAL
 * batch without an object per sample.
 *
 * Both messages are written by hand (rw-messages.ts, over proto-writer.ts) rather than through a
 * protobuf library: the two schemas are small and frozen by their specs, and writing bytes in
 * place costs no object per field. protobufjs's Writer allocates an op per write and a fork per
 * nested message; with the same fixed tags it was 11× slower at one sample per series and 30×
 * slower at 60 (10,000 series, Node 20, x86-64), for byte-identical output. The tests decode every
 * body with protobufjs and the specs' own .proto text, which keeps the hand-written encoder honest.
 *
 * The body is Snappy block-compressed (both specs forbid the framed format) by snappy-encoder.ts:
 * at its fast effort, or where bytes count more than CPU at its dense one, which finds more
 * matches for fewer wire bytes in 1.5–3× the time.
 */
import type { MetricMetadata } from '../../../model/metadata.js';
import { encodeV1, encodeV1Metadata, encodeV2 } from './rw-messages.js';
import { snappyCompress } from './snappy-encoder.js';
import type { SeriesSamples } from '../../series-samples.js';

/**
 * The versions of the remote-write spec: 1.0 is prometheus.WriteRequest, 2.0
 * io.prometheus.write.v2.Request. The PROTOCOL setting's values that pick this output (outputs.ts).
 */
export type RemoteWriteVersion = '1.0' | '2.0';

/**
 * Encodes `series` as an uncompressed protobuf message of `protocol`: one TimeSeries per series
 * with samples (a series with none is left out, as the 2.0 spec requires) and the labels of its
 * `WireSeries`. Samples keep the order given. Returns a view into a buffer reused by the next
 * call (synchronous, so no other call can intervene before the caller copies or compresses it).
 * Throws when a timestamp is not a safe integer: a broken WAL invariant.
 */
export function encodeProtobuf(protocol: RemoteWriteVersion, series: ReadonlyArray<SeriesSamples>): Uint8Array {
  return protocol === '1.0' ? encodeV1(series) : encodeV2(series);
}

/**
 * Encodes `series` as a remote-write request body of `protocol` (see `encodeProtobuf`), Snappy
 * block-compressed at the dense effort of snappy-encoder.ts when `dense`, else at the fast one.
 * The result is a new array the caller owns.
 */
export function encodeRequest(protocol: RemoteWriteVersion, series: ReadonlyArray<SeriesSamples>, dense = false): Uint8Array {
  const body = encodeProtobuf(protocol, series);
  return snappyCompress(body, dense ? 'dense' : 'fast');
}

/**
 * Encodes a 1.0 metadata request body: a `prometheus.WriteRequest` holding only the `metadata`
 * entries given (no samples), Snappy block-compressed, as Prometheus sends metadata to 1.0
 * endpoints apart from samples. Sent with the 1.0 headers of `remoteWriteHeaders('1.0', …)`. The
 * result is a new array the caller owns. 2.0 needs no such request: its series carry their
 * metadata (see `WireSeries.metadata`).
 */
export function encodeMetadataRequest(entries: ReadonlyArray<{ family: string; metadata: MetricMetadata }>): Uint8Array {
  return snappyCompress(encodeV1Metadata(entries), 'fast');
}

/**
 * The request headers the spec of `protocol` requires, `version` being outpost's own (see
 * `readVersion`). A new object each call, so the caller may add its own headers to it; user
 * headers must not replace these (both specs reserve them).
 */
export function remoteWriteHeaders(protocol: RemoteWriteVersion, version: string): Record<string, string> {
  const v1 = protocol === '1.0';
  return {
    'Content-Encoding': 'snappy',
    // 1.0 receivers know only the bare media type; 2.0 names the message (spec 2.0, Content-Type).
    'Content-Type': v1 ? 'application/x-protobuf' : 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
    'X-Prometheus-Remote-Write-Version': v1 ? '0.1.0' : '2.0.0',
    'User-Agent': `outpost/${version}`,
  };
}
