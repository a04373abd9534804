/**
 * Audit scenarios over the fixture world: fleet bundles that pass the eight audit steps of
 * specs/audit.md, and bundles that fail at each step for a stated reason. Shared by the vector
 * generator (audit.json) and test/core/audit.test.ts.
 */
import { fromBase64, toBase64, toHex, utf8 } from '../../core/bytes.ts';
import type { ClientState } from '../../core/audit/client-state.ts';
import type { FleetBundle } from '../../core/audit/fleet-bundle.ts';
import type { StepNumber } from '../../core/audit/steps.ts';
import { sha256 } from '../../core/crypto/sha256.ts';
import { canonicalJsonBytes } from '../../core/entries/canonical-json.ts';
import { encodeEntry } from '../../core/entries/entry.ts';
import { signFleetKeyset, type FleetKeyset } from '../../core/entries/fleet-keyset.ts';
import { leafHash, type Hash } from '../../core/merkle/hash.ts';
import { KEY_TYPE_ED25519 } from '../../core/note/keys.ts';
import { buildWorld, fixedKey, NOW, ORIGIN, policyText, type World } from './fixtures.ts';

export interface AuditScenario {
  readonly description: string;
  readonly policy: string;
  readonly bundle: FleetBundle;
  readonly now: number;
  readonly state: ClientState;
  readonly consistencyProof?: readonly Hash[];
  readonly fleetId?: string;
  readonly expected:
    | { readonly trusted: true }
    | { readonly trusted: false; readonly failedStep: StepNumber; readonly reason: string };
}

const DAY = 86400;
const FULL = 9;
const OLD = 4;

function seen(world: World, size: number, root?: Uint8Array): ClientState['checkpoint'] {
  return { origin: ORIGIN, size, rootHash: toHex(root ?? world.store.root(size)) };
}

/** Re-encodes a key set with one field replaced (the signatures are left as they are). */
function editedKeyset(k: FleetKeyset, edit: Partial<FleetKeyset>): Uint8Array {
  return encodeEntry({ ...k, ...edit });
}

function flipHexDigit(hex: string, at: number): string {
  const c = hex[at]!;
  return hex.slice(0, at) + (c === '0' ? '1' : '0') + hex.slice(at + 1);
}

/** Replaces one cosignature or signature line's base64 with a corrupted copy. */
function corruptSignatureLine(note: string, name: string): string {
  const start = note.indexOf(`\u2014 ${name} `);
  const lineEnd = note.indexOf('\n', start);
  const line = note.slice(start, lineEnd);
  const sigStart = line.lastIndexOf(' ') + 1;
  const raw = fromBase64(line.slice(sigStart));
  raw[raw.length - 1]! ^= 0x01; // inside S: still canonical base64, no longer a valid signature
  const fixed = toBase64(raw);
  return note.slice(0, start) + line.slice(0, sigStart) + fixed + note.slice(lineEnd);
}

