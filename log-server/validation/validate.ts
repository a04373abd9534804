/**
 * What the log checks before it sequences an entry. Stateless checks run here, on the serving
 * thread or on a validation worker: size, canonical form and schema (core/entries), and for a
 * fleet key set both signatures under the policy's publisher and countersigner keys. The one
 * stateful rule (the key set's deployment evidence must already be logged, or come earlier in the
 * same batch) is the sequencer's, because only it knows what is logged.
 *
 * Deliberately NOT checked here: HSM attestations, version order and validity windows. Those are
 * audit steps 6-8 (specs/audit.md); the log records history, auditors judge it.
 */
import { fromHex } from '../../core/bytes.ts';
import { MAX_ENTRY_BYTES } from '../../core/entry-bundle.ts';
import { decodeEntry } from '../../core/entries/entry.ts';
import { checkKeysetSignatures, FLEET_KEYSET_TYPE } from '../../core/entries/fleet-keyset.ts';
import { FleetlogError } from '../../core/errors.ts';
import { leafHash, type Hash } from '../../core/merkle/hash.ts';
import type { PublicKeyInfo } from '../../core/note/keys.ts';
import type { EntryFacts, EvidenceFacts, KeysetFacts } from '../storage/storage.ts';

export interface SigningKeys {
  readonly publishers: readonly PublicKeyInfo[];
  readonly countersigners: readonly PublicKeyInfo[];
}

/** An entry that passed the stateless checks, ready for the sequencer. */
export interface ValidatedEntry {
  readonly data: Uint8Array;
  readonly leafHash: Hash;
  readonly facts: PendingFacts;
}

/**
 * Entry facts before sequencing: the stored facts, except that a key set names its evidence by
 * leaf hash; the sequencer resolves that to an index.
 */
export type PendingFacts = EvidenceFacts | (Omit<KeysetFacts, 'evidenceIndex'> & { readonly evidence: Hash });

export function validateEntry(data: Uint8Array, keys: SigningKeys): ValidatedEntry {
  if (data.length === 0)
    throw new FleetlogError('bad_entry', "the request body is empty; send one entry's canonical JSON bytes");
  if (data.length > MAX_ENTRY_BYTES)
    throw new FleetlogError('too_large', `entry is ${data.length} bytes; the maximum is ${MAX_ENTRY_BYTES}`);
  const entry = decodeEntry(data);
  if (entry.type !== FLEET_KEYSET_TYPE) {
    return { data, leafHash: leafHash(data), facts: { kind: 'evidence', fleetId: entry.fleetId } };
  }
  if (keys.publishers.length === 0 || keys.countersigners.length === 0) {
    throw new FleetlogError(
      'forbidden',
      'this log pins no publisher and countersigner keys, so it accepts no fleet key sets (start it with a fleetlog policy)',
    );
  }
  const check = checkKeysetSignatures(entry, keys.publishers, keys.countersigners);
  if (!check.publisher)
    throw new FleetlogError(
      'bad_signature',
      `the publisher signature by ${entry.publisherSignature.name} is not a valid signature by a publisher key this log pins`,
    );
  if (!check.countersigner)
    throw new FleetlogError(
      'bad_signature',
      `the counter-signature by ${entry.countersignature.name} is not a valid signature by a countersigner key this log pins`,
    );
  return {
    data,
    leafHash: leafHash(data),
    facts: {
      kind: 'keyset',
      fleetId: entry.fleetId,
      version: entry.version,
      evidence: fromHex(entry.evidence, 32, 'evidence'),
      notBefore: entry.notBefore,
      notAfter: entry.notAfter,
    },
  };
}

/** The stored facts once the evidence reference is resolved to an index. */
export function storedFacts(facts: PendingFacts, evidenceIndex: number | undefined): EntryFacts {
  if (facts.kind === 'evidence') return facts;
  const { evidence: _byHash, ...keyset } = facts;
  return { ...keyset, evidenceIndex: evidenceIndex! };
}
