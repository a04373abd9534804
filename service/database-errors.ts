/**
 * Which database failures are "the database is unavailable right now" rather than a bug: the
 * server is down, restarting or out of connections, a session was ended under us, a statement
 * ran past its timeout or waited too long for a lock, the disk under the database is full. Each
 * is answered 503 with one fixed line that names nothing internal (no SQL, no host, no port); the
 * operator's log gets the cause. Everything else stays a 500 'internal error'.
 *
 * Reads only `code` and `message`, so it needs no driver import (worker threads use it too).
 */
import { FleetlogError } from '../core/errors.ts';

/** What a client is told; deliberately the same line whatever the cause. */
export const DATABASE_UNAVAILABLE = 'the database is unavailable; retry shortly';

/** SQLSTATE classes and codes that mean unavailable, not wrong (PostgreSQL Appendix A). */
const UNAVAILABLE_CLASSES = ['08', '53', '58']; // connection exception, insufficient resources, system error
const UNAVAILABLE_CODES = new Set([
  '57P01', // admin_shutdown (fast shutdown, pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available (lock_timeout)
  '25P03', // idle_in_transaction_session_timeout
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** Socket-level errors (no SQLSTATE) from the driver or Node. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout/,
  /is not queryable/,
  /^Client was closed and is not queryable/,
];

export function isDatabaseUnavailable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || e instanceof FleetlogError) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^[0-9A-Z]{5}$/.test(code))
      return UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2));
    if (UNAVAILABLE_ERRNO.has(code)) return true;
  }
  const message = (e as { message?: unknown }).message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message));
}

/** `e` as the error a caller sees: unavailable (503) with the fixed line, or `e` unchanged. */
export function asDatabaseError(e: unknown): unknown {
  return isDatabaseUnavailable(e) ? new FleetlogError('unavailable', DATABASE_UNAVAILABLE, { cause: e }) : e;
}
