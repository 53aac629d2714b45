import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answers200, startDaemon } from './daemon.js';
import { toolSkip } from './deploy.js';
import { freePort } from './outpost-process.js';

/** Debian's Prometheus 2.42. */
export const PROMETHEUS_BIN = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

/** A skip reason when Prometheus is missing, except under CI=true, where the test must fail. */
export function prometheusSkip(): string | false {
  return toolSkip(PROMETHEUS_BIN);
}

/** A real Prometheus receiving remote writes on loopback. */
export interface PrometheusServer {
  readonly port: number;
  readonly writeUrl: string;
  /** Instant query; returns the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/** Starts `prometheus --web.enable-remote-write-receiver` with its TSDB in `dir` (on `fixedPort` to restart one); resolves when ready. */
export async function startPrometheus(dir: string, fixedPort?: number): Promise<PrometheusServer> {
  const port = fixedPort ?? (await freePort());
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, 'global: {}\n');
  const base = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'prometheus',
    bin: PROMETHEUS_BIN,
    args: [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver'],
    ready: answers200(`${base}/-/ready`),
    timeoutMs: 20_000,
  });
  return {
    port,
    writeUrl: `${base}/api/v1/write`,
    async query(expr) {
      const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed`);
      return body.data.result;
    },
    stop: daemon.stop,
  };
}
