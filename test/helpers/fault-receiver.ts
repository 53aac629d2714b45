/**
 * A fake remote-write receiver on 127.0.0.1 for fault injection: it answers as told (204, any
 * status with Retry-After and body, hang, connection reset, a slow reader) and records every
 * request. It never checks what it receives; tests of delivery semantics use the real Prometheus,
 * this is for the faults Prometheus cannot be made to produce.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the receiver answers; switchable at any time with `setMode`. */
export type FaultMode =
  /** 204 No Content, as Prometheus answers a good write. */
  | { kind: 'ok' }
  /** `status` with an optional Retry-After header and text body. */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
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

/** Starts a receiver on 127.0.0.1, port chosen by the system, answering with `mode` (default ok). */
export async function startFaultReceiver(options: { mode?: FaultMode; tls?: FaultReceiverTls } = {}): Promise<FaultReceiver> {
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
    const request: ReceivedRequest = {
      method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks),
      receivedAt: Date.now(), remotePort: req.socket.remotePort ?? 0, mode: current.kind,
    };
    requests.push(request);
    for (const wake of waiters) wake();
    if (current.kind === 'hang') held.push({ request, response: res });
    else answer(current, res);
  }

  function answer(current: Exclude<FaultMode, { kind: 'hang' }>, res: ServerResponse): void {
    if (current.kind === 'reset') {
      res.socket?.resetAndDestroy();
    } else if (current.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
      if (current.retryAfter !== undefined) headers['retry-after'] = current.retryAfter;
      res.writeHead(current.status, headers).end(current.body ?? '');
    } else {
      res.writeHead(204).end();
    }
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
        request.mode = next.kind;
        answer(next, response);
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
