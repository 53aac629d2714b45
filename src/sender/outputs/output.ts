/**
 * The contract between the sender and an endpoint's wire protocol.
 *
 * An output turns the sender's series into request bodies with their headers and reads the
 * answers in its protocol's terms; the shared transport (transport.ts) carries the bytes and sorts
 * every answer into `ok`, `retry` or `reject` by the contract's delivery rules, which hold for
 * every protocol. Everything else the sender does (rounds, shards, backoff, pace, splitting
 * refused requests, byte caps) is the same for all outputs. Each endpoint has an output of its
 * own, built from its PROTOCOL setting (outputs.ts), and the output may keep state, such as which
 * of its encodings the receiver understands.
 */
import type { MetricMetadata } from '../../model/metadata.js';
import type { SendResult } from '../transport.js';
import type { SeriesSamples } from '../series-samples.js';

/** One encoded request: what goes on the wire, and the encoding it went in. */
export interface OutputRequest {
  /** The encoding, as `Output.protocol` names it. */
  readonly protocol: string;
  /** Compressed as `headers` say; the caller owns it. */
  readonly body: Uint8Array;
  /** Content-Type, Content-Encoding and whatever else the protocol requires; shared between requests, never to be changed. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A metric family's metadata, as `Output.encodeMetadata` takes it. */
export interface FamilyMetadata {
  readonly family: string;
  readonly metadata: MetricMetadata;
}

/** What a receiver said when it refused samples, in its own words. */
export type Refusal = 'out_of_order' | 'out_of_bounds' | 'too_old' | 'other';

/** What an answer means in the output's protocol. */
export type Verdict =
  /** The receiver does not understand the encoding the request went in, and `encode` now picks another: send the same samples again at once. */
  | { kind: 'resend' }
  /**
   * The transport's answer stands. Of an `ok`, `notWritten` is how many of the samples the
   * receiver says it did not store (0 when it does not say); of a `reject`, `reason` is what it
   * refused ('other' for anything else, and for answers that are not refusals).
   */
  | { kind: 'as-is'; notWritten: number; reason: Refusal };

/** One endpoint's protocol: how its requests are encoded and its answers read. */
export interface Output {
  /** The encoding the next request goes in (`2.0`, or `1.0` after a fall back), shown in the endpoint's status. */
  readonly protocol: string;
  /** Every value `protocol` may take, for outpost_remote_write_protocol{protocol}. */
  readonly protocols: readonly string[];
  /**
   * Encodes `series` (each one's samples oldest first) as one request; no series makes an empty
   * request, which the sender uses to ask whether the endpoint is back.
   * Synchronous, so `series` may be views into buffers the caller reuses. Throws when a sample
   * breaks an invariant (a timestamp that is not a safe integer): the sender's round fails.
   * `dense`: bytes count more than CPU (a metered or tight link), so compress harder.
   */
  encode(series: ReadonlyArray<SeriesSamples>, dense?: boolean): OutputRequest;
  /**
   * Encodes a request of metric metadata alone, for a protocol that sends it apart from samples
   * (RW 1.0, as Prometheus does); null while metadata rides on the series (RW 2.0) or when the
   * protocol has none. Read before each metadata round, as it may change with `protocol`.
   */
  readonly encodeMetadata: ((entries: ReadonlyArray<FamilyMetadata>) => OutputRequest) | null;
  /** Reads `result`, the answer to `request` (made by this output's `encode`) of `samples` samples. */
  judge(request: OutputRequest, result: SendResult, samples: number): Verdict;
}
