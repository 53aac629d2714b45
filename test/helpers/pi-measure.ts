/**
 * What the emulated-board test (test/integration/pi-boot.test.ts) and the disk benchmark
 * (scripts/bench/pi-disk.ts) share: the scrape target that makes the load, polling until the guest
 * has something, and the disk figures from two QMP block statistics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlockStats, Machine } from './qemu-machine.js';

const MiB = 2 ** 20;

/** A scrape target on the host, reached from the guest through a guest forward. */
export interface LoadTarget {
  server: Server;
  port: number;
  /** Scrapes answered so far. */
  scrapes(): number;
}

/** A Prometheus text page of `series` gauges whose values move a little every scrape. */
export async function startLoadTarget(series: number): Promise<LoadTarget> {
  let scrapes = 0;
  const server = createServer((_req, res) => {
    scrapes++;
    const lines = ['# TYPE outpost_test_load gauge'];
    for (let i = 0; i < series; i++) lines.push(`outpost_test_load{i="${i}"} ${((scrapes * (i + 1)) % 1000) / 10}`);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n') + '\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, scrapes: () => scrapes };
}

/** Calls `probe` every `everyMs` until it returns a value; throws naming `what` after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

/** Runs a guest command and returns its output; throws unless it exits 0. */
export async function guest(machine: Machine, command: string, timeoutMs?: number): Promise<string> {
  const { code, output } = await machine.shell(command, timeoutMs);
  if (code !== 0) throw new Error(`guest: ${command} exited ${code}:\n${output}`);
  return output;
}

/** What reached the disk over a window, per sample stored and per 1,000 samples/s. */
export interface DiskFigures {
  seconds: number;
  samplesPerSecond: number;
  bytesPerSample: number;
  writesPerSecondPer1000: number;
  kibPerSecondPer1000: number;
  flushesPerSecond: number;
  /** One line for a test diagnostic or a log. */
  text: string;
}

/** The disk figures of a window from its first and last block statistics and the samples stored in it. */
export function diskFigures(start: BlockStats, end: BlockStats, samples: number, seconds: number): DiskFigures {
  const bytes = end.wrBytes - start.wrBytes;
  const ops = end.wrOperations - start.wrOperations;
  const flushes = end.flushOperations - start.flushOperations;
  const per1000 = (value: number): number => value / seconds / (samples / seconds / 1000);
  const figures = {
    seconds,
    samplesPerSecond: samples / seconds,
    bytesPerSample: bytes / samples,
    writesPerSecondPer1000: per1000(ops),
    kibPerSecondPer1000: per1000(bytes) / 1024,
    flushesPerSecond: flushes / seconds,
  };
  const text = `${(bytes / MiB).toFixed(2)} MiB in ${ops} writes and ${flushes} flushes: ${figures.bytesPerSample.toFixed(2)} bytes/sample, ` +
    `${figures.writesPerSecondPer1000.toFixed(2)} writes/s and ${figures.kibPerSecondPer1000.toFixed(1)} KiB/s per 1,000 samples/s`;
  return { ...figures, text };
}
