import { join } from 'node:path';
import { answers200, startDaemon } from './daemon.js';
import { toolSkip } from './deploy.js';
import { freePort } from './outpost-process.js';

/** Debian's VictoriaMetrics single node (1.79), which understands remote write 1.0 only. */
export const VICTORIA_METRICS_BIN = process.env.VICTORIA_METRICS ?? '/usr/bin/victoria-metrics';

/** A skip reason when VictoriaMetrics is missing, except under CI=true, where the test must fail. */
export function victoriaMetricsSkip(): string | false {
  return toolSkip(VICTORIA_METRICS_BIN, 'apt-get install victoria-metrics');
}

/** A real VictoriaMetrics on loopback. */
export interface VictoriaMetricsServer {
  readonly writeUrl: string;
  /** Instant PromQL query after flushing what was ingested; returns the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/**
 * Starts VictoriaMetrics with its data in `dir`; resolves when it is ready. With `basicAuth` every
 * request, writes and queries, needs those credentials (`-httpAuth.*`); the helper's own queries send them.
 */
export async function startVictoriaMetrics(dir: string, basicAuth?: { username: string; password: string }): Promise<VictoriaMetricsServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const auth = basicAuth === undefined ? [] : [`-httpAuth.username=${basicAuth.username}`, `-httpAuth.password=${basicAuth.password}`];
  const init: RequestInit = basicAuth === undefined ? {} : { headers: { authorization: 'Basic ' + Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64') } };
  const daemon = await startDaemon({
    name: 'victoria-metrics',
    bin: VICTORIA_METRICS_BIN,
    // latencyOffset 0: by default the newest 30 s are left out of queries, as still settling.
    args: [`-storageDataPath=${join(dir, 'vm')}`, `-httpListenAddr=127.0.0.1:${port}`, '-search.latencyOffset=0s', '-search.disableCache', '-loggerLevel=ERROR', ...auth],
    // /health answers without credentials.
    ready: answers200(`${base}/health`),
    timeoutMs: 20_000,
  });
  return {
    writeUrl: `${base}/api/v1/write`,
    async query(expr) {
      await (await fetch(`${base}/internal/force_flush`, init)).arrayBuffer();
      const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`, init);
      const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed`);
      return body.data.result;
    },
    stop: daemon.stop,
  };
}
