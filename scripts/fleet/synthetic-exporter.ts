/**
 * The fleet's input: one HTTP server that serves each gateway its own page of S series at
 * `/<gateway>/metrics`, like a gateway's host metrics plus sensors. Every sample carries the time
 * it was served, so the harness knows exactly which samples exist before any moment: a page
 * served is S samples that must reach the store.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The metric name of every synthetic series. */
export const SYNTHETIC_METRIC = 'fleet_sensor_value';

/** A running exporter. */
export interface SyntheticExporter {
  /** The scrape URL of `gateway`. */
  urlOf(gateway: string): string;
  /** Samples served to `gateway` with a timestamp before `beforeMs` (all of them when omitted). */
  served(gateway: string, beforeMs?: number): number;
  /** Answers 503 from now on, so the samples served stop growing. */
  stopServing(): void;
  close(): Promise<void>;
}

/** Starts the exporter on 127.0.0.1 with `series` series a page. */
export async function startSyntheticExporter(series: number): Promise<SyntheticExporter> {
  const pages = new Map<string, number[]>();
  let serving = true;
  const server = createServer((req, res) => {
    const m = /^\/([\w-]+)\/metrics$/.exec(req.url ?? '');
    if (m === null || !serving) {
      res.writeHead(m === null ? 404 : 503).end();
      return;
    }
    const now = Date.now();
    const lines = [`# TYPE ${SYNTHETIC_METRIC} gauge`];
    // Values change every scrape, as sensors do, so nothing compresses better than it would.
    for (let i = 0; i < series; i++) lines.push(`${SYNTHETIC_METRIC}{sensor="s${String(i).padStart(4, '0')}"} ${((now / 1000 + i) % 97).toFixed(2)} ${now}`);
    const times = pages.get(m[1]!) ?? [];
    times.push(now);
    pages.set(m[1]!, times);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n') + '\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    urlOf: (gateway) => `http://127.0.0.1:${port}/${gateway}/metrics`,
    served(gateway, beforeMs = Infinity) {
      return (pages.get(gateway) ?? []).filter((t) => t < beforeMs).length * series;
    },
    stopServing() {
      serving = false;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
