/**
 * Verifying a checkpoint under a policy: the log's signature (audit step 3) and the witness quorum
 * (audit step 4). Pure; the caller supplies the note bytes.
 */
import { decodeUtf8 } from '../bytes.ts';
import { openCheckpoint, type Checkpoint } from '../checkpoint.ts';
import { cosignatureTimestamp } from '../cosignature.ts';
import { FleetlogError } from '../errors.ts';
import type { NoteVerifier } from '../note/note.ts';
import { quorumSatisfied, type Policy } from './policy.ts';

export interface TrustedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The signed note as given. */
  readonly note: string;
  /** Policy names of the witnesses whose cosignatures verified, with their timestamps. */
  readonly cosigners: ReadonlyMap<string, bigint>;
  readonly quorumMet: boolean;
}

/**
 * Opens a checkpoint with the policy's log keys and witness keys. A failing signature from any
 * known key rejects the note (signed-note rules). Does not enforce the quorum; see requireQuorum.
 */
export function openCheckpointWithPolicy(policy: Policy, note: string | Uint8Array): TrustedCheckpoint {
  const logVerifiers = policy.logs.map((l) => l.verifier);
  const byVerifier = new Map<NoteVerifier, string>();
  for (const w of policy.witnesses.values()) byVerifier.set(w.verifier, w.name);
  const opened = openCheckpoint(note, logVerifiers, [...byVerifier.keys()]);
  const cosigners = new Map<string, bigint>();
  for (const { verifier, signature } of opened.note.verified) {
    const name = byVerifier.get(verifier);
    if (name !== undefined) cosigners.set(name, cosignatureTimestamp(signature.signature)!);
  }
  const text = typeof note === 'string' ? note : decodeUtf8(note, 'checkpoint'); // valid: openCheckpoint decoded it
  return {
    checkpoint: opened.checkpoint,
    note: text,
    cosigners,
    quorumMet: quorumSatisfied(policy, new Set(cosigners.keys())),
  };
}

export function requireQuorum(trusted: TrustedCheckpoint): TrustedCheckpoint {
  if (!trusted.quorumMet) {
    const who = [...trusted.cosigners.keys()];
    throw new FleetlogError(
      'quorum_not_met',
      `checkpoint ${trusted.checkpoint.origin}@${trusted.checkpoint.size} is cosigned by ${who.length ? who.join(', ') : 'no trusted witness'}, which does not meet the policy's quorum`,
    );
  }
  return trusted;
}
