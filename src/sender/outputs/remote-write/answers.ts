/**
 * What a remote-write receiver's answer says beyond its status: how many samples a 2.0 receiver
 * wrote, and what a refusal refused.
 */
import type { Refusal } from '../output.js';

/** What a 2.0 receiver says it wrote, from its `X-Prometheus-Remote-Write-*-Written` headers. */
export interface WrittenCounts {
  readonly samples: number;
  readonly histograms: number;
  readonly exemplars: number;
}

const COUNT = /^\d+$/;

/**
 * Reads the `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written` headers of a
 * response to a 2.0 request through `header` (e.g. `(name) => response.headers.get(name)`). A
 * missing or malformed header counts 0, as the 2.0 spec lets a sender assume; when none of the
 * three is present, returns null: the 2.0 spec says a 2xx without them most likely comes from a
 * 1.0 receiver that decoded the body as an empty 1.0 message, to be treated as 415. Meaningless
 * for 1.0 requests, whose receivers need not send these headers.
 */
export function readWrittenCounts(header: (name: string) => string | null | undefined): WrittenCounts | null {
  const samples = header('X-Prometheus-Remote-Write-Samples-Written');
  const histograms = header('X-Prometheus-Remote-Write-Histograms-Written');
  const exemplars = header('X-Prometheus-Remote-Write-Exemplars-Written');
  if (samples == null && histograms == null && exemplars == null) return null;
  return { samples: count(samples), histograms: count(histograms), exemplars: count(exemplars) };
}

function count(text: string | null | undefined): number {
  const trimmed = text?.trim();
  return trimmed !== undefined && COUNT.test(trimmed) ? Number(trimmed) : 0;
}

/**
 * What a refusal's body says was refused, in the words of Prometheus, Mimir, Cortex and
 * VictoriaMetrics; 'other' when it names no samples (a malformed request, a missing tenant).
 */
export function refusalReason(body: string): Refusal {
  const text = body.toLowerCase();
  if (text.includes('out of order')) return 'out_of_order';
  if (text.includes('out of bounds')) return 'out_of_bounds';
  if (text.includes('too old')) return 'too_old';
  return 'other';
}
