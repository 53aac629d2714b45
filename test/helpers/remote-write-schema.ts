/**
 * The remote-write specs' own protobuf schemas, loaded with protobufjs, to decode what the sender
 * puts on the wire. The encoder is hand-written (src/sender/outputs/remote-write/rw-messages.ts); these are the
 * independent check that its bytes mean what the specs say.
 *
 * 1.0: the schema of the Remote-Write 1.0 specification (prometheus.io/docs/specs/remote_write_spec,
 * "Protocol"), which the spec makes normative, in package `prometheus` (the message is
 * `prometheus.WriteRequest`, as the 2.0 spec names it).
 * 1.0 metadata: the 1.0 spec reserves WriteRequest field 3, where Prometheus sends metadata; its
 * prompb (remote.proto's WriteRequest and types.proto's MetricMetadata) defines it, quoted below.
 * 2.0: prompb/io/prometheus/write/v2/types.proto of prometheus/prometheus, verbatim; the 2.0 spec
 * names it "the full schema and source of the truth". Its gogoproto import and options do not
 * change the wire format (the spec says they can be ignored) and protobufjs leaves them unresolved.
 */
import { uncompress } from 'snappyjs';
import protobuf from 'protobufjs';
import type { RemoteWriteVersion } from '../../src/sender/outputs/remote-write/encode.js';

/** The 1.0 spec's schema (Apache-2.0, Prometheus Team). */
const REMOTE_WRITE_V1_PROTO = `syntax = "proto3";
package prometheus;

message WriteRequest {
  repeated TimeSeries timeseries = 1;
  // Cortex uses this field to determine the source of the write request.
  // We reserve it to avoid any compatibility issues.
  reserved  2;

  // Prometheus uses this field to send metadata, but this is
  // omitted from v1 of the spec as it is experimental.
  reserved  3;
}

message TimeSeries {
  repeated Label labels   = 1;
  repeated Sample samples = 2;
}

message Label {
  string name  = 1;
  string value = 2;
}

message Sample {
  double value    = 1;
  int64 timestamp = 2;
}
`;

/**
 * prompb/remote.proto's WriteRequest and prompb/types.proto's MetricMetadata of prometheus/prometheus
 * (Apache-2.0, Prometheus Team), gogoproto options left out as they do not change the wire.
 */
const REMOTE_WRITE_V1_METADATA_PROTO = `syntax = "proto3";
package prometheus;

message WriteRequest {
  repeated TimeSeries timeseries = 1;
  // Cortex uses this field to determine the source of the write request.
  // We reserve it to avoid any compatibility issues.
  reserved  2;
  repeated MetricMetadata metadata = 3;
}

message TimeSeries {
  repeated Label labels   = 1;
  repeated Sample samples = 2;
}

message Label {
  string name  = 1;
  string value = 2;
}

message Sample {
  double value    = 1;
  int64 timestamp = 2;
}

message MetricMetadata {
  enum MetricType {
    UNKNOWN        = 0;
    COUNTER        = 1;
    GAUGE          = 2;
    HISTOGRAM      = 3;
    GAUGEHISTOGRAM = 4;
    SUMMARY        = 5;
    INFO           = 6;
    STATESET       = 7;
  }

  // Represents the metric type, these match the set from Prometheus.
  // Refer to github.com/prometheus/common/model/metadata.go for details.
  MetricType type = 1;
  string metric_family_name = 2;
  string help = 4;
  string unit = 5;
}
`;

