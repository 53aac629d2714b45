/**
 * A pass-through in front of a real receiver that records the headers of every request: the
 * receiver decides (it checks credentials, stores the samples), the test sees what was sent.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A running proxy; `url` is the receiver's write URL through it. */
export interface RecordingProxy {
  readonly url: string;
  /** The headers of every request so far, in arrival order. */
  readonly headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 forwarding to `targetUrl` (same path and query as asked). With
 * `require` (lower-case header names) it stands for a receiver's auth gateway: a request without
 * those exact header values is answered 401 and not forwarded.
 */
export async function startRecordingProxy(targetUrl: string, require: Readonly<Record<string, string>> = {}): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const headers: IncomingHttpHeaders[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    headers.push(req.headers);
    if (Object.entries(require).some(([name, value]) => req.headers[name] !== value)) {
      req.resume();
      res.writeHead(401).end('unauthorized');
      return;
    }
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    headers,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}
