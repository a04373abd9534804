/**
 * Start-up check that a fleetlog component's tables are what its migrations make, and that the
 * database role may use them. A table dropped or altered by hand, or a role that may only read,
 * would otherwise start a server that fails on its first write (or, worse, on some later one);
 * refused here, it is one line naming the table and what is wrong.
 *
 * The expected layout is not a second copy of the DDL: the migrations are run again in this
 * session's temporary schema inside a savepoint that is rolled back, and the two layouts compared
 * (tables, column names and types). That needs the TEMP privilege, which PostgreSQL grants by
 * default; a role without it skips the layout comparison (the privilege check still runs).
 */
import { FleetlogError } from '../core/errors.ts';
import type { PgClient } from './postgres.ts';

type Layout = Map<string, Map<string, string>>;

const LAYOUT_SQL = `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
  WHERE c.relnamespace = $1::oid AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`;

async function layoutOf(c: PgClient, namespaceSql: string): Promise<Layout> {
  const ns = await c.query<{ oid: number }>(`SELECT (${namespaceSql})::oid AS oid`);
  const rows = await c.query<{ table: string; column: string; type: string }>(LAYOUT_SQL, [ns.rows[0]!.oid]);
  const layout: Layout = new Map();
  for (const r of rows.rows) {
    const cols = layout.get(r.table) ?? new Map<string, string>();
    cols.set(r.column, r.type);
    layout.set(r.table, cols);
  }
  return layout;
}

/** The layout `migrations` make, from scratch, in this session's temporary schema (rolled back). */
async function expectedLayout(c: PgClient, migrations: readonly string[]): Promise<Layout | undefined> {
  await c.query('SAVEPOINT fleetlog_layout');
  try {
    await c.query('SET LOCAL search_path = pg_temp');
    for (const m of migrations) await c.query(m);
    return await layoutOf(c, 'pg_my_temp_schema()');
  } catch {
    return undefined; // no TEMP privilege: nothing to compare against
  } finally {
    await c.query('ROLLBACK TO SAVEPOINT fleetlog_layout');
  }
}

/** Refuses (FleetlogError 'io') a layout that differs from the migrations', or a role that may not write it. */
export async function checkLayout(c: PgClient, component: string, migrations: readonly string[]): Promise<void> {
  const expected = await expectedLayout(c, migrations);
  const actual = await layoutOf(c, 'current_schema()::regnamespace');
  const wrong = (what: string): FleetlogError =>
    new FleetlogError(
      'io',
      `the database's ${component} tables are not what this fleetlog made: ${what} (altered by hand, or restored from elsewhere?)`,
    );
  for (const [table, columns] of expected ?? []) {
    const have = actual.get(table);
    if (!have) throw wrong(`table ${table} is missing`);
    for (const [column, type] of columns) {
      const got = have.get(column);
      if (got === undefined) throw wrong(`table ${table}: column ${column} is missing`);
      if (got !== type) throw wrong(`table ${table}: column ${column} is ${got}, not ${type}`);
    }
  }
  const tables = [...(expected?.keys() ?? [])];
  const privileges = await c.query<{ table: string; privilege: string; role: string }>(
    `SELECT t.name AS table, p.privilege, current_user AS role
     FROM unnest($1::text[]) AS t(name), unnest(ARRAY['SELECT', 'INSERT', 'UPDATE']) AS p(privilege)
     WHERE to_regclass(t.name) IS NOT NULL AND NOT has_table_privilege(to_regclass(t.name), p.privilege)
     UNION ALL
     SELECT s.seq, 'USAGE', current_user
     FROM (SELECT pg_get_serial_sequence(t.name, a.attname) AS seq
           FROM unnest($1::text[]) AS t(name) JOIN pg_attribute a ON a.attrelid = to_regclass(t.name)
           WHERE a.attnum > 0 AND NOT a.attisdropped) s
     WHERE s.seq IS NOT NULL AND NOT has_sequence_privilege(s.seq, 'USAGE')
     LIMIT 1`,
    [tables],
  );
  const missing = privileges.rows[0];
  if (missing)
    throw new FleetlogError(
      'io',
      `the database role ${missing.role} lacks ${missing.privilege} on ${missing.table}; grant SELECT, INSERT, UPDATE, DELETE on fleetlog's tables and USAGE on their sequences`,
    );
}
