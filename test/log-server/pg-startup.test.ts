// `log serve` and `witness serve` on a PostgreSQL database they cannot use as it is: a role that
// lacks privileges, a schema of a newer fleetlog, a table altered by hand. Each refuses to start
// with one line on stderr, `fleetlog: io: …` that says what is wrong, and exit code 2; and a role
// with exactly the privileges the servers need (no CREATE) starts them.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOG_MIGRATIONS } from '../../log-server/storage/pg-schema.ts';
import { PrivatePostgres } from '../support/private-postgres.ts';
import { freePort, runFleetlog, startFleetlogServer, tempDir } from '../support/process.ts';

let pgs: PrivatePostgres;
let n = 0;

beforeAll(async () => {
  pgs = await PrivatePostgres.start();
}, 60_000);

interface Made {
  db: string;
  logDir: string;
  witnessDir: string;
}

/** A database holding a log and a witness, made by the superuser. */
async function made(): Promise<Made> {
  const db = `fleetlog_${++n}`;
  await pgs.query(`CREATE DATABASE ${db}`);
  const dir = tempDir('fleetlog-pg-startup-');
  const logDir = join(dir, 'log');
  const witnessDir = join(dir, 'witness');
  const url = pgs.url(db);
  const init = await runFleetlog(['log', 'init', '--data', logDir, '--origin', 'start.example/log', '--database', url]);
  expect(init.code, init.stderr).toBe(0);
  const w = await runFleetlog(['witness', 'init', '--data', witnessDir, '--name', 'w.example/w', '--database', url]);
  expect(w.code, w.stderr).toBe(0);
  return { db, logDir, witnessDir };
}

async function serve(kind: 'log' | 'witness', m: Made, url: string) {
  const port = await freePort();
  const args =
    kind === 'log'
      ? ['log', 'serve', '--data', m.logDir, '--no-witnesses']
      : ['witness', 'serve', '--data', m.witnessDir];
  return runFleetlog([...args, '--database', url, '--listen', `127.0.0.1:${port}`], { timeoutMs: 30_000 });
}

/** Both servers refuse to start with one `fleetlog: io:` line matching `why`. */
async function refused(m: Made, url: string, why: { log: RegExp; witness: RegExp }): Promise<void> {
  for (const kind of ['log', 'witness'] as const) {
    const r = await serve(kind, m, url);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^fleetlog: io: /);
    expect(lines[0]).toMatch(why[kind]);
    expect(lines[0]).not.toMatch(/at .*\.ts:\d+/); // no stack
  }
}

describe('start-up on a PostgreSQL database fleetlog cannot use', () => {
  it('a role without the privileges it needs, then one with exactly those', { timeout: 60_000 }, async () => {
    const m = await made();
    await pgs.query('CREATE ROLE reader LOGIN');
    await pgs.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader`, [], m.db);
    const url = pgs.url(m.db, 'reader');
    await refused(m, url, {
      log: /role reader lacks (INSERT|UPDATE) on log_\w+/,
      witness: /role reader lacks (INSERT|UPDATE|DELETE) on witness_\w+/,
    });
    // DML on the tables and their sequences, no CREATE anywhere: what an operator grants a server.
    await pgs.query('CREATE ROLE server LOGIN');
    await pgs.query('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO server', [], m.db);
    await pgs.query('GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO server', [], m.db);
    const serverUrl = pgs.url(m.db, 'server');
    for (const kind of ['log', 'witness'] as const) {
      const port = await freePort();
      const args =
        kind === 'log'
          ? ['log', 'serve', '--data', m.logDir, '--no-witnesses']
          : ['witness', 'serve', '--data', m.witnessDir];
      const p = await startFleetlogServer(
        [...args, '--database', serverUrl, '--listen', `127.0.0.1:${port}`],
        `http://127.0.0.1:${port}`,
      );
      try {
        const h = await fetch(`${p.url}/health`);
        expect(h.status, await h.text()).toBe(200);
      } finally {
        expect(await p.stop('SIGTERM')).toBe(0);
      }
    }
  });

  it('a schema written by a newer fleetlog', { timeout: 60_000 }, async () => {
    const m = await made();
    await pgs.query('UPDATE fleetlog_schema SET version = version + 1', [], m.db);
    await refused(m, pgs.url(m.db), {
      log: new RegExp(
        `log schema version ${LOG_MIGRATIONS.length + 1}, newer than this fleetlog knows \\(${LOG_MIGRATIONS.length}\\); upgrade fleetlog`,
      ),
      witness: /witness schema version 3, newer than this fleetlog knows \(2\); upgrade fleetlog/,
    });
  });

  it('a table altered by hand: a dropped column, a changed type', { timeout: 60_000 }, async () => {
    const m = await made();
    await pgs.query('ALTER TABLE log_entries DROP COLUMN fleet_id', [], m.db);
    await pgs.query('ALTER TABLE witness_checkpoints ALTER COLUMN last_timestamp TYPE integer', [], m.db);
    await refused(m, pgs.url(m.db), {
      log: /table log_entries: column fleet_id is missing/,
      witness: /table witness_checkpoints: column last_timestamp is integer, not bigint/,
    });
  });

  it('a dropped table', { timeout: 60_000 }, async () => {
    const m = await made();
    await pgs.query('DROP TABLE log_cosignatures', [], m.db);
    await pgs.query('DROP TABLE witness_evidence', [], m.db);
    await refused(m, pgs.url(m.db), {
      log: /table log_cosignatures is missing/,
      witness: /table witness_evidence is missing/,
    });
  });
});
