/**
 * One HTTP(S) connection pool to one remote-write endpoint, turning every answer into a value.
 *
 * `send` never throws: the sender decides what to do from a `SendResult` alone. The
 * classification is the one of docs/reference.md "Delivery": network errors, timeouts, 5xx and 429 are
 * transient (`retry`, the batch is kept); other 4xx mean the receiver will never take that batch
 * (`reject`, the batch is dropped and counted). Everything else that is not 2xx (1xx leftovers,
 * unfollowed 3xx redirects) is retried too: it says nothing against the data, and dropping on a
 * misconfigured redirect would silently lose everything sent.
 *
 * node:http is used directly rather than fetch: it gives one keep-alive Agent per endpoint with a
 * bounded socket count, TLS options from files, and a request we can destroy on our own timer.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { redactUrls } from '../config/redact.js';
import type { Config } from '../config/types.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';

/**
 * The outcome of one request. `durationMs` runs from the call to the answer's last byte (or the
 * failure), so it includes connecting and uploading and feeds the bandwidth estimator.
 */
export type SendResult =
  | { kind: 'ok'; status: number; durationMs: number; headers?: Readonly<IncomingHttpHeaders> }
  | { kind: 'retry'; error: string; status?: number; retryAfterMs?: number; durationMs: number }
  | { kind: 'reject'; error: string; status: number; body: string; durationMs: number };

/** What a transport needs; `auth`, `headers`, `tls` and `timeoutMs` are the `remoteWrite` config values. */
export interface TransportOptions {
  /** The endpoint; userinfo (`user:pass@`) becomes basic auth when `auth.kind` is 'none', and is never logged. */
  url: string;
  auth: Config['remoteWrite']['auth'];
  /** Sent with every request; the per-request headers of `send` win over these. */
  headers: Readonly<Record<string, string>>;
  /** Files are read once, here; only used for https URLs. */
  tls: Config['remoteWrite']['tls'];
  /** Whole request, from connecting to the answer's last byte. */
  timeoutMs: number;
  /** `OUTPOST_QUEUE_RETRY_ON_HTTP_429`; when false a 429 is a reject. Default true, as in the contract. */
  retryOnHttp429?: boolean;
  /** Open connections at most; one per shard is all the sender can use. Default 4, the contract's default max shards. */
  maxSockets?: number;
  /** Wall clock, to turn a `Retry-After` HTTP-date into a delay. */
  clock?: Clock;
  log: Logger;
}

