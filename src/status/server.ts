import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/log.js';
import type { MetricsRegistry } from './self-metrics.js';

/** Where the status server listens; port 0 asks the system for a free port. */
export interface HttpAddress {
  host: string;
  port: number;
}

/** What the status server needs; it owns none of it. */
export interface StatusServerOptions {
  address: HttpAddress;
  /** Rendered on every `GET /metrics`. */
  registry: MetricsRegistry;
  /** True once the WAL is open and inputs started; answers `/-/ready`. */
  isReady: () => boolean;
  /** Used as given: pass a child logger carrying the component. */
  log: Logger;
  /**
   * The document of `GET /api/v1/status`, serialised as JSON; without it that path is 404. Gets
   * the query (`?history=1` asks for chart data).
   */
  status?: (query: URLSearchParams) => unknown;
  /** The status page of `GET /` (HTML, and headers such as its Content-Security-Policy); without it `/` is 404. */
  page?: () => { html: string; headers?: Record<string, string> };
}

/** The HTTP server of health checks, own metrics and the status API. */
export interface StatusServer {
  /** Starts listening; resolves with the bound address (the real port when 0 was asked), rejects if it cannot bind. */
  start(): Promise<HttpAddress>;
  /** Stops listening and ends every connection, keep-alive ones included; idempotent. */
  close(): Promise<void>;
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

const TEXT = 'text/plain; charset=utf-8';
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const ALLOWED = 'GET, HEAD';
const NOT_FOUND: Answer = { status: 404, contentType: TEXT, body: 'Not found\n' };

/** Creates a status server; nothing listens until `start()`. */
export function createStatusServer(options: StatusServerOptions): StatusServer {
  const { registry, isReady, log, status, page } = options;

  // Every route is computed in full before anything is written, so a throwing handler can still be
  // answered with a clean 500.
  const routes = new Map<string, (query: URLSearchParams) => Answer>([
    ['/-/healthy', () => ({ status: 200, contentType: TEXT, body: 'Healthy\n' })],
    ['/-/ready', () => (isReady()
      ? { status: 200, contentType: TEXT, body: 'Ready\n' }
      : { status: 503, contentType: TEXT, body: 'Not ready\n' })],
    ['/metrics', () => ({ status: 200, contentType: PROMETHEUS_TEXT, body: registry.render() })],
  ]);
  if (status !== undefined) {
    routes.set('/api/v1/status', (query) => ({ status: 200, contentType: JSON_TYPE, body: JSON.stringify(status(query)) + '\n' }));
  }
  if (page !== undefined) {
    routes.set('/', () => {
      const { html, headers } = page();
      return { status: 200, contentType: HTML, body: html, headers };
    });
  }

  function answer(req: IncomingMessage): Answer {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const route = routes.get(query === -1 ? url : url.slice(0, query));
    if (route === undefined) return NOT_FOUND;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return { status: 405, contentType: TEXT, body: 'Method not allowed\n', headers: { Allow: ALLOWED } };
    }
    try {
      return route(new URLSearchParams(query === -1 ? '' : url.slice(query + 1)));
    } catch (err) {
      log.error({ err, method: req.method, path: url }, 'status request failed');
      return { status: 500, contentType: TEXT, body: 'Internal server error\n' };
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const a = answer(req);
    const headers: Record<string, string | number> = {
      'Content-Type': a.contentType,
      'Content-Length': Buffer.byteLength(a.body),
      // Health and metrics are live values; a cache in between would only mislead.
      'Cache-Control': 'no-store',
    };
    Object.assign(headers, a.headers);
    res.writeHead(a.status, headers);
    res.end(req.method === 'HEAD' ? undefined : a.body);
  }

  const server = createServer(handle);
  let closing: Promise<void> | undefined;

  return {
    start() {
      return new Promise((resolve, reject) => {
        const { host, port } = options.address;
        const onError = (cause: Error) => reject(new Error(`cannot listen on ${host}:${port}`, { cause }));
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          // Without a listener a later 'error' event would end the process; the status page is not worth that.
          server.on('error', (err) => log.error({ err }, 'status server error'));
          const bound = server.address() as AddressInfo;
          log.info({ host: bound.address, port: bound.port }, 'status server listening');
          resolve({ host: bound.address, port: bound.port });
        });
      });
    },

    close() {
      closing ??= new Promise((resolve) => {
        // The callback gets an error when the server never listened, which is fine here. close() alone
        // would wait for connections mid-request (up to requestTimeout, 5 min), hence closeAllConnections.
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