export function buildAuditScenarios(world: World = buildWorld()): AuditScenario[] {
  const { keysets, evidence, keys } = world;
  const policy = world.policyText;
  const cp = world.checkpoint(FULL, [0, 1]);
  const a2 = world.bundle(keysets.a2, evidence.a, cp, FULL);
  const noState: ClientState = { fleets: {} };
  const a1Hash = toHex(leafHash(keysets.a1.bytes));
  const a2Hash = toHex(leafHash(keysets.a2.bytes));
  const base = { policy, now: NOW, state: noState };
  const out: AuditScenario[] = [];
  const pass = (
    description: string,
    s: Omit<AuditScenario, 'description' | 'expected' | 'policy' | 'now' | 'state'> & Partial<AuditScenario>,
  ): void => {
    out.push({ ...base, ...s, description, expected: { trusted: true } });
  };
  const fail = (
    step: StepNumber,
    reason: string,
    description: string,
    s: Omit<AuditScenario, 'description' | 'expected' | 'policy' | 'now' | 'state'> & Partial<AuditScenario>,
  ): void => {
    out.push({ ...base, ...s, description, expected: { trusted: false, failedStep: step, reason } });
  };

  // Passing bundles.
  pass('fleet-a key set v2 with its evidence, first use (no saved state), cosigned by w1 and w2', { bundle: a2 });
  pass('fleet-a v2 after having trusted v1 at tree size 4: consistency 4 -> 9 and a newer version', {
    bundle: a2,
    state: { checkpoint: seen(world, OLD), fleets: { 'fleet-a': { version: 1, leafHash: a1Hash } } },
    consistencyProof: world.consistency(OLD, FULL),
  });
  pass('the same key set and checkpoint as last time (same version, same leaf hash, same tree)', {
    bundle: a2,
    state: { checkpoint: seen(world, FULL), fleets: { 'fleet-a': { version: 2, leafHash: a2Hash } } },
  });
  pass('a stale but consistent view: bundle at size 7 after having seen size 9 (proof 7 -> 9)', {
    bundle: world.bundle(keysets.a2, evidence.a, world.checkpoint(7, [1, 2]), 7),
    state: { checkpoint: seen(world, FULL), fleets: {} },
    consistencyProof: world.consistency(7, FULL),
  });
  pass('fleet-b with three HSMs, cosigned by w2 and w3, fleet id requested explicitly', {
    bundle: world.bundle(keysets.b1, evidence.b, world.checkpoint(FULL, [1, 2]), FULL),
    fleetId: 'fleet-b',
  });

  // Step 1: the key set's own signatures under the pinned keys.
  const ks = keysets.a2.value;
  fail(1, 'publisher signature', 'publisher signature altered (one hex digit of S)', {
    bundle: {
      ...a2,
      keyset: {
        ...a2.keyset,
        bytes: editedKeyset(ks, {
          publisherSignature: {
            ...ks.publisherSignature,
            signature: flipHexDigit(ks.publisherSignature.signature, 100),
          },
        }),
      },
    },
  });
  fail(1, 'counter-signature', 'countersigner key not pinned by the policy', {
    bundle: a2,
    policy: policyText(keys, { omit: 'countersigner' }),
  });
  fail(1, 'publisher signature', 'publisher and countersigner signatures swapped', {
    bundle: {
      ...a2,
      keyset: {
        ...a2.keyset,
        bytes: editedKeyset(ks, { publisherSignature: ks.countersignature, countersignature: ks.publisherSignature }),
      },
    },
  });
  {
    // A countersignature over the same body but a different publisher signature does not verify.
    const other = signFleetKeyset({ ...ks, version: 3 }, keys.publisher, keys.countersigner);
    fail(1, 'counter-signature', 'countersignature taken from another key set', {
      bundle: {
        ...a2,
        keyset: { ...a2.keyset, bytes: editedKeyset(ks, { countersignature: other.countersignature }) },
      },
    });
  }
  fail(1, 'publisher signature', 'publisher signature by an unpinned key with the publisher name', {
    bundle: {
      ...a2,
      keyset: {
        ...a2.keyset,
        bytes: encodeEntry(
          signFleetKeyset(
            ks,
            fixedKey(keys.publisher.name, KEY_TYPE_ED25519, 'impostor publisher'),
            keys.countersigner,
          ),
        ),
      },
    },
  });
  fail(1, 'not a valid fleet key set', 'the key-set slot carries the deployment evidence entry', {
    bundle: { ...a2, keyset: { ...a2.keyset, bytes: evidence.a.bytes } },
  });
  fail(1, 'not a valid fleet key set', 'key set bytes not in canonical form (pretty-printed JSON)', {
    bundle: {
      ...a2,
      keyset: {
        ...a2.keyset,
        bytes: utf8(JSON.stringify(JSON.parse(new TextDecoder().decode(keysets.a2.bytes)), null, 1)),
      },
    },
  });
  fail(1, 'not fleet-b', 'the client asked for fleet-b but the bundle is for fleet-a', {
    bundle: a2,
    fleetId: 'fleet-b',
  });

  // Step 2: inclusion of the key set in the checkpoint.
  fail(2, 'inclusion proof', 'key set proof replaced by the evidence proof', {
    bundle: { ...a2, keyset: { ...a2.keyset, proof: a2.evidence.proof } },
  });
  fail(2, 'inclusion proof', 'key set index off by one (3 instead of 4)', {
    bundle: { ...a2, keyset: { ...a2.keyset, index: 3 } },
  });
  {
    const v3 = signFleetKeyset({ ...ks, version: 3 }, keys.publisher, keys.countersigner);
    fail(2, 'inclusion proof', 'a correctly signed key set v3 that was never logged', {
      bundle: { ...a2, keyset: { ...a2.keyset, bytes: canonicalJsonBytes(v3) } },
    });
  }
  fail(2, 'inclusion proof', 'key set proof truncated by one hash', {
    bundle: { ...a2, keyset: { ...a2.keyset, proof: a2.keyset.proof.slice(0, -1) } },
  });

  // Step 3: the checkpoint's signature by the pinned log key.
  fail(3, 'no_trusted_signature', 'checkpoint signed by another key that uses the log origin as its name', {
    bundle: world.bundle(
      keysets.a2,
      evidence.a,
      world.checkpoint(FULL, [0, 1], { logKey: fixedKey(ORIGIN, KEY_TYPE_ED25519, 'impostor log') }),
      FULL,
    ),
  });
  fail(3, 'bad_signature', 'the log signature is corrupted', {
    bundle: { ...a2, checkpoint: corruptSignatureLine(cp, ORIGIN) },
  });
  fail(
    3,
    'bad_signature',
    "a pinned witness's cosignature is corrupted (a known key's failing signature rejects the note)",
    {
      bundle: { ...a2, checkpoint: corruptSignatureLine(cp, keys.witnesses[1].name) },
    },
  );

  // Step 4: the witness quorum (2 of 3).
  fail(4, 'quorum not met', 'cosigned by w1 only', {
    bundle: world.bundle(keysets.a2, evidence.a, world.checkpoint(FULL, [0]), FULL),
  });
  fail(4, 'no trusted witness', 'no cosignatures at all', {
    bundle: world.bundle(keysets.a2, evidence.a, world.checkpoint(FULL, []), FULL),
  });
  {
    const once = world.checkpoint(FULL, [0]);
    const line = once.slice(once.indexOf(`\u2014 ${keys.witnesses[0].name} `));
    fail(4, 'quorum not met', "w1's cosignature line repeated twice does not count as two witnesses", {
      bundle: { ...a2, checkpoint: once + line },
    });
  }

  // Step 5: consistency with the last checkpoint seen.
  const forkRoot = sha256(utf8('a forked tree of size 4'));
  fail(5, 'forked', 'last seen size 4 had a different root (the log forked)', {
    bundle: a2,
    state: { checkpoint: seen(world, OLD, forkRoot), fleets: {} },
    consistencyProof: world.consistency(OLD, FULL),
  });
  fail(5, 'split view', 'last seen a different root at the same size 9 (split view)', {
    bundle: a2,
    state: { checkpoint: seen(world, FULL, forkRoot), fleets: {} },
  });
  fail(5, 'no consistency proof', 'last seen size 4 but no consistency proof supplied', {
    bundle: a2,
    state: { checkpoint: seen(world, OLD), fleets: {} },
  });
  fail(5, 'forked', 'consistency proof for the wrong sizes (5 -> 9 supplied for 4 -> 9)', {
    bundle: a2,
    state: { checkpoint: seen(world, OLD), fleets: {} },
    consistencyProof: world.consistency(5, FULL),
  });
  fail(5, 'origin', 'last checkpoint seen is for another origin', {
    bundle: a2,
    state: { checkpoint: { ...seen(world, OLD)!, origin: 'other.example/log' }, fleets: {} },
    consistencyProof: world.consistency(OLD, FULL),
  });

  // Step 6: the evidence was logged earlier and verifies.
  fail(6, 'not the entry the key set references', "fleet-b's evidence supplied for fleet-a's key set", {
    bundle: world.bundle(keysets.a2, evidence.b, cp, FULL),
  });
  fail(6, 'not before the key set', 'fleet-d key set logged (index 7) before its evidence (index 8)', {
    bundle: world.bundle(keysets.d1, evidence.d, cp, FULL),
  });
  fail(
    6,
    'firmware measurement',
    "an HSM in fleet-c's evidence reports a firmware measurement that is not the release hash",
    { bundle: world.bundle(keysets.c1, evidence.c, cp, FULL) },
  );
  fail(6, 'evidence inclusion proof', 'evidence inclusion proof corrupted', {
    bundle: { ...a2, evidence: { ...a2.evidence, proof: [sha256(utf8('x')), ...a2.evidence.proof.slice(1)] } },
  });
  fail(6, 'pins no HSM vendor key', 'the policy pins no HSM vendor key, so no attestation can be checked', {
    bundle: a2,
    policy: policyText(keys, { omit: 'vendor' }),
  });

  // Step 7: no version rollback.
  fail(7, 'rollback', 'client already trusts fleet-a version 3', {
    bundle: a2,
    state: { fleets: { 'fleet-a': { version: 3, leafHash: toHex(sha256(utf8('v3'))) } } },
  });
  fail(7, 'two different key sets', 'client trusts a different fleet-a key set that also claims version 2', {
    bundle: a2,
    state: { fleets: { 'fleet-a': { version: 2, leafHash: a1Hash } } },
  });
  fail(7, 'rollback', 'fleet-a v1 after having trusted v2', {
    bundle: world.bundle(keysets.a1, evidence.a, cp, FULL),
    state: { fleets: { 'fleet-a': { version: 2, leafHash: a2Hash } } },
  });

  // Step 8: the validity window.
  fail(8, 'expired', 'now is the key set notAfter (the window is half-open)', {
    bundle: a2,
    now: keysets.a2.value.notAfter,
  });
  fail(8, 'not valid before', 'now is one second before notBefore', {
    bundle: a2,
    now: keysets.a2.value.notBefore - 1,
  });
  fail(8, 'expired', 'fleet-a v1 is past its window 31 days after NOW', {
    bundle: world.bundle(keysets.a1, evidence.a, cp, FULL),
    now: NOW + 31 * DAY,
  });
  return out;
}
