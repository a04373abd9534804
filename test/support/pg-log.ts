// A fleetlog log on a PostgreSQL database of a private server (private-postgres.ts), made with the
// CLI as an operator would, and `log serve` processes on it: the set-up the PostgreSQL fault tests
// share.
import { join } from 'node:path';
import { expect } from 'vitest';
import type { PrivatePostgres } from './private-postgres.ts';
import { freePort, runFleetlog, startFleetlogServer, tempDir, type ServerProcess } from './process.ts';

export interface PgLog {
  readonly database: string;
  readonly dataDir: string;
  readonly vkey: string;
  readonly token: string;
}

/** Creates database `db`, a log in it (`log init`) and a bearer token (`log token add`). */
export async function initPgLog(pgs: PrivatePostgres, db: string, origin: string): Promise<PgLog> {
  await pgs.query(`CREATE DATABASE ${db}`);
  const database = pgs.url(db);
  const dataDir = join(tempDir('fleetlog-pg-log-'), 'log');
  const init = await runFleetlog(['log', 'init', '--data', dataDir, '--origin', origin, '--database', database]);
  expect(init.code, init.stderr).toBe(0);
  const t = await runFleetlog(['log', 'token', 'add', '--data', dataDir, '--name', 'e2e', '--database', database]);
  expect(t.code, t.stderr).toBe(0);
  return { database, dataDir, vkey: init.stdout.trim(), token: t.stdout.trim() };
}

/** `log serve` on the log, with no witnesses and a 1 s lease, on a free loopback port. */
export async function servePgLog(log: PgLog): Promise<ServerProcess> {
  const port = await freePort();
  return startFleetlogServer(
    [
      ...['log', 'serve', '--data', log.dataDir, '--database', log.database, '--no-witnesses'],
      ...['--listen', `127.0.0.1:${port}`, '--lease', '1s'],
    ],
    `http://127.0.0.1:${port}`,
    { env: { FLEETLOG_LOG_LEVEL: 'warn' } },
  );
}
