/**
 * A real Debian redis-server and prometheus-redis-exporter on 127.0.0.1 for integration tests:
 * ports chosen at run time, nothing persisted, each stopped by PID.
 */
import { connect } from 'node:net';
import { answers200, startDaemon, type Daemon } from './daemon.js';
import { toolSkip } from './deploy.js';
import { freePort } from './outpost-process.js';

/** Debian's Redis 7. */
export const REDIS_SERVER_BIN = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/** Debian's redis_exporter (1.45). */
export const REDIS_EXPORTER_BIN = process.env.REDIS_EXPORTER ?? '/usr/bin/prometheus-redis-exporter';

/** A skip reason when Redis or its exporter is missing, except under CI=true, where the test must fail. */
export function redisSkip(): string | false {
  return toolSkip(REDIS_SERVER_BIN) || toolSkip(REDIS_EXPORTER_BIN);
}

/** A running server or exporter and where it listens. */
export interface Listening extends Daemon {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` for the server, the metrics URL for the exporter. */
  readonly url: string;
}

/** Starts redis-server on a free loopback port, without persistence, its working directory `dir`; resolves once it answers PING. */
export async function startRedis(dir: string): Promise<Listening> {
  const port = await freePort();
  const daemon = await startDaemon({
    name: 'redis-server',
    bin: REDIS_SERVER_BIN,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    ready: () => pings(port),
  });
  return { ...daemon, port, url: `redis://127.0.0.1:${port}` };
}

/** Starts redis_exporter for the server at `redisUrl` on a free loopback port; resolves once /metrics answers. */
export async function startRedisExporter(redisUrl: string): Promise<Listening> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  const daemon = await startDaemon({
    name: 'redis_exporter',
    bin: REDIS_EXPORTER_BIN,
    args: [`-redis.addr=${redisUrl}`, `-web.listen-address=127.0.0.1:${port}`],
    ready: answers200(url),
  });
  return { ...daemon, port, url };
}

/** True once the server answers PING with +PONG (listening alone is not ready: it may still be loading). */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.once('close', () => resolve(reply.startsWith('+PONG')));
    socket.once('error', () => undefined);
  });
}
