/**
 * Offline proofs (C2SP tlog-proof):
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]
 *   index <N>
 *   <base64 inclusion proof hash>...   (leaf sibling first)
 *   <empty line>
 *   <checkpoint note, with cosignatures>
 * fleetlog puts the entry's bytes in `extra`, so one file carries everything needed to check it.
 */
import { decodeUtf8, fromBase64, toBase64, utf8 } from './bytes.ts';
import { MAX_CHECKPOINT_NOTE_BYTES } from './checkpoint.ts';
import { parseDecimal } from './decimal.ts';
import { FleetlogError } from './errors.ts';
import { HASH_SIZE, type Hash } from './merkle/hash.ts';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
/** 64 proof lines is the most a 2^64 tree needs; an entry in extra is at most 64 KiB. */
const MAX_PROOF_LINES = 64;
export const MAX_TLOG_PROOF_BYTES = MAX_CHECKPOINT_NOTE_BYTES + 96 * 1024;

export interface TlogProof {
  readonly extra?: Uint8Array;
  readonly index: number;
  readonly proof: readonly Hash[];
  /** The checkpoint note, verbatim. */
  readonly checkpoint: string;
}

export function formatTlogProof(p: TlogProof): string {
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra !== undefined) lines.push(`extra ${toBase64(p.extra)}`);
  lines.push(`index ${p.index}`);
  for (const h of p.proof) lines.push(toBase64(h));
  return `${lines.join('\n')}\n\n${p.checkpoint}`;
}

function bad(message: string): never {
  throw new FleetlogError('bad_proof', `tlog-proof: ${message}`);
}

export function parseTlogProof(input: Uint8Array | string): TlogProof {
  const bytes = typeof input === 'string' ? utf8(input) : input;
  if (bytes.length > MAX_TLOG_PROOF_BYTES)
    throw new FleetlogError('too_large', `tlog-proof is larger than ${MAX_TLOG_PROOF_BYTES} bytes`);
  const text = typeof input === 'string' ? input : decodeUtf8(bytes, 'tlog-proof');
  const blank = text.indexOf('\n\n');
  if (blank < 0) bad('missing the empty line before the checkpoint');
  const head = text.slice(0, blank).split('\n');
  const checkpoint = text.slice(blank + 2);
  if (head[0] !== TLOG_PROOF_HEADER) bad(`first line must be ${TLOG_PROOF_HEADER}`);
  let at = 1;
  let extra: Uint8Array | undefined;
  if (head[at]?.startsWith('extra ')) {
    try {
      extra = fromBase64(head[at]!.slice(6), undefined, 'extra');
    } catch (e) {
      bad((e as Error).message);
    }
    at++;
  }
  const indexLine = head[at];
  if (!indexLine?.startsWith('index ')) bad('expected an "index <N>" line');
  let index: number;
  try {
    index = parseDecimal(indexLine.slice(6), 'index');
  } catch (e) {
    bad((e as Error).message);
  }
  const proofLines = head.slice(at + 1);
  if (proofLines.length > MAX_PROOF_LINES) bad(`more than ${MAX_PROOF_LINES} proof lines`);
  const proof = proofLines.map((l, i) => {
    try {
      return fromBase64(l, HASH_SIZE, `proof line ${i + 1}`);
    } catch (e) {
      return bad((e as Error).message);
    }
  });
  if (checkpoint.length === 0) bad('missing checkpoint');
  return extra === undefined ? { index, proof, checkpoint } : { extra, index, proof, checkpoint };
}
