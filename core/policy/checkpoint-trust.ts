/**
 * Verifying a checkpoint under a policy: the log's signature (audit step 3) and the witness quorum
 * (audit step 4). Pure; the caller supplies the note bytes.
 */
import { decodeUtf8 } from '../bytes.ts';
import { openCheckpoint, type Checkpoint } from '../checkpoint.ts';
import { cosignatureTimestamp } from '../cosignature.ts';
import { FleetlogError } from '../errors.ts';
import { formatKeyId } from '../note/keys.ts';
import type { NoteVerifier } from '../note/note.ts';
import { quorumSatisfied, type Policy } from './policy.ts';

export interface TrustedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The signed note as given. */
  readonly note: string;
  /** Policy names of the witnesses whose cosignatures verified, with their timestamps. */
  readonly cosigners: ReadonlyMap<string, bigint>;
  readonly quorumMet: boolean;
  /** Signatures by keys the policy does not trust, so a quorum failure can say who signed with what. */
  readonly untrusted: readonly UntrustedSignature[];
}

export interface UntrustedSignature {
  /** The key name on the signature line. */
  readonly name: string;
  readonly keyId: number;
  /** The policy witness whose key has this name (signed with another key), if any. */
  readonly witness?: string;
  /** The key ID the policy pins for that witness. */
  readonly expectedKeyId?: number;
}

/** Most untrusted signatures named in a message; a note may carry up to 256. */
const MAX_NAMED = 5;

/** "witness w1 signed with key ID 0a1b2c3d, but the policy pins 4e5f6a7b; …" for a quorum failure. */
export function describeUntrusted(untrusted: readonly UntrustedSignature[]): string {
  const parts = untrusted
    .slice(0, MAX_NAMED)
    .map((u) =>
      u.witness !== undefined
        ? `witness ${u.witness} signed with key ID ${formatKeyId(u.keyId)}, but the policy pins key ID ${formatKeyId(u.expectedKeyId!)}`
        : `${u.name} (not in the policy) signed with key ID ${formatKeyId(u.keyId)}`,
    );
  if (untrusted.length > MAX_NAMED) parts.push(`${untrusted.length - MAX_NAMED} more untrusted signatures`);
  return parts.join('; ');
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
  const verified = new Set(opened.note.verified.map((v) => v.signature));
  const untrusted: UntrustedSignature[] = [];
  for (const sig of opened.note.signatures) {
    if (verified.has(sig) || sig.name === opened.checkpoint.origin) continue;
    const w = [...policy.witnesses.values()].find((x) => x.verifier.name === sig.name);
    untrusted.push(
      w
        ? { name: sig.name, keyId: sig.keyId, witness: w.name, expectedKeyId: w.verifier.keyId }
        : { name: sig.name, keyId: sig.keyId },
    );
  }
  return {
    checkpoint: opened.checkpoint,
    note: text,
    cosigners,
    quorumMet: quorumSatisfied(policy, new Set(cosigners.keys())),
    untrusted,
  };
}

export function requireQuorum(trusted: TrustedCheckpoint): TrustedCheckpoint {
  if (!trusted.quorumMet) {
    const who = [...trusted.cosigners.keys()];
    throw new FleetlogError(
      'quorum_not_met',
      `checkpoint ${trusted.checkpoint.origin}@${trusted.checkpoint.size} is cosigned by ${who.length ? who.join(', ') : 'no trusted witness'}, which does not meet the policy's quorum${trusted.untrusted.length ? `; ${describeUntrusted(trusted.untrusted)}` : ''}`,
    );
  }
  return trusted;
}
