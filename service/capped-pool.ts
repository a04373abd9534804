/**
 * A PostgreSQL pool for what anyone may ask (unauthenticated reads), with a cap on the callers
 * waiting for a connection: beyond it a caller is refused at once with 'unavailable' (503)
 * instead of joining a queue it would wait in for up to CONNECT_TIMEOUT_MS. On a slow or locked
 * database a flood then costs the server a bounded queue and the sender a quick answer, and the
 * process's other pools (its writer) are untouched: a server gives what keeps it running a pool
 * of its own and its public reads a capped one.
 */
import type { QueryResult, QueryResultRow } from 'pg';
import { FleetlogError } from '../core/errors.ts';
import type { PgPool } from './postgres.ts';

/** Callers beyond this many waiting for a read connection are answered 503 at once. */
export const MAX_WAITING_READS = 64;

/** A pool's state, for /health and /metrics. */
export interface PoolStatus {
  /** Most connections it opens. */
  readonly max: number;
  /** Connections open now (busy or idle). */
  readonly connections: number;
  readonly idle: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
  /** Callers refused at once because too many were waiting (capped pools; 0 otherwise). */
  readonly refused: number;
}

export function poolStatus(pool: PgPool, refused = 0): PoolStatus {
  return {
    max: pool.options.max ?? 10,
    connections: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    refused,
  };
}

export interface CappedPool {
  readonly pool: PgPool;
  /** pool.query, or a rejection with FleetlogError 'unavailable' `busyMessage` while the queue is full. */
  query<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  status(): PoolStatus;
}

export function cappedPool(pool: PgPool, busyMessage: string, maxWaiting: number = MAX_WAITING_READS): CappedPool {
  let refused = 0;
  return {
    pool,
    query<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
      if (pool.waitingCount >= maxWaiting) {
        refused++;
        return Promise.reject(new FleetlogError('unavailable', busyMessage));
      }
      return pool.query<R>(sql, params);
    },
    status: () => poolStatus(pool, refused),
  };
}

/** Whether `e` is a capped pool's refusal (not a failure of the database). */
export function isBusyRefusal(e: unknown, busyMessage: string): boolean {
  return e instanceof FleetlogError && e.code === 'unavailable' && e.message === busyMessage;
}