/** prompb/io/prometheus/write/v2/types.proto of prometheus/prometheus. */
const REMOTE_WRITE_V2_PROTO = `// Copyright 2024 Prometheus Team
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// NOTE: This file is also available on https://buf.build/prometheus/prometheus/docs/main:io.prometheus.write.v2

syntax = "proto3";
package io.prometheus.write.v2;

option go_package = "writev2";

import "gogoproto/gogo.proto";

// Request represents a request to write the given timeseries to a remote destination.
// This message was introduced in the Remote Write 2.0 specification:
// https://prometheus.io/docs/concepts/remote_write_spec_2_0/
//
// The canonical Content-Type request header value for this message is
// "application/x-protobuf;proto=io.prometheus.write.v2.Request"
//
// NOTE: gogoproto options might change in future for this file, they
// are not part of the spec proto (they only modify the generated Go code, not
// the serialized message). See: https://github.com/prometheus/prometheus/issues/11908
message Request {
  // Since Request supersedes 1.0 spec's prometheus.WriteRequest, we reserve the top-down message
  // for the deterministic interop between those two, see types_test.go for details.
  // Generally it's not needed, because Receivers must use the Content-Type header, but we want to
  // be sympathetic to adopters with mistaken implementations and have deterministic error (empty
  // message if you use the wrong proto schema).
  reserved 1 to 3;

  // symbols contains a de-duplicated array of string elements used for various
  // items in a Request message, like labels and metadata items. For the sender's convenience
  // around empty values for optional fields like unit_ref, symbols array MUST start with
  // empty string.
  //
  // To decode each of the symbolized strings, referenced, by "ref(s)" suffix, you
  // need to lookup the actual string by index from symbols array. The order of
  // strings is up to the sender. The receiver should not assume any particular encoding.
  repeated string symbols = 4;
  // timeseries represents an array of distinct series with 0 or more samples.
  repeated TimeSeries timeseries = 5 [(gogoproto.nullable) = false];
}

// TimeSeries represents a single series.
message TimeSeries {
  // labels_refs is a list of label name-value pair references, encoded
  // as indices to the Request.symbols array. This list's length is always
  // a multiple of two, and the underlying labels should be sorted lexicographically.
  //
  // Note that there might be multiple TimeSeries objects in the same
  // Requests with the same labels e.g. for different exemplars, metadata
  // or created timestamp.
  repeated uint32 labels_refs = 1;

  // Timeseries messages can either specify samples or (native) histogram samples
  // (histogram field), but not both. For a typical sender (real-time metric
  // streaming), in healthy cases, there will be only one sample or histogram.
  //
  // Samples and histograms are sorted by timestamp (older first).
  repeated Sample samples = 2 [(gogoproto.nullable) = false];
  repeated Histogram histograms = 3 [(gogoproto.nullable) = false];

  // exemplars represents an optional set of exemplars attached to this series' samples.
  repeated Exemplar exemplars = 4 [(gogoproto.nullable) = false];

  // metadata represents the metadata associated with the given series' samples.
  Metadata metadata = 5 [(gogoproto.nullable) = false];

  // created_timestamp represents an optional created timestamp associated with
  // this series' samples in ms format, typically for counter or histogram type
  // metrics. Created timestamp represents the time when the counter started
  // counting (sometimes referred to as start timestamp), which can increase
  // the accuracy of query results.
  //
  // Note that some receivers might require this and in return fail to
  // ingest such samples within the Request.
  //
  // For Go, see github.com/prometheus/prometheus/model/timestamp/timestamp.go
  // for conversion from/to time.Time to Prometheus timestamp.
  //
  // Note that the "optional" keyword is omitted due to
  // https://cloud.google.com/apis/design/design_patterns.md#optional_primitive_fields
  // Zero value means value not set. If you need to use exactly zero value for
  // the timestamp, use 1 millisecond before or after.
  int64 created_timestamp = 6;
}

// Exemplar is an additional information attached to some series' samples.
// It is typically used to attach an example trace or request ID associated with
// the metric changes.
message Exemplar {
  // labels_refs is an optional list of label name-value pair references, encoded
  // as indices to the Request.symbols array. This list's len is always
  // a multiple of 2, and the underlying labels should be sorted lexicographically.
  // If the exemplar references a trace it should use the \`trace_id\` label name, as a best practice.
  repeated uint32 labels_refs = 1;
  // value represents an exact example value. This can be useful when the exemplar
  // is attached to a histogram, which only gives an estimated value through buckets.
  double value = 2;
  // timestamp represents an optional timestamp of the sample in ms.
  //
  // For Go, see github.com/prometheus/prometheus/model/timestamp/timestamp.go
  // for conversion from/to time.Time to Prometheus timestamp.
  //
  // Note that the "optional" keyword is omitted due to
  // https://cloud.google.com/apis/design/design_patterns.md#optional_primitive_fields
  // Zero value means value not set. If you need to use exactly zero value for
  // the timestamp, use 1 millisecond before or after.
  int64 timestamp = 3;
}

// Sample represents series sample.
message Sample {
  // value of the sample.
  double value = 1;
  // timestamp represents timestamp of the sample in ms.
  //
  // For Go, see github.com/prometheus/prometheus/model/timestamp/timestamp.go
  // for conversion from/to time.Time to Prometheus timestamp.
  int64 timestamp = 2;
}

// Metadata represents the metadata associated with the given series' samples.
message Metadata {
  enum MetricType {
    METRIC_TYPE_UNSPECIFIED    = 0;
    METRIC_TYPE_COUNTER        = 1;
    METRIC_TYPE_GAUGE          = 2;
    METRIC_TYPE_HISTOGRAM      = 3;
    METRIC_TYPE_GAUGEHISTOGRAM = 4;
    METRIC_TYPE_SUMMARY        = 5;
    METRIC_TYPE_INFO           = 6;
    METRIC_TYPE_STATESET       = 7;
  }
  MetricType type = 1;
  // help_ref is a reference to the Request.symbols array representing help
  // text for the metric. Help is optional, reference should point to an empty string in
  // such a case.
  uint32 help_ref = 3;
  // unit_ref is a reference to the Request.symbols array representing a unit
  // for the metric. Unit is optional, reference should point to an empty string in
  // such a case.
  uint32 unit_ref = 4;
}

// A native histogram, also known as a sparse histogram.
// Original design doc:
// https://docs.google.com/document/d/1cLNv3aufPZb3fNfaJgdaRBZsInZKKIHo9E6HinJVbpM/edit
// The appendix of this design doc also explains the concept of float
// histograms. This Histogram message can represent both, the usual
// integer histogram as well as a float histogram.
message Histogram {
  enum ResetHint {
    RESET_HINT_UNSPECIFIED = 0; // Need to test for a counter reset explicitly.
    RESET_HINT_YES     = 1; // This is the 1st histogram after a counter reset.
    RESET_HINT_NO      = 2; // There was no counter reset between this and the previous Histogram.
    RESET_HINT_GAUGE   = 3; // This is a gauge histogram where counter resets don't happen.
  }

  oneof count { // Count of observations in the histogram.
    uint64 count_int   = 1;
    double count_float = 2;
  }
  double sum = 3; // Sum of observations in the histogram.

  // The schema defines the bucket schema. Currently, valid numbers
  // are -53 and numbers in range of -4 <= n <= 8. More valid numbers might be
  // added in future for new bucketing layouts.
  //
  // The schema equal to -53 means custom buckets. See
  // custom_values field description for more details.
  //
  // Values between -4 and 8 represent base-2 bucket schema, where 1
  // is a bucket boundary in each case, and then each power of two is
  // divided into 2^n (n is schema value) logarithmic buckets. Or in other words,
  // each bucket boundary is the previous boundary times 2^(2^-n).
  sint32 schema             = 4;
  double zero_threshold     = 5; // Breadth of the zero bucket.
  oneof zero_count { // Count in zero bucket.
    uint64 zero_count_int     = 6;
    double zero_count_float   = 7;
  }

  // Negative Buckets.
  repeated BucketSpan negative_spans =  8 [(gogoproto.nullable) = false];
  // Use either "negative_deltas" or "negative_counts", the former for
  // regular histograms with integer counts, the latter for
  // float histograms.
  repeated sint64 negative_deltas    =  9; // Count delta of each bucket compared to previous one (or to zero for 1st bucket).
  repeated double negative_counts    = 10; // Absolute count of each bucket.

  // Positive Buckets.
  //
  // In case of custom buckets (-53 schema value) the positive buckets are interpreted as follows:
  // * The span offset+length points to an the index of the custom_values array
  // or +Inf if pointing to the len of the array.
  // * The counts and deltas have the same meaning as for exponential histograms.
  repeated BucketSpan positive_spans = 11 [(gogoproto.nullable) = false];
  // Use either "positive_deltas" or "positive_counts", the former for
  // regular histograms with integer counts, the latter for
  // float histograms.
  repeated sint64 positive_deltas    = 12; // Count delta of each bucket compared to previous one (or to zero for 1st bucket).
  repeated double positive_counts    = 13; // Absolute count of each bucket.

  ResetHint reset_hint               = 14;
  // timestamp represents timestamp of the sample in ms.
  //
  // For Go, see github.com/prometheus/prometheus/model/timestamp/timestamp.go
  // for conversion from/to time.Time to Prometheus timestamp.
  int64 timestamp = 15;

  // custom_values is an additional field used by non-exponential bucketing layouts.
  //
  // For custom buckets (-53 schema value) custom_values specify monotonically
  // increasing upper inclusive boundaries for the bucket counts with arbitrary
  // widths for this histogram. In other words, custom_values represents custom,
  // explicit bucketing that could have been converted from the classic histograms.
  //
  // Those bounds are then referenced by spans in positive_spans with corresponding positive
  // counts of deltas (refer to positive_spans for more details). This way we can
  // have encode sparse histograms with custom bucketing (many buckets are often
  // not used).
  //
  // Note that for custom bounds, even negative observations are placed in the positive
  // counts to simplify the implementation and avoid ambiguity of where to place
  // an underflow bucket, e.g. (-2, 1]. Therefore negative buckets and
  // the zero bucket are unused, if the schema indicates custom bucketing.
  //
  // For each upper boundary the previous boundary represent the lower exclusive
  // boundary for that bucket. The first element is the upper inclusive boundary
  // for the first bucket, which implicitly has a lower inclusive bound of -Inf.
  // This is similar to "le" label semantics on classic histograms. You may add a
  // bucket with an upper bound of 0 to make sure that you really have no negative
  // observations, but in practice, native histogram rendering will show both with
  // or without first upper boundary 0 and no negative counts as the same case.
  //
  // The last element is not only the upper inclusive bound of the last regular
  // bucket, but implicitly the lower exclusive bound of the +Inf bucket.
  repeated double custom_values = 16;
}

// A BucketSpan defines a number of consecutive buckets with their
// offset. Logically, it would be more straightforward to include the
// bucket counts in the Span. However, the protobuf representation is
// more compact in the way the data is structured here (with all the
// buckets in a single array separate from the Spans).
message BucketSpan {
  sint32 offset = 1; // Gap to previous span, or starting point for 1st span (which can be negative).
  uint32 length = 2; // Length of consecutive buckets.
}
`;

