import { get as httpGet, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Limits of one body fetch. */
export interface FetchLimits {
  /** Whole request, from connecting to the last byte read. */
  timeoutMs: number;
  /** Largest body accepted, counted after gzip decoding (a small gzip body can unpack to gigabytes). */
  maxBodyBytes: number;
}

/**
 * GETs `url` (http or https) and returns its body, gunzipped when the server says so. Rejects
 * with an Error whose message says what went wrong: a connection error, a non-2xx status, a
 * timeout, an unsupported Content-Encoding, a connection closed before the body's end, or a body
 * over the limit (detected while streaming, so at most the limit plus one chunk is ever held).
 *
 * Plain stream events rather than `pipeline` with an AbortSignal and an async iterator: this runs
 * once per target every scrape interval, and those cost a measurable share of the CPU per sample.
 */
export function fetchBody(url: URL, headers: OutgoingHttpHeaders, limits: FetchLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let body: Readable | undefined;
    const request = (url.protocol === 'https:' ? httpsGet : httpGet)(url, { headers });
    /** Marks the fetch as answered; false when it already was (the timer or an error came first). */
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      return true;
    };
    // `drop` closes the connection; an answer that is only refused (a status, an encoding) is
    // drained instead, so that its keep-alive connection serves the next scrape.
    const fail = (error: Error, drop = true): void => {
      if (!settle()) return;
      if (drop) {
        request.destroy();
        body?.destroy();
      }
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`no complete answer within the timeout of ${limits.timeoutMs} ms`)), limits.timeoutMs);
    request.on('error', fail);
    request.once('response', (response: IncomingMessage) => {
      response.on('error', fail);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        response.resume();
        fail(new Error(`server returned HTTP status ${status}${response.statusMessage ? ' ' + response.statusMessage : ''}`), false);
        return;
      }
      const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
        response.resume();
        fail(new Error(`server sent unsupported Content-Encoding ${JSON.stringify(encoding)}; only gzip was asked for`), false);
        return;
      }
      // pipe() does not pass the response's errors on: the gunzip stage gets its own listener.
      const source = encoding === 'identity' ? response : response.pipe(createGunzip().on('error', fail));
      body = source;
      const chunks: Buffer[] = [];
      let size = 0;
      source.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBodyBytes) fail(new Error(`body is larger than the limit of ${limits.maxBodyBytes} bytes`));
        else chunks.push(chunk);
      });
      source.once('end', () => {
        if (settle()) resolve(Buffer.concat(chunks, size));
      });
    });
  });
}
