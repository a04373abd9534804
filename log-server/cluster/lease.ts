/**
 * The leader lease of the `log serve` processes that share one PostgreSQL database: one row,
 * `log_lease`, holding the holder's id, its URL (followers forward submissions there), the expiry
 * and the fencing token.
 *
 * Time is the database's clock (`clock_timestamp()`), never a process's, so processes with skewed
 * clocks agree on when a lease has expired. The token grows by one whenever the lease is taken;
 * every write of the sequencer checks it inside its own transaction (pg-storage.ts), so a holder
 * that paused past its expiry, and was replaced, can no longer store anything.
 */
import type { PgPool } from '../../service/postgres.ts';

export interface LeaseHolder {
  readonly token: number;
  readonly holder: string | undefined;
  readonly url: string | undefined;
  /** Milliseconds until expiry by the database's clock (negative: expired). */
  readonly remainingMs: number;
}

export class LeaderLease {
  readonly #pool: PgPool;
  readonly #holder: string;
  readonly #ttlMs: number;

  /** `holder` must be unique per process (e.g. host, pid and a random part). */
  constructor(pool: PgPool, holder: string, ttlMs: number) {
    this.#pool = pool;
    this.#holder = holder;
    this.#ttlMs = ttlMs;
  }

  get holder(): string {
    return this.#holder;
  }

  /** Takes the lease if it has expired (or was released); returns the new fencing token. */
  async tryAcquire(url: string | undefined): Promise<number | undefined> {
    const r = await this.#pool.query<{ token: number }>(
      `UPDATE log_lease SET token = token + 1, holder = $1, url = $2,
         expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
       WHERE id = 1 AND expires_at <= clock_timestamp() RETURNING token`,
      [this.#holder, url ?? null, this.#ttlMs],
    );
    return r.rows[0]?.token;
  }

  /** Extends the lease held with `token`; false if it expired or another process holds it. */
  async renew(token: number): Promise<boolean> {
    const r = await this.#pool.query(
      `UPDATE log_lease SET expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
       WHERE id = 1 AND token = $1 AND holder = $2 AND expires_at > clock_timestamp()`,
      [token, this.#holder, this.#ttlMs],
    );
    return (r.rowCount ?? 0) === 1;
  }

  /** Gives the lease up at once (clean shutdown), so another process need not wait for expiry. */
  async release(token: number): Promise<void> {
    await this.#pool.query(
      "UPDATE log_lease SET expires_at = '-infinity', holder = NULL, url = NULL WHERE id = 1 AND token = $1 AND holder = $2",
      [token, this.#holder],
    );
  }

  async current(): Promise<LeaseHolder> {
    const r = await this.#pool.query<{ token: number; holder: string | null; url: string | null; remaining: number }>(
      `SELECT token, holder, url,
         CASE WHEN expires_at = '-infinity' THEN -1
              ELSE (EXTRACT(EPOCH FROM (expires_at - clock_timestamp())) * 1000)::bigint END AS remaining
       FROM log_lease WHERE id = 1`,
    );
    const row = r.rows[0];
    if (!row) return { token: 0, holder: undefined, url: undefined, remainingMs: -1 };
    return {
      token: row.token,
      holder: row.holder ?? undefined,
      url: row.url ?? undefined,
      remainingMs: row.remaining,
    };
  }
}
