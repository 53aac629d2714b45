import { get as httpGet, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { get as httpsGet } from 'node:https';
import { pipeline } from 'node:stream/promises';
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
 * timeout, an unsupported Content-Encoding, or a body over the limit (detected while streaming,
 * so at most the limit plus one chunk is ever held).
 */
export async function fetchBody(url: URL, headers: OutgoingHttpHeaders, limits: FetchLimits): Promise<Buffer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
  let size = 0;
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const get = url.protocol === 'https:' ? httpsGet : httpGet;
      get(url, { headers, signal: controller.signal }, resolve).once('error', reject);
    });
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) {
      response.resume();
      throw new Error(`server returned HTTP status ${status}${response.statusMessage ? ' ' + response.statusMessage : ''}`);
    }
    const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
      response.resume();
      throw new Error(`server sent unsupported Content-Encoding ${JSON.stringify(encoding)}; only gzip was asked for`);
    }
    const chunks: Buffer[] = [];
    const collect = async (source: AsyncIterable<Buffer>): Promise<void> => {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > limits.maxBodyBytes) throw new Error('body over the limit');
        chunks.push(chunk);
      }
    };
    if (encoding === 'identity') await pipeline(response, collect, { signal: controller.signal });
    else await pipeline(response, createGunzip(), collect, { signal: controller.signal });
    return Buffer.concat(chunks, size);
  } catch (error) {
    // Checked here, not thrown from `collect`: Node 20's pipeline replaces the last stage's error
    // with an AbortError when a gunzip stage sits in between.
    if (size > limits.maxBodyBytes) throw new Error(`body is larger than the limit of ${limits.maxBodyBytes} bytes`);
    if (controller.signal.aborted) throw new Error(`no complete answer within the timeout of ${limits.timeoutMs} ms`, { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
