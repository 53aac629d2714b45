/**
 * Prometheus remote write as an endpoint's output: 1.0 or 2.0 bodies, Snappy-compressed, with the
 * specs' headers (encode.ts), answers read as the specs and receivers word them (answers.ts), and
 * the fall back from 2.0 to 1.0 for a receiver that does not speak 2.0 (protocol-negotiation.ts).
 */
import type { Logger } from '../../../lib/log.js';
import type { FamilyMetadata, Output, OutputRequest } from '../output.js';
import { refusalReason } from './answers.js';
import { encodeMetadataRequest, encodeRequest, remoteWriteHeaders, type RemoteWriteVersion } from './encode.js';
import { createProtocolNegotiation } from './protocol-negotiation.js';

const PROTOCOLS: readonly RemoteWriteVersion[] = ['1.0', '2.0'];

/**
 * The output of an endpoint configured for `configured`; `version` (outpost's) goes into the
 * User-Agent, and `log` gets the fall back's warning.
 */
export function createRemoteWriteOutput(configured: RemoteWriteVersion, version: string, log: Logger): Output {
  const negotiation = createProtocolNegotiation(configured, log);
  // Built once: every request in a protocol carries the same headers.
  const headers = { '1.0': remoteWriteHeaders('1.0', version), '2.0': remoteWriteHeaders('2.0', version) };
  const encodeMetadata = (entries: ReadonlyArray<FamilyMetadata>): OutputRequest =>
    ({ protocol: '1.0', body: encodeMetadataRequest(entries), headers: headers['1.0'] });
  return {
    get protocol() {
      return negotiation.current;
    },
    protocols: PROTOCOLS,
    // 2.0 series carry their family's metadata (WireSeries.metadata).
    get encodeMetadata() {
      return negotiation.current === '1.0' ? encodeMetadata : null;
    },
    encode(series, dense) {
      const protocol = negotiation.current;
      return { protocol, body: encodeRequest(protocol, series, dense), headers: headers[protocol] };
    },
    judge(request, result, samples) {
      // `request` came from `encode` or `encodeMetadata`, so its protocol is one of PROTOCOLS.
      const sentAs = request.protocol as RemoteWriteVersion;
      return negotiation.judge(sentAs, result, samples, result.kind === 'reject' ? refusalReason(result.body) : 'other');
    },
  };
}
