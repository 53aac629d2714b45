import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './outpost-process.js';

/** Debian's Prometheus 2.42. */
export const PROMETHEUS_BIN = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

/** A skip reason when Prometheus is missing, except under CI=true, where the test must fail. */
export function prometheusSkip(): string | false {
  if (existsSync(PROMETHEUS_BIN) || process.env.CI === 'true') return false;
  return `${PROMETHEUS_BIN} is not installed`;
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
  const child: ChildProcess = spawn(PROMETHEUS_BIN, [
    `--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not become ready: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    writeUrl: `${base}/api/v1/write`,
    async query(expr) {
      const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed`);
      return body.data.result;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
