/**
 * The one error type of fleetlog. Every failure a user can cause carries a stable `code` (safe to
 * match on in scripts and tests) and a message that says what to do about it.
 *
 * Codes are grouped by the thing that failed. Add a code here before throwing it anywhere.
 */
export type ErrorCode =
  // bytes and numbers
  | 'bad_encoding' // not UTF-8, not canonical base64/hex, control characters
  | 'bad_number' // not a canonical decimal, or out of range
  | 'too_large' // a size cap was exceeded
  // keys and signatures
  | 'bad_key' // a vkey/skey string that does not parse, or an unusable public key
  | 'bad_signature' // a signature from a known key failed to verify
  | 'no_trusted_signature' // no signature from a known key was present
  // signed notes, checkpoints, cosignatures, proofs
  | 'bad_note'
  | 'bad_checkpoint'
  | 'bad_cosignature'
  | 'bad_proof' // a malformed proof, or a proof that does not verify
  | 'bad_tile' // a tile or entry bundle that is malformed or does not match
  | 'bad_tile_path'
  | 'bad_witness_request'
  | 'bad_evidence' // split-view evidence that is malformed or shows no conflict
  // policy
  | 'bad_policy'
  | 'quorum_not_met'
  // entries
  | 'bad_entry' // an entry that does not parse or is not canonical
  | 'unknown_entry_type'
  | 'entry_rejected' // a well-formed entry that breaks a rule (signatures, references, windows)
  // the audit steps and stateful checks
  | 'audit_failed'
  | 'inconsistent' // two checkpoints that cannot both be true
  | 'rollback'
  // usage and environment
  | 'usage'
  | 'io'
  | 'network'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'internal';

export class FleetlogError extends Error {
  readonly code: ErrorCode;
  /** Optional structured detail for JSON output; never contains secrets. */
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FleetlogError';
    this.code = code;
    this.detail = options?.detail;
  }
}

export function isFleetlogError(e: unknown, code?: ErrorCode): e is FleetlogError {
  return e instanceof FleetlogError && (code === undefined || e.code === code);
}
