/**
 * The offline validation bundle: everything a client needs to decide on a fleet key set without
 * talking to the log. It is two C2SP tlog-proofs back to back, the key set's then its deployment
 * evidence's, each carrying its entry bytes in `extra`, both over the same checkpoint.
 */
import { FleetlogError } from '../errors.ts';
import type { Hash } from '../merkle/hash.ts';
import { formatTlogProof, parseTlogProof, TLOG_PROOF_HEADER } from '../tlog-proof.ts';

export interface LoggedEntry {
  readonly bytes: Uint8Array;
  readonly index: number;
  /** Inclusion proof in the bundle's checkpoint. */
  readonly proof: readonly Hash[];
}

export interface FleetBundle {
  readonly keyset: LoggedEntry;
  readonly evidence: LoggedEntry;
  /** The checkpoint note both proofs are against, with cosignatures. */
  readonly checkpoint: string;
}

export function formatFleetBundle(b: FleetBundle): string {
  const one = (e: LoggedEntry): string =>
    formatTlogProof({ extra: e.bytes, index: e.index, proof: e.proof, checkpoint: b.checkpoint });
  return one(b.keyset) + one(b.evidence);
}

export function parseFleetBundle(text: string): FleetBundle {
  const marker = `\n${TLOG_PROOF_HEADER}\n`;
  const second = text.indexOf(marker);
  if (!text.startsWith(`${TLOG_PROOF_HEADER}\n`) || second < 0) {
    throw new FleetlogError(
      'bad_proof',
      'a fleet bundle is two tlog-proofs: the key set, then its deployment evidence',
    );
  }
  const first = parseTlogProof(text.slice(0, second + 1));
  const next = parseTlogProof(text.slice(second + 1));
  if (first.extra === undefined || next.extra === undefined)
    throw new FleetlogError('bad_proof', 'each proof in a fleet bundle carries its entry in the extra line');
  if (first.checkpoint !== next.checkpoint)
    throw new FleetlogError('bad_proof', 'both proofs in a fleet bundle must use the same checkpoint');
  return {
    keyset: { bytes: first.extra, index: first.index, proof: first.proof },
    evidence: { bytes: next.extra, index: next.index, proof: next.proof },
    checkpoint: first.checkpoint,
  };
}