const v1Root = protobuf.parse(REMOTE_WRITE_V1_PROTO, { keepCase: true }).root.resolveAll();
const v2Root = protobuf.parse(REMOTE_WRITE_V2_PROTO, { keepCase: true }).root.resolveAll();
const v1MetadataRoot = protobuf.parse(REMOTE_WRITE_V1_METADATA_PROTO, { keepCase: true }).root.resolveAll();
/** `prometheus.WriteRequest` as Prometheus defines it, with its metadata field. */
const WriteRequestV1Metadata = v1MetadataRoot.lookupType('prometheus.WriteRequest');
/** `prometheus.WriteRequest` as the 1.0 spec defines it. */
const WriteRequestV1 = v1Root.lookupType('prometheus.WriteRequest');
/** `io.prometheus.write.v2.Request` as the 2.0 spec defines it. */
const RequestV2 = v2Root.lookupType('io.prometheus.write.v2.Request');

/** One TimeSeries as decoded, labels resolved (2.0: through the symbols table). */
export interface DecodedSeries {
  labels: Array<{ name: string; value: string }>;
  timestamps: number[];
  /** A typed array, so NaN payloads can be checked. */
  values: Float64Array;
  /** 2.0 only: the raw labels_refs. */
  labelsRefs?: number[];
  /**
   * 2.0 only, when the TimeSeries has a Metadata field: its type as the enum's name
   * (`METRIC_TYPE_COUNTER`) and its help and unit resolved through the symbols table.
   */
  metadata?: DecodedMetadata;
}

