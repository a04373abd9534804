/**
 * The C2SP tlog-witness add-checkpoint request body:
 *   old <size>\n  then 0..63 base64 consistency-proof lines, an empty line, the signed checkpoint.
 * Shared by the log (which sends it) and the witness (which parses it, strictly).
 */
import { decodeUtf8, fromBase64, toBase64, utf8 } from './bytes.ts';
import { MAX_CHECKPOINT_NOTE_BYTES } from './checkpoint.ts';
import { parseDecimal } from './decimal.ts';
import { FleetlogError } from './errors.ts';
import { HASH_SIZE, type Hash } from './merkle/hash.ts';

export const MAX_WITNESS_PROOF_LINES = 63;
export const MAX_ADD_CHECKPOINT_BYTES = MAX_CHECKPOINT_NOTE_BYTES + 8 * 1024;

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Hash[];
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: Uint8Array;
}

export function formatAddCheckpoint(req: { oldSize: number; proof: readonly Hash[]; checkpoint: string }): string {
  if (req.proof.length > MAX_WITNESS_PROOF_LINES)
    throw new FleetlogError('internal', 'consistency proof longer than 63 hashes');
  return `old ${req.oldSize}\n${req.proof.map((h) => `${toBase64(h)}\n`).join('')}\n${req.checkpoint}`;
}

function bad(message: string): never {
  throw new FleetlogError('bad_witness_request', message);
}

/** Parses a request body. Every malformation is `bad_witness_request` (HTTP 400). */
export function parseAddCheckpoint(body: Uint8Array): AddCheckpointRequest {
  if (body.length > MAX_ADD_CHECKPOINT_BYTES)
    throw new FleetlogError('too_large', `request body larger than ${MAX_ADD_CHECKPOINT_BYTES} bytes`);
  let text: string;
  try {
    text = decodeUtf8(body, 'request body');
  } catch {
    bad('request body is not valid UTF-8');
  }
  const blank = text.indexOf('\n\n');
  if (blank < 0) bad('missing the empty line before the checkpoint');
  const head = text.slice(0, blank).split('\n');
  const oldLine = head[0]!;
  if (!oldLine.startsWith('old ')) bad('first line must be "old <size>"');
  let oldSize: number;
  try {
    oldSize = parseDecimal(oldLine.slice(4), 'old size');
  } catch (e) {
    bad((e as Error).message);
  }
  const proofLines = head.slice(1);
  if (proofLines.length > MAX_WITNESS_PROOF_LINES) bad(`more than ${MAX_WITNESS_PROOF_LINES} consistency proof lines`);
  const proof = proofLines.map((l, i) => {
    try {
      return fromBase64(l, HASH_SIZE, `proof line ${i + 1}`);
    } catch (e) {
      return bad((e as Error).message);
    }
  });
  const checkpoint = utf8(text.slice(blank + 2));
  if (checkpoint.length === 0) bad('missing checkpoint');
  return { oldSize, proof, checkpoint };
}
