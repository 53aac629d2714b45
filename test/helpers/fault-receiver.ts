/**
 * A fake remote-write receiver on 127.0.0.1 for fault injection: it answers as told (204, any
 * status with Retry-After and body, hang, connection reset, a slow reader, a moving head that
 * refuses old samples, a 1.0-only receiver's answer to 2.0) and records every request. It decodes
 * bodies only where an answer depends on them; tests of delivery semantics use the real
 * Prometheus, this is for the faults Prometheus cannot be made to produce on demand.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeRemoteWrite } from './remote-write-schema.js';

/** How the receiver answers; switchable at any time with `setMode`. */
export type FaultMode =
  /** 204 No Content, as Prometheus answers a good write. */
  | { kind: 'ok' }
  /**
   * `status` with an optional Retry-After header and text body; after `times` such answers (if
   * given) the receiver goes back to 'ok' by itself, so no other request can slip in between.
   */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; times?: number }
  /**
   * What Prometheus does after a long outage: a request holding any sample older than
   * `maxAgeMs` before now is refused whole (400 "out of bounds"), a request of newer samples taken.
   */
  | { kind: 'head'; maxAgeMs: number }
  /** Reads the request and never answers; held requests get the next mode that is not 'hang'. */
  | { kind: 'hang' }
  /** Reads the request, then resets the connection (TCP RST). */
  | { kind: 'reset' }
  /** Reads the body at `bytesPerSecond`, then answers 204. */
  | { kind: 'throttle'; bytesPerSecond: number };

/** One request as it arrived; `body` is the raw bytes (snappy-compressed protobuf for remote write). */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Date.now() when the body had been read. */
  receivedAt: number;
  /** The client's port: equal ports mean one reused keep-alive connection. */
  remotePort: number;
  /** The mode the request was answered with. */
  mode: FaultMode['kind'];
  /** The protocol of the body, from its Content-Type. */
  protocol: '1.0' | '2.0';
  /** Answered 2xx in a protocol the receiver understands: a real receiver would have stored it. */
  stored: boolean;
}

/** Server key and certificate (PEM) for https; `ca` plus `requestClientCert` demand a client certificate (mTLS). */
export interface FaultReceiverTls {
  key: Buffer | string;
  cert: Buffer | string;
  ca?: Buffer | string;
  requestClientCert?: boolean;
}

/** A running receiver. */
export interface FaultReceiver {
  /** `http(s)://127.0.0.1:<port>/api/v1/write`. */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in arrival order (the array is live). */
  readonly requests: ReceivedRequest[];
  /** Changes how the next requests (and requests held by 'hang') are answered. */
  setMode(mode: FaultMode): void;
  /** Resolves once `count` requests have been recorded; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Stops listening and destroys every connection, held requests included. Idempotent. */
  close(): Promise<void>;
}

/** Options of a receiver. */
export interface FaultReceiverOptions {
  /** How it answers at first; default ok. */
  mode?: FaultMode;
  tls?: FaultReceiverTls;
  /**
   * Whether it speaks Remote-Write 2.0 (default true): a 2xx to a 2.0 request then carries the
   * spec's X-Prometheus-Remote-Write-*-Written headers. False answers 2.0 requests as a 1.0-only
   * receiver does: 2xx without them, having stored nothing.
   */
  rw2?: boolean;
  /** The Authorization header it requires, as a receiver behind auth does: any other gets 401, stores nothing. */
  authorization?: string;
}

/** Starts a receiver on 127.0.0.1, port chosen by the system, answering with `mode` (default ok). */
export async function startFaultReceiver(options: FaultReceiverOptions = {}): Promise<FaultReceiver> {
  const rw2 = options.rw2 ?? true;
  let mode: FaultMode = options.mode ?? { kind: 'ok' };
  const requests: ReceivedRequest[] = [];
  const held: Array<{ request: ReceivedRequest; response: ServerResponse }> = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  let closed = false;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res).catch(() => res.destroy());
  };
  const tls = options.tls;
  const server = tls === undefined
    ? createHttpServer(handler)
    : createHttpsServer({
      key: tls.key, cert: tls.cert, ca: tls.ca,
      requestCert: tls.requestClientCert ?? false, rejectUnauthorized: tls.requestClientCert ?? false,
    }, handler);
  // TLS connections are tracked on 'secureConnection'; 'connection' would give the raw socket.
  server.on(tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const current = mode;
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      if (current.kind === 'throttle') await sleep((chunk.length * 1000) / current.bytesPerSecond);
    }
    const protocol = /proto=io\.prometheus\.write\.v2\.Request/.test(req.headers['content-type'] ?? '') ? '2.0' : '1.0';
    const request: ReceivedRequest = {
      method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks),
      receivedAt: Date.now(), remotePort: req.socket.remotePort ?? 0, mode: current.kind, protocol, stored: false,
    };
    requests.push(request);
    for (const wake of waiters) wake();
    if (current.kind === 'hang') held.push({ request, response: res });
    else answer(current, request, res);
  }

  function answer(current: Exclude<FaultMode, { kind: 'hang' }>, request: ReceivedRequest, res: ServerResponse): void {
    if (current.kind === 'status' && current.times !== undefined && --current.times <= 0) mode = { kind: 'ok' };
    if (options.authorization !== undefined && request.headers.authorization !== options.authorization) {
      refuse(res, 401, 'unauthorized');
    } else if (current.kind === 'reset') {
      res.socket?.resetAndDestroy();
    } else if (current.kind === 'status') {
      refuse(res, current.status, current.body ?? '', current.retryAfter);
    } else if (current.kind === 'head' && oldestSample(request) < Date.now() - current.maxAgeMs) {
      request.mode = 'status';
      refuse(res, 400, 'out of bounds');
    } else {
      const understood = request.protocol === '1.0' || rw2;
      request.stored = understood;
      res.writeHead(204, understood && request.protocol === '2.0' ? writtenHeaders(request) : {}).end();
    }
  }

  function refuse(res: ServerResponse, status: number, body: string, retryAfter?: string): void {
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    res.writeHead(status, headers).end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/api/v1/write`,
    port,
    requests,
    setMode(next) {
      mode = next;
      if (next.kind === 'hang') return;
      for (const { request, response } of held.splice(0)) {
        // A request its sender gave up on (aborted, timed out) cannot be answered any more.
        if (response.socket === null || response.socket.destroyed) continue;
        request.mode = next.kind;
        answer(next, request, response);
      }
    },
    waitForRequests(count, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (requests.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fault receiver got ${requests.length} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      held.length = 0;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}

/** The oldest sample time of a request, Infinity when it has none. */
function oldestSample(request: ReceivedRequest): number {
  let oldest = Infinity;
  for (const s of decodeRemoteWrite(request.protocol, request.body).series) for (const t of s.timestamps) oldest = Math.min(oldest, t);
  return oldest;
}

/** The 2.0 spec's written-count headers for everything in `request`. */
function writtenHeaders(request: ReceivedRequest): Record<string, string> {
  let samples = 0;
  for (const s of decodeRemoteWrite('2.0', request.body).series) samples += s.timestamps.length;
  return {
    'X-Prometheus-Remote-Write-Samples-Written': String(samples),
    'X-Prometheus-Remote-Write-Histograms-Written': '0',
    'X-Prometheus-Remote-Write-Exemplars-Written': '0',
  };
}