/** Metadata as decoded: the type by its enum name in the schema used, texts resolved. */
export interface DecodedMetadata {
  type: string;
  help: string;
  unit: string;
}

/** A request as decoded with the spec's schema. */
export interface DecodedRequest {
  series: DecodedSeries[];
  /** 2.0 only. */
  symbols?: string[];
  /** Re-encoding the decoded message with protobufjs gives back the very same bytes: no unknown fields, no padding, canonical order. */
  canonical: boolean;
}

interface PbSample { value: number; timestamp: number | protobuf.Long }
interface PbLabel { name: string; value: string }
interface PbSeriesV1 { labels: PbLabel[]; samples: PbSample[] }
interface PbMetadataV2 { type: number; help_ref: number; unit_ref: number }
interface PbSeriesV2 { labels_refs: number[]; samples: PbSample[]; histograms: unknown[]; exemplars: unknown[]; metadata?: PbMetadataV2 | null; created_timestamp: number | protobuf.Long }

function int64(v: number | protobuf.Long): number {
  const n = typeof v === 'number' ? v : Number(BigInt(v.toString()));
  if (!Number.isSafeInteger(n)) throw new Error(`int64 ${String(v)} is not a safe integer`);
  return n;
}

function samplesOf(samples: PbSample[]): Pick<DecodedSeries, 'timestamps' | 'values'> {
  const values = new Float64Array(samples.length);
  samples.forEach((s, i) => { values[i] = s.value; });
  return { timestamps: samples.map((s) => int64(s.timestamp)), values };
}

