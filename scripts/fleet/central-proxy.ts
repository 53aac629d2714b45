/**
 * The fleet's view of its central receiver: a proxy on loopback in front of the real store that
 * the harness switches between up, down (connection refused, or 503) and a tenant limit: a token
 * bucket of samples per second, refilled at `capacity` and holding `burstSeconds` of it, past which
 * a request is answered 429 with the Retry-After of when the bucket would hold it (as Mimir's
 * ingestion_rate / ingestion_burst_size do). Refused requests never reach the store.
 *
 * It records what the store accepted, per gateway: distinct samples, duplicates (a timestamp the
 * series had before) and, among the distinct ones, samples older than their series' newest (out of
 * order: the store takes them, so they count as delivered too, and a sender that reorders still
 * catches up), and every answer it gave with its time, so the harness can tell catch-up times and
 * the share of 429s without asking the senders.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { walkRemoteWrite } from './rw-walk.js';

/** How the proxy answers. */
export type ProxyState = 'up' | 'refuse' | 'unavailable';

/** One answer given. */
export interface ProxyAnswer {
  at: number;
  status: number;
  samples: number;
}

/** What the store accepted of one gateway, as seen through the proxy. */
export interface GatewayDelivery {
  /** Distinct samples accepted, in order or not. */
  samples: number;
  /** Of those, samples of series whose name starts with the synthetic prefix. */
  synthetic: number;
  /** Accepted samples with a timestamp before `mark` (see `setMark`). */
  samplesBeforeMark: number;
  /** Only of series whose name starts with the synthetic prefix. */
  syntheticBeforeMark: number;
  /** Samples whose series had their timestamp before. */
  duplicates: number;
  /** Distinct samples older than their series' newest when they arrived. */
  outOfOrder: number;
}

/** A running proxy. */
export interface CentralProxy {
  readonly url: string;
  state(): ProxyState;
  setState(state: ProxyState): Promise<void>;
  /** Samples per second the store takes at most; null: no limit. The bucket starts full. */
  setCapacity(samplesPerSecond: number | null): void;
  /** From now on, samples with a timestamp before `markMs` are also counted in `samplesBeforeMark`. */
  setMark(markMs: number): void;
  readonly answers: readonly ProxyAnswer[];
  delivery(gateway: string): GatewayDelivery;
  gateways(): string[];
  /** Samples accepted since the start, all gateways. */
  acceptedSamples(): number;
  close(): Promise<void>;
}

/** Options of the proxy. */
export interface CentralProxyOptions {
  /** The store's remote-write URL. */
  target: string;
  /** Seconds of capacity the bucket holds; default 5. */
  burstSeconds?: number;
  /** Metric-name prefix of the synthetic series counted in `syntheticBeforeMark`. */
  syntheticPrefix: string;
}

/** Starts the proxy on 127.0.0.1, up and without a limit. */
export async function startCentralProxy(options: CentralProxyOptions): Promise<CentralProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const burstSeconds = options.burstSeconds ?? 5;
  let state: ProxyState = 'up';
  let capacity: number | null = null;
  let tokens = 0;
  let refilledAt = Date.now();
  let mark = Infinity;
  let accepted = 0;
  const answers: ProxyAnswer[] = [];
  const newest = new Map<string, number>();
  // Every timestamp each series had, as milliseconds since the proxy started: small integers,
  // which V8 keeps in the set itself (a few bytes each, not a heap number).
  const seen = new Map<string, Set<number>>();
  const origin = Date.now();
  const perGateway = new Map<string, GatewayDelivery>();
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  function deliveryOf(gateway: string): GatewayDelivery {
    let d = perGateway.get(gateway);
    if (d === undefined) {
      d = { samples: 0, synthetic: 0, samplesBeforeMark: 0, syntheticBeforeMark: 0, duplicates: 0, outOfOrder: 0 };
      perGateway.set(gateway, d);
    }
    return d;
  }

  function refill(now: number): void {
    if (capacity === null) return;
    tokens = Math.min(capacity * burstSeconds, tokens + ((now - refilledAt) / 1000) * capacity);
    refilledAt = now;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const answer = (status: number, samples: number, headers: Record<string, string> = {}, text = ''): void => {
      answers.push({ at: Date.now(), status, samples });
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(text);
    };
    if (state === 'unavailable') return answer(503, 0, {}, 'central store unavailable');
    let series;
    try {
      series = walkRemoteWrite(body);
    } catch (error) {
      return answer(400, 0, {}, `cannot decode the request: ${(error as Error).message}`);
    }
    const samples = series.reduce((n, s) => n + s.timestamps.length, 0);
    const now = Date.now();
    refill(now);
    if (capacity !== null && samples > tokens) {
      const waitSeconds = Math.max(1, Math.ceil((samples - tokens) / capacity));
      return answer(429, samples, { 'retry-after': String(waitSeconds) }, 'ingestion rate limit exceeded');
    }
    if (capacity !== null) tokens -= samples;
    const status = await forward(req, body);
    if (status >= 200 && status < 300) record(series);
    else if (capacity !== null) tokens += samples;
    answer(status, samples);
  }

  function record(series: ReturnType<typeof walkRemoteWrite>): void {
    for (const s of series) {
      const d = deliveryOf(s.gateway);
      const synthetic = s.name.startsWith(options.syntheticPrefix);
      let last = newest.get(s.key) ?? -Infinity;
      let times = seen.get(s.key);
      if (times === undefined) seen.set(s.key, (times = new Set()));
      for (const t of s.timestamps) {
        if (times.has(t - origin)) {
          d.duplicates++;
          continue;
        }
        times.add(t - origin);
        if (t < last) d.outOfOrder++;
        else last = t;
        d.samples++;
        if (synthetic) d.synthetic++;
        accepted++;
        if (t < mark) {
          d.samplesBeforeMark++;
          if (synthetic) d.syntheticBeforeMark++;
        }
      }
      newest.set(s.key, last);
    }
  }

  function forward(req: IncomingMessage, body: Buffer): Promise<number> {
    return new Promise((resolve) => {
      const headers: Record<string, string> = { 'content-length': String(body.length) };
      for (const name of ['content-type', 'content-encoding', 'x-prometheus-remote-write-version', 'user-agent']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const out = httpRequest(target, { method: 'POST', agent, headers }, (answer) => {
        answer.resume();
        answer.once('end', () => resolve(answer.statusCode ?? 502));
        answer.once('error', () => resolve(502));
      });
      out.once('error', () => resolve(502));
      out.end(body);
    });
  }

  const listen = (port: number): Promise<void> => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const stopListening = (): Promise<void> => new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });

  await listen(0);
  const port = (server.address() as AddressInfo).port;
  let listening = true;

  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    state: () => state,
    async setState(next) {
      state = next;
      // Connection refused: nothing listens on the port until the store is back.
      if (next === 'refuse' && listening) {
        listening = false;
        await stopListening();
      } else if (next !== 'refuse' && !listening) {
        await listen(port);
        listening = true;
      }
    },
    setCapacity(samplesPerSecond) {
      capacity = samplesPerSecond;
      tokens = samplesPerSecond === null ? 0 : samplesPerSecond * burstSeconds;
      refilledAt = Date.now();
    },
    setMark(markMs) {
      mark = markMs;
    },
    answers,
    delivery: (gateway) => ({ ...deliveryOf(gateway) }),
    gateways: () => [...perGateway.keys()].filter((g) => g !== '').sort(),
    acceptedSamples: () => accepted,
    async close() {
      if (listening) await stopListening();
      listening = false;
      agent.destroy();
    },
  };
}
