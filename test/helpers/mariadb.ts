/**
 * A real Debian MariaDB and prometheus-mysqld-exporter on 127.0.0.1 for integration tests: a
 * throwaway datadir made by mariadb-install-db in the caller's directory, mariadbd run as the
 * current user on its own socket and a port chosen at run time, each stopped by PID.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { answers200, startDaemon, type Daemon } from './daemon.js';
import { describeRun, run, toolSkip } from './deploy.js';
import { freePort } from './outpost-process.js';

/** Debian's MariaDB 10.11 server, its datadir installer and client. */
export const MARIADBD_BIN = process.env.MARIADBD ?? '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB_BIN = '/usr/bin/mariadb-install-db';
export const MARIADB_BIN = '/usr/bin/mariadb';
export const MARIADB_ADMIN_BIN = '/usr/bin/mariadb-admin';

/** Debian's mysqld_exporter (0.14). */
export const MYSQLD_EXPORTER_BIN = process.env.MYSQLD_EXPORTER ?? '/usr/bin/prometheus-mysqld-exporter';

/** A skip reason when MariaDB or its exporter is missing, except under CI=true, where the test must fail. */
export function mariadbSkip(): string | false {
  return [MARIADBD_BIN, MARIADB_INSTALL_DB_BIN, MARIADB_BIN, MARIADB_ADMIN_BIN, MYSQLD_EXPORTER_BIN].map((bin) => toolSkip(bin)).find((reason) => reason !== false) ?? false;
}

/** A running MariaDB; the current OS user is an administrator through the socket (unix_socket auth). */
export interface MariaDb extends Daemon {
  readonly port: number;
  /** Runs SQL statements as the administrator; resolves with the client's output, rejects on an error. */
  sql(statements: string): Promise<string>;
}

/** An account for the exporter to log in with over TCP. */
export interface DbAccount {
  readonly user: string;
  readonly password: string;
}

/** Creates a datadir under `dir`, starts mariadbd on it and resolves once it answers a ping. */
export async function startMariadb(dir: string): Promise<MariaDb> {
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  // As root, mariadbd refuses to run unless told which user to be; the current one owns the datadir.
  const user = userInfo().username;
  const installed = await run(MARIADB_INSTALL_DB_BIN, [
    '--no-defaults', `--datadir=${datadir}`, `--user=${user}`, '--auth-root-authentication-method=socket', '--skip-test-db',
  ]);
  if (installed.code !== 0) throw new Error(`mariadb-install-db failed: ${describeRun(installed)}`);

  const port = await freePort();
  const client = ['--no-defaults', `--socket=${socket}`, `--user=${user}`];
  const daemon = await startDaemon({
    name: 'mariadbd',
    bin: MARIADBD_BIN,
    args: [
      '--no-defaults', `--datadir=${datadir}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1',
      `--user=${user}`, `--pid-file=${join(dir, 'mysqld.pid')}`, `--tmpdir=${dir}`,
      // Accounts are matched by address (127.0.0.1), not by a reverse lookup; a small buffer pool
      // keeps the test's memory down (the default is 128 MiB).
      '--skip-name-resolve', '--innodb-buffer-pool-size=16M',
    ],
    ready: async () => (await run(MARIADB_ADMIN_BIN, [...client, 'ping'])).code === 0,
  });
  return {
    ...daemon,
    port,
    async sql(statements) {
      const result = await run(MARIADB_BIN, [...client, '--batch', '-e', statements]);
      if (result.code !== 0) throw new Error(`SQL failed: ${statements}\n${describeRun(result)}`);
      return result.stdout;
    },
  };
}

/**
 * Creates the exporter's least-privilege account, as mysqld_exporter's README asks: PROCESS,
 * REPLICATION CLIENT and SELECT on *.*, at most 3 connections, reachable from 127.0.0.1 only.
 * MariaDB 10.5 moved SHOW SLAVE STATUS from REPLICATION CLIENT to SLAVE MONITOR, which the
 * exporter's default slave_status collector runs, so that is granted too.
 */
export async function createExporterAccount(db: MariaDb): Promise<DbAccount> {
  const account = { user: 'exporter', password: `pw-${process.pid}-${Date.now()}` };
  await db.sql([
    `CREATE USER '${account.user}'@'127.0.0.1' IDENTIFIED BY '${account.password}' WITH MAX_USER_CONNECTIONS 3;`,
    `GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT ON *.* TO '${account.user}'@'127.0.0.1';`,
  ].join(' '));
  return account;
}

/** A running exporter and its metrics URL. */
export interface MysqldExporter extends Daemon {
  readonly url: string;
}

/**
 * Starts mysqld_exporter on a free loopback port, logging in to `db` over TCP as `account` from
 * a my.cnf written (mode 0600) in `dir`; resolves once /metrics answers.
 */
export async function startMysqldExporter(db: MariaDb, account: DbAccount, dir: string): Promise<MysqldExporter> {
  mkdirSync(dir, { recursive: true });
  const myCnf = join(dir, 'exporter.my.cnf');
  writeFileSync(myCnf, `[client]\nuser=${account.user}\npassword=${account.password}\nhost=127.0.0.1\nport=${db.port}\n`);
  chmodSync(myCnf, 0o600);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  const daemon = await startDaemon({
    name: 'mysqld_exporter',
    bin: MYSQLD_EXPORTER_BIN,
    args: [`--config.my-cnf=${myCnf}`, `--web.listen-address=127.0.0.1:${port}`],
    ready: answers200(url),
  });
  return { ...daemon, url };
}