/**
 * Snappy-decompresses `body` and decodes it with the schema of `protocol`. Throws when the body is
 * not valid Snappy or protobuf, when a 2.0 label or metadata ref points outside the symbols table,
 * or when a 2.0 TimeSeries carries anything but labels, samples and metadata.
 */
export function decodeRemoteWrite(protocol: RemoteWriteVersion, body: Uint8Array): DecodedRequest {
  const raw = uncompress(body);
  const type = protocol === '1.0' ? WriteRequestV1 : RequestV2;
  const message = type.decode(raw);
  const reencoded = type.encode(message).finish();
  const canonical = Buffer.from(reencoded).equals(Buffer.from(raw));
  if (protocol === '1.0') {
    const series = (message as unknown as { timeseries: PbSeriesV1[] }).timeseries.map((ts) => ({
      labels: ts.labels.map((l) => ({ name: l.name, value: l.value })),
      ...samplesOf(ts.samples),
    }));
    return { series, canonical };
  }
  const { symbols, timeseries } = message as unknown as { symbols: string[]; timeseries: PbSeriesV2[] };
  const symbol = (ref: number): string => {
    if (ref >= symbols.length) throw new Error(`label ref ${ref} is outside the ${symbols.length} symbols`);
    return symbols[ref]!;
  };
  const series = timeseries.map((ts) => {
    if (ts.labels_refs.length % 2 !== 0) throw new Error('labels_refs has an odd length');
    if (ts.histograms.length > 0 || ts.exemplars.length > 0 || int64(ts.created_timestamp) !== 0) {
      throw new Error('TimeSeries carries more than labels, samples and metadata');
    }
    const labels: DecodedSeries['labels'] = [];
    for (let i = 0; i < ts.labels_refs.length; i += 2) labels.push({ name: symbol(ts.labels_refs[i]!), value: symbol(ts.labels_refs[i + 1]!) });
    const decoded: DecodedSeries = { labels, labelsRefs: [...ts.labels_refs], ...samplesOf(ts.samples) };
    if (ts.metadata != null) {
      const metadataType = v2Root.lookupEnum('io.prometheus.write.v2.Metadata.MetricType');
      decoded.metadata = { type: metadataType.valuesById[ts.metadata.type]!, help: symbol(ts.metadata.help_ref), unit: symbol(ts.metadata.unit_ref) };
    }
    return decoded;
  });
  return { series, symbols: [...symbols], canonical };
}

/** One 1.0 `MetricMetadata` as decoded: the type by its enum name (`COUNTER`). */
export interface DecodedV1Metadata {
  type: string;
  metric_family_name: string;
  help: string;
  unit: string;
}

/**
 * Snappy-decompresses a 1.0 metadata request and decodes it with Prometheus's WriteRequest schema.
 * Throws when the body is not valid Snappy or protobuf or holds time series. `canonical` as for
 * `decodeRemoteWrite`.
 */
export function decodeV1MetadataRequest(body: Uint8Array): { metadata: DecodedV1Metadata[]; canonical: boolean } {
  const raw = uncompress(body);
  const message = WriteRequestV1Metadata.decode(raw);
  const canonical = Buffer.from(WriteRequestV1Metadata.encode(message).finish()).equals(Buffer.from(raw));
  const { timeseries, metadata } = WriteRequestV1Metadata.toObject(message, { enums: String, defaults: true }) as { timeseries: unknown[]; metadata: DecodedV1Metadata[] };
  if (timeseries.length > 0) throw new Error('a metadata request carries time series');
  return { metadata, canonical };
}
