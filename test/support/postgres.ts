// A real PostgreSQL server for tests. Each call to freshPgUrl gives a URL whose connections use a
// new, empty schema (search_path) in the database fleetlog_pg_test, dropped after the test file.
// Nothing is skipped: if the server cannot be reached the tests fail, with the reason.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';

/** Override with FLEETLOG_PG_URL (a database this task owns: its name starts with fleetlog_pg_). */
export const PG_TEST_URL = process.env.FLEETLOG_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/fleetlog_pg_test';

const schemas: string[] = [];
let ready: Promise<void> | undefined;

async function ensureDatabase(): Promise<void> {
  const url = new URL(PG_TEST_URL);
  const name = url.pathname.slice(1);
  const probe = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    await probe.end();
    return;
  } catch (e) {
    await probe.end().catch(() => {});
    if ((e as { code?: string }).code !== '3D000') throw pgUnreachable(e); // 3D000: no such database
  }
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (e) {
    if ((e as { code?: string }).code !== '42P04') throw pgUnreachable(e); // 42P04: created meanwhile
  } finally {
    await admin.end().catch(() => {});
  }
}

function pgUnreachable(e: unknown): Error {
  return new Error(
    `PostgreSQL is required for these tests and could not be used at ${PG_TEST_URL}: ${(e as Error).message}. ` +
      'Start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set FLEETLOG_PG_URL.',
  );
}

async function admin<T>(body: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await body(c);
  } finally {
    await c.end();
  }
}

/** A postgres:// URL on a fresh, empty schema. */
export async function freshPgUrl(): Promise<string> {
  ready ??= ensureDatabase();
  await ready;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE SCHEMA ${schema}`));
  schemas.push(schema);
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** Runs SQL in a URL's schema (for checks the public interfaces do not offer). */
export async function pgQuery<R extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const u = new URL(url);
  const options = u.searchParams.get('options') ?? undefined;
  u.searchParams.delete('options');
  const c = new pg.Client({ connectionString: u.toString(), ...(options ? { options } : {}) });
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  const drop = schemas.splice(0);
  if (drop.length === 0) return;
  await admin(async (c) => {
    for (const s of drop) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  });
});
