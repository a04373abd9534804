import Database from 'better-sqlite3';

/**
 * Counts every SQLite statement execution (all/get/run/iterate) while `body` runs, by wrapping the
 * shared Statement prototype: tests assert what a request costs in queries, never in time.
 */
export async function countQueries(body: () => Promise<unknown>): Promise<number> {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  probe.close();
  let n = 0;
  const saved = new Map<string, (...a: unknown[]) => unknown>();
  for (const m of ['all', 'get', 'run', 'iterate']) {
    const original = proto[m]!;
    saved.set(m, original);
    proto[m] = function (this: unknown, ...args: unknown[]) {
      n += 1;
      return original.apply(this, args);
    };
  }
  try {
    await body();
  } finally {
    for (const [m, f] of saved) proto[m] = f;
  }
  return n;
}
