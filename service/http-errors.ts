/**
 * One mapping from FleetlogError codes to HTTP statuses, and one JSON error body `{code, message}`,
 * shared by every fleetlog server. Unknown exceptions become a 500 whose message reveals nothing;
 * a database that is unavailable (service/database-errors.ts) is a 503 with one fixed line.
 */
import type { Context } from 'hono';
import { FleetlogError, type ErrorCode } from '../core/errors.ts';
import { DATABASE_UNAVAILABLE, isDatabaseUnavailable } from './database-errors.ts';
import { createLogThrottle, type LogThrottle } from './log-throttle.ts';
import type { Logger } from './logger.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_encoding: 400,
  bad_number: 400,
  bad_note: 400,
  bad_checkpoint: 400,
  bad_tile_path: 400,
  bad_witness_request: 400,
  bad_entry: 400,
  unknown_entry_type: 400,
  usage: 400,
  bad_proof: 422,
  bad_evidence: 422,
  bad_signature: 403,
  no_trusted_signature: 403,
  entry_rejected: 422,
  inconsistent: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unavailable: 503,
};

export function statusForCode(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

export function errorResponse(c: Context, code: ErrorCode, message: string, status = statusForCode(code)): Response {
  return c.json({ code, message }, status as 400);
}

/** One throttle per logger: while the database is down every request fails, and anyone can send them. */
const throttles = new WeakMap<Logger, LogThrottle>();

/** Logs that a request failed because the database is unavailable: at most one line per 10 s. */
export function logDatabaseUnavailable(logger: Logger, path: string, error: string): void {
  let throttle = throttles.get(logger);
  if (!throttle) {
    throttle = createLogThrottle(logger, 10_000);
    throttles.set(logger, throttle);
  }
  throttle.log('error', 'database unavailable', 'a request failed: the database is unavailable', { path, error });
}

/** `app.onError` handler: typed errors keep their code; anything else is logged and hidden. */
export function handleError(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof FleetlogError) return errorResponse(c, err.code, err.message);
    if (isDatabaseUnavailable(err)) {
      logDatabaseUnavailable(logger, c.req.path, String(err));
      return errorResponse(c, 'unavailable', DATABASE_UNAVAILABLE);
    }
    logger.error('unhandled error', { path: c.req.path, error: String(err), stack: err.stack });
    return errorResponse(c, 'internal', 'internal error', 500);
  };
}
