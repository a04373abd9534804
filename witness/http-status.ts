/**
 * The one place where witness errors become HTTP statuses, exactly as C2SP tlog-witness says:
 *   400 malformed body (including an oversized one) or old size > checkpoint size
 *   403 no signature from a trusted log key verifies, or a trusted key's signature fails
 *   404 unknown origin
 *   409 old size is not the witness's size: body "<size>\n", Content-Type text/x.tlog.size
 *   409 same size as the cosigned checkpoint but a different root (plain error body)
 *   422 the consistency proof does not verify (incl. a proof where none is allowed, and a size-0
 *       checkpoint whose root is not the empty-tree hash)
 */
import type { Context } from 'hono';
import { FleetlogError, type ErrorCode } from '../core/errors.ts';
import { errorResponse } from '../service/http-errors.ts';
import type { Logger } from '../service/logger.ts';

export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_witness_request: 400,
  too_large: 400,
  usage: 400,
  bad_encoding: 400,
  bad_number: 400,
  bad_note: 400,
  bad_checkpoint: 400,
  no_trusted_signature: 403,
  bad_signature: 403,
  not_found: 404,
  conflict: 409,
  inconsistent: 409,
  bad_proof: 422,
  unavailable: 503,
};

export function witnessStatus(error: unknown): number {
  return error instanceof FleetlogError ? (STATUS[error.code] ?? 500) : 500;
}

/** The size a 409 reports, when the error is the "old size does not match" kind. */
function knownSize(error: FleetlogError): number | undefined {
  const size = error.detail?.treeSize;
  return error.code === 'conflict' && typeof size === 'number' ? size : undefined;
}

export function witnessErrorResponse(c: Context, error: unknown, logger: Logger): Response {
  if (!(error instanceof FleetlogError)) {
    logger.error('unhandled error', { path: c.req.path, error: String(error), stack: (error as Error)?.stack });
    return errorResponse(c, 'internal', 'internal error', 500);
  }
  const size = knownSize(error);
  if (size !== undefined) return c.body(`${size}\n`, 409, { 'Content-Type': TLOG_SIZE_CONTENT_TYPE });
  const status = witnessStatus(error);
  if (status === 500) logger.error('internal error', { path: c.req.path, code: error.code, error: error.message });
  return errorResponse(c, error.code, error.message, status);
}
