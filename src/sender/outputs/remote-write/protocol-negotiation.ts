/**
 * Which remote-write protocol an endpoint is sent, and the fall back from 2.0 to 1.0.
 *
 * A receiver that predates Remote-Write 2.0 (Prometheus before 2.54, VictoriaMetrics 1.79) does
 * not refuse a 2.0 body: it decodes it as an empty 1.0 message and answers 2xx, having stored
 * nothing. The 2.0 spec therefore makes a receiver report what it wrote in
 * `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written`, and tells the sender to treat
 * a 2xx without them as 415 Unsupported Media Type. So, for an endpoint configured for 2.0:
 * - 415, a 2xx without the written headers, or a 400 to a 2.0 request before any 2.0 request was
 *   confirmed (that is not a refusal of the samples themselves) means "no 2.0 here": the endpoint
 *   falls back to 1.0 for the life of the process, and the sender resends the same samples as 1.0
 *   at once, so nothing is lost in the switch. A restart tries 2.0 again.
 * - a 2xx with the headers confirms 2.0; samples sent but not written are reported as such.
 */
import type { Logger } from '../../../lib/log.js';
import type { SendResult } from '../../transport.js';
import type { Refusal, Verdict } from '../output.js';
import { readWrittenCounts } from './answers.js';
import type { RemoteWriteVersion } from './encode.js';

/** The protocol state of one endpoint. */
export interface ProtocolNegotiation {
  /** The protocol the next request is encoded in. */
  readonly current: RemoteWriteVersion;
  /**
   * Judges `result`, the answer to a request of `samples` samples encoded in `sentAs`: `resend`
   * when it shows the receiver does not understand 2.0 (switching to 1.0), else the answer as it
   * is, with the samples an accepted 2.0 request did not write. `reason`, what a reject refused,
   * is passed on; a refusal of samples (out of order, out of bounds, too old) is no sign against 2.0.
   */
  judge(sentAs: RemoteWriteVersion, result: SendResult, samples: number, reason: Refusal): Verdict;
}

/** Creates the negotiation of an endpoint configured for `configured`. */
export function createProtocolNegotiation(configured: RemoteWriteVersion, log: Logger): ProtocolNegotiation {
  let current = configured;
  let confirmed = configured === '1.0';
  const fallBack = (why: string): Verdict => {
    if (current === '2.0') {
      current = '1.0';
      log.warn({ why }, 'endpoint does not understand remote write 2.0; falling back to 1.0 until restart');
    }
    return { kind: 'resend' };
  };
  return {
    get current() {
      return current;
    },
    judge(sentAs, result, samples, reason) {
      if (sentAs === '1.0') return { kind: 'as-is', notWritten: 0, reason };
      if (result.kind === 'ok') {
        const written = readWrittenCounts((name) => headerValue(result.headers?.[name.toLowerCase()]));
        if (written === null) return fallBack(`HTTP ${result.status} without X-Prometheus-Remote-Write-*-Written headers`);
        confirmed = true;
        return { kind: 'as-is', notWritten: Math.max(0, samples - written.samples), reason };
      }
      if (result.kind === 'reject' && result.status === 415) return fallBack(result.error);
      if (result.kind === 'reject' && result.status === 400 && !confirmed && reason === 'other') return fallBack(result.error);
      return { kind: 'as-is', notWritten: 0, reason };
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