/** A pool of connections to one endpoint. */
export interface Transport {
  /** The endpoint URL without its userinfo: safe for logs, metrics and status. */
  readonly url: string;
  /**
   * POSTs `body` with the configured auth and headers plus `headers`, and resolves once the answer
   * has been read in full or the request failed, timed out or was aborted through `signal` (then a
   * `retry`: the data was not refused, the caller gave up). Never rejects. The caller keeps
   * ownership of `body`; it must not change until the promise settles. A 2xx result carries the
   * response headers (lower-case names), where a protocol reads what the receiver wrote.
   */
  send(body: Uint8Array, headers: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<SendResult>;
  /** Destroys the pooled connections; requests in flight fail as `retry`. Idempotent. */
  close(): void;
}

/** The error of a request given up through its abort signal (at the shutdown deadline). */
export const ABORTED = 'request aborted: shutdown deadline reached';

/** Bytes of a non-2xx answer kept for the error and the log; the rest is read and discarded. */
export const MAX_ERROR_BODY_BYTES = 1024;

/**
 * The delay a `Retry-After` value asks for in milliseconds: delta-seconds or an HTTP-date
 * (RFC 9110 §10.2.3), a date in the past giving 0. Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // All three HTTP-date forms start with a day name; checking it keeps V8's lenient Date.parse
  // from reading '1.5' or '-5' as dates. asctime has no zone but means GMT, as they all do.
  if (!/^[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(/GMT$/i.test(text) ? text : `${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Creates the transport for `options.url`. Throws when the URL is invalid or a TLS file cannot be read. */
export function createTransport(options: TransportOptions): Transport {
  const target = new URL(options.url);
  const https = target.protocol === 'https:';
  if (!https && target.protocol !== 'http:') throw new Error(`remote-write URL must be http or https, not ${target.protocol}`);
  const userinfo = target.username !== '' || target.password !== ''
    ? { username: decodeURIComponent(target.username), password: decodeURIComponent(target.password) }
    : null;
  target.username = '';
  target.password = '';
  const url = target.toString();
  const retryOnHttp429 = options.retryOnHttp429 ?? true;
  const clock = options.clock ?? systemClock;
  const log = options.log;

  const baseHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers)) baseHeaders[name.toLowerCase()] = value;
  const authorization = authorizationHeader(options.auth, userinfo);
  if (authorization !== null) baseHeaders['authorization'] = authorization;

  const { caFile, certFile, keyFile, insecureSkipVerify } = options.tls;
  if (!https && (caFile !== null || certFile !== null || keyFile !== null || insecureSkipVerify)) {
    log.warn({ url }, 'TLS settings are ignored for a plain http remote-write URL');
  }
  // keepAlive: a TLS handshake per request would cost more than a small request on a slow uplink.
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 4 };
  const agent = https
    ? new HttpsAgent({
      ...agentOptions,
      ca: caFile === null ? undefined : readTlsFile(caFile, 'CA'),
      cert: certFile === null ? undefined : readTlsFile(certFile, 'client certificate'),
      key: keyFile === null ? undefined : readTlsFile(keyFile, 'client key'),
      rejectUnauthorized: !insecureSkipVerify,
    })
    : new HttpAgent(agentOptions);
  const request = https ? httpsRequest : httpRequest;

  function send(body: Uint8Array, headers: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<SendResult> {
    if (signal?.aborted) return Promise.resolve({ kind: 'retry', error: ABORTED, durationMs: 0 });
    const started = performance.now();
    const elapsed = (): number => performance.now() - started;
    const requestHeaders: OutgoingHttpHeaders = { ...baseHeaders };
    for (const [name, value] of Object.entries(headers)) requestHeaders[name.toLowerCase()] = value;
    requestHeaders['content-length'] = body.byteLength;

    return new Promise<SendResult>((resolve) => {
      let settled = false;
      let timedOut = false;
      const finish = (result: SendResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        resolve(result);
      };
      const failed = (error: unknown): void => {
        const text = timedOut ? `no complete answer within the timeout of ${options.timeoutMs} ms` : signal?.aborted ? ABORTED : describeError(error);
        log.debug({ url, error: text }, 'remote-write request failed');
        finish({ kind: 'retry', error: text, durationMs: elapsed() });
      };

      let req: ClientRequest;
      try {
        req = request(target, { method: 'POST', agent, headers: requestHeaders }, (response) => {
          const status = response.statusCode ?? 0;
          readHead(response, MAX_ERROR_BODY_BYTES).then(
            (head) => finish(classify(status, response.headers, head, elapsed())),
            // The status line arrived: a 2xx means the receiver has the data even if its body broke off.
            (error: unknown) => isSuccess(status) ? finish({ kind: 'ok', status, durationMs: elapsed(), headers: response.headers }) : failed(error),
          );
        });
      } catch (error) {
        // request() throws synchronously for invalid header values. Retried, not rejected: the
        // data is fine, the configuration is not, and the error says so until it is fixed.
        settled = true;
        resolve({ kind: 'retry', error: describeError(error), durationMs: elapsed() });
        return;
      }
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error('timeout'));
      }, options.timeoutMs);
      const abort = (): void => {
        req.destroy(new Error(ABORTED));
      };
      signal?.addEventListener('abort', abort, { once: true });
      req.on('error', failed);
      req.end(body);
    });
  }

  function classify(status: number, headers: IncomingHttpHeaders, head: Buffer, durationMs: number): SendResult {
    if (isSuccess(status)) return { kind: 'ok', status, durationMs, headers };
    const body = head.toString('utf8');
    const error = `server returned HTTP status ${status}` + (body.trim() === '' ? '' : `: ${oneLine(body)}`);
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headerValue(headers['retry-after']), clock.now()) : undefined;
    if (status === 429 && !retryOnHttp429) return { kind: 'reject', error, status, body, durationMs };
    // 408 is the server timing out on us, which the contract retries like our own timeouts.
    if (status >= 400 && status < 500 && status !== 429 && status !== 408) return { kind: 'reject', error, status, body, durationMs };
    return retryAfterMs === undefined ? { kind: 'retry', error, status, durationMs } : { kind: 'retry', error, status, retryAfterMs, durationMs };
  }

  return {
    url,
    send,
    close: () => agent.destroy(),
  };
}

function authorizationHeader(auth: TransportOptions['auth'], userinfo: { username: string; password: string } | null): string | null {
  // Explicit settings win over credentials embedded in the URL.
  if (auth.kind === 'bearer') return `Bearer ${auth.token}`;
  const basic = auth.kind === 'basic' ? auth : userinfo;
  return basic === null ? null : 'Basic ' + Buffer.from(`${basic.username}:${basic.password}`).toString('base64');
}

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new Error(`cannot read the remote-write TLS ${what} file ${path}`, { cause });
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * Reads `response` to its end, keeping its first `limit` bytes. Reading to the end is what lets
 * the Agent reuse the connection; an answer that breaks off rejects.
 */
function readHead(response: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const kept: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      if (size >= limit) return;
      const part = chunk.subarray(0, limit - size);
      kept.push(part);
      size += part.length;
    });
    response.once('end', () => resolve(Buffer.concat(kept, size)));
    response.on('error', reject);
    // 'end' comes before 'close' on a complete answer, so this only fires for a cut one.
    response.once('close', () => reject(new Error('connection closed before the answer was complete')));
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A short, single-line, secret-free text for a network error. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return redactUrls(String(error));
  // Node 20 reports a failed connect to a dual-stack name as an AggregateError with an empty message.
  const inner = error instanceof AggregateError && error.message === '' ? error.errors[0] as unknown : undefined;
  const source = inner instanceof Error ? inner : error;
  const code = (source as NodeJS.ErrnoException).code;
  const message = source.message === '' ? (code ?? 'connection failed') : source.message;
  return redactUrls(oneLine(code !== undefined && !message.includes(code) ? `${code}: ${message}` : message));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
