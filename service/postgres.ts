/**
 * Opening a fleetlog PostgreSQL database (node-postgres) and keeping its schema versioned.
 *
 * Durability: PostgreSQL's defaults (fsync on, synchronous_commit on) make a transaction durable
 * when COMMIT returns, the same promise as SQLite's synchronous=FULL. We refuse to run on a server
 * where synchronous_commit is off, because an acknowledged entry could then be lost.
 *
 * Every session sets `idle_in_transaction_session_timeout`: a process that stops in the middle of
 * a transaction (SIGSTOP, a long GC pause, a network stall) loses its session and its locks after
 * that long, so it cannot hold another process's takeover back.
 */
import pg from 'pg';
import { FleetlogError } from '../core/errors.ts';
import { checkLayout } from './postgres-layout.ts';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** Whether a `--database` value names a PostgreSQL database (anything else is a SQLite path). */
export function isPostgresUrl(value: string | undefined): value is string {
  return value !== undefined && /^postgres(ql)?:\/\//.test(value);
}

const INT8 = 20;
const NUMERIC = 1700;

/** BIGINT columns as JS numbers; every fleetlog number is a safe integer and this checks it. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC)
      return (value: string) => {
        const n = Number(value);
        if (!Number.isSafeInteger(n))
          throw new FleetlogError('bad_number', `database value ${value} is not a safe integer`);
        return n;
      };
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
} as unknown as pg.CustomTypesConfig;

export interface PoolOptions {
  /** Most connections this pool opens (default 8). */
  readonly max?: number;
  /** Sessions idle inside a transaction this long are ended by the server (default 2000 ms). */
  readonly idleInTransactionMs?: number;
  /**
   * The server cancels a statement that runs (or waits for a lock) longer than this, and the
   * driver gives up on one that has not answered 2 s after that (a stalled server or network):
   * a slow or locked database costs a request a bounded time, then a 503 (default 5000 ms).
   */
  readonly statementTimeoutMs?: number;
  readonly applicationName?: string;
}

/** How long a caller waits for a connection (a new one, or a free one of a busy pool) before a 503. */
export const CONNECT_TIMEOUT_MS = 5000;

/** A URL with any password removed, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openPool(url: string, options: PoolOptions = {}): Promise<PgPool> {
  // Options in the URL (e.g. `?options=-c search_path=…`) would replace ours: join both.
  const parsed = new URL(url);
  const urlOptions = parsed.searchParams.get('options');
  parsed.searchParams.delete('options');
  const statementTimeout = options.statementTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: options.max ?? 8,
    types,
    application_name: options.applicationName ?? 'fleetlog',
    options: [
      urlOptions ?? '',
      `-c idle_in_transaction_session_timeout=${options.idleInTransactionMs ?? 2000}`,
      `-c statement_timeout=${statementTimeout}`,
    ]
      .join(' ')
      .trim(),
    query_timeout: statementTimeout + 2000,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle client that loses its connection emits here; without a listener Node would crash.
  pool.on('error', () => {});
  try {
    const sync = await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    if (sync.rows[0]?.synchronous_commit === 'off')
      throw new FleetlogError(
        'io',
        `${redactUrl(url)} has synchronous_commit=off: acknowledged writes could be lost; turn it on`,
      );
  } catch (e) {
    await pool.end().catch(() => {});
    if (e instanceof FleetlogError) throw e;
    throw new FleetlogError('io', `cannot reach PostgreSQL at ${redactUrl(url)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return pool;
}

/** Runs `body` in one transaction on one pooled connection; rolls back if it throws. */
export async function inTransaction<T>(pool: PgPool, body: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client whose connection dies between two queries (the server shuts down,
  // pg_terminate_backend) emits 'error' on itself; the pool only listens on idle clients, and an
  // 'error' nobody listens to ends the process. Keep it, fail the transaction, destroy the client.
  let lost: Error | undefined;
  const onError = (e: Error): void => {
    lost = e;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    // A connection whose ROLLBACK fails (or whose query timed out on our side and may still run)
    // is not given back to the pool: it is destroyed, and the next caller gets a fresh one.
    if (!lost && (e as Error)?.message === 'Query read timeout') lost = e as Error;
    if (!lost) await client.query('ROLLBACK').catch((r: Error) => (lost = r));
    throw e;
  } finally {
    client.off('error', onError);
    client.release(lost ?? undefined);
  }
}

/**
 * Brings `component`'s tables to the newest version: `migrations[i]` moves the schema from version
 * i to i + 1. Runs them in one transaction under an advisory lock, so processes starting together
 * migrate once. Refuses a database whose version is newer than this code knows (an older binary
 * must not write a newer layout). Migrations only ever add; none drops data. Returns the version
 * found before migrating (0 = the component's tables did not exist).
 */
export async function migrate(pool: PgPool, component: string, migrations: readonly string[]): Promise<number> {
  try {
    return await inTransaction(pool, async (c) => {
      // A migration of a large table may take a while: no statement timeout for this one transaction.
      await c.query('SET LOCAL statement_timeout = 0');
      await c.query(unbounded("SELECT pg_advisory_xact_lock(hashtext('fleetlog schema'))"));
      // Up to date: no DDL at all, so a role that may only use the tables (no CREATE) can serve.
      const present = await c.query<{ ok: boolean }>("SELECT to_regclass('fleetlog_schema') IS NOT NULL AS ok");
      if (!present.rows[0]?.ok)
        await c.query('CREATE TABLE fleetlog_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
      const row = await c.query<{ version: number }>('SELECT version FROM fleetlog_schema WHERE component = $1', [
        component,
      ]);
      const found = row.rows[0]?.version ?? 0;
      if (found > migrations.length)
        throw new FleetlogError(
          'io',
          `the database holds ${component} schema version ${found}, newer than this fleetlog knows (${migrations.length}); upgrade fleetlog`,
        );
      if (found < migrations.length) {
        for (let v = found; v < migrations.length; v++) await c.query(unbounded(migrations[v]!));
        await c.query(
          'INSERT INTO fleetlog_schema (component, version) VALUES ($1, $2) ON CONFLICT (component) DO UPDATE SET version = excluded.version',
          [component, migrations.length],
        );
      }
      await checkLayout(c, component, migrations);
      return found;
    });
  } catch (e) {
    throw startupError(e, component);
  }
}

/** A driver error while opening a component's database, as one line with its SQLSTATE (code 'io'). */
export function startupError(e: unknown, component: string): unknown {
  if (e instanceof FleetlogError) return e;
  const state = sqlState(e);
  return new FleetlogError(
    'io',
    `PostgreSQL refused to open the ${component} database: ${(e as Error).message}${state ? ` (SQLSTATE ${state})` : ''}`,
    { cause: e },
  );
}

/** A statement the driver waits for as long as it takes (migrations): the pool's query_timeout does not apply. */
function unbounded(text: string): pg.QueryConfig {
  return { text, query_timeout: 3_600_000 } as pg.QueryConfig;
}

/** The SQLSTATE of a PostgreSQL error, if it is one. */
export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export const UNIQUE_VIOLATION = '23505';
