/**
 * Witness errors as HTTP statuses: the shared mapping (service/http-errors.ts), except where C2SP
 * tlog-witness says otherwise:
 *   400 malformed body, including an oversized one (shared: 413), or old size > checkpoint size
 *   403 no signature from a trusted log key verifies, or a trusted key's signature fails
 *   404 unknown origin
 *   409 old size is not the witness's size: body "<size>\n", Content-Type text/x.tlog.size
 *   409 same size as the cosigned checkpoint but a different root (shared: 422; plain error body)
 *   422 the consistency proof does not verify (incl. a proof where none is allowed, and a size-0
 *       checkpoint whose root is not the empty-tree hash)
 */
import type { Context } from 'hono';
import { FleetlogError, type ErrorCode } from '../core/errors.ts';
import { errorResponse, handleError, statusForCode } from '../service/http-errors.ts';
import type { Logger } from '../service/logger.ts';

export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

/** Only where tlog-witness departs from the shared mapping. */
const TLOG_WITNESS_STATUS: Partial<Record<ErrorCode, number>> = {
  too_large: 400,
  inconsistent: 409,
};

function witnessStatus(code: ErrorCode): number {
  return TLOG_WITNESS_STATUS[code] ?? statusForCode(code);
}

/** The size a 409 reports, when the error is the "old size does not match" kind. */
function knownSize(error: FleetlogError): number | undefined {
  const size = error.detail?.treeSize;
  return error.code === 'conflict' && typeof size === 'number' ? size : undefined;
}

export function witnessErrorResponse(c: Context, error: unknown, logger: Logger): Response {
  if (!(error instanceof FleetlogError))
    return handleError(logger)(error instanceof Error ? error : new Error(String(error)), c);
  const size = knownSize(error);
  if (size !== undefined) return c.body(`${size}\n`, 409, { 'Content-Type': TLOG_SIZE_CONTENT_TYPE });
  const status = witnessStatus(error.code);
  // A 500 is a bug: its message may name internals, so it goes to the log only.
  if (status === 500) {
    logger.error('internal error', { path: c.req.path, code: error.code, error: error.message, ...error.detail });
    return errorResponse(c, 'internal', 'internal error', 500);
  }
  return errorResponse(c, error.code, error.message, status);
}
