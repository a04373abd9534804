/**
 * What a countersigner verifies before it counter-signs a fleet key set, and what `fleet submit`
 * re-verifies before it writes anything to the log (issue 9; formats.md §5.3, §6.2, §6.3):
 *
 *   1. publisher signature   by a pinned `fleetlog publisher` key, over this exact body
 *   2. evidence reference    the key set's `evidence` is the leaf hash of the evidence given
 *   3. evidence rules E1-E4  attested HSMs running the released firmware (audit step 6b)
 *   4. key rules K1-K2       same fleet; every key is one its HSM's attestation covers (step 6c)
 *   5. validity window       not already expired (step 8 would refuse it on every client)
 *   6. version               greater than the log's current key set for the fleet (step 7, F3)
 *
 * Pure: the caller supplies the policy, the evidence bytes, the clock and the log's current key
 * set. Each check carries the error code a refusal uses, so the CLI's exit code follows from it.
 */
import { FleetlogError, type ErrorCode } from '../errors.ts';
import { evidenceProblems, type DeploymentEvidence } from '../entries/deployment-evidence.ts';
import { entryLeafHashHex } from '../entries/entry.ts';
import { keysetEvidenceProblems, publisherMessage, type FleetKeysetBody } from '../entries/fleet-keyset.ts';
import { verifySignatureRef } from '../entries/signature-ref.ts';
import { KEY_TYPE_ED25519, type PublicKeyInfo, type SignerKey } from '../note/keys.ts';
import type { Policy } from '../policy/policy.ts';
import type { KeysetDraft } from './keyset-draft.ts';

export interface PublishCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** The code of the refusal when the check fails. */
  readonly code: ErrorCode;
}

export interface PublishContext {
  readonly policy: Policy;
  readonly evidence: DeploymentEvidence;
  readonly evidenceBytes: Uint8Array;
  /** Seconds since the epoch. */
  readonly now: number;
  /** The log's current key set for this fleet (already verified by the caller), if it has one. */
  readonly current?: FleetKeysetBody;
}

const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** Runs every check (none stops the others) so a review shows the whole picture. */
export function publishChecks(draft: KeysetDraft, ctx: PublishContext): PublishCheck[] {
  const { body } = draft;
  const checks: PublishCheck[] = [];
  const add = (name: string, ok: boolean, detail: string, code: ErrorCode): void => {
    checks.push({ name, ok, detail, code });
  };

  const sig = draft.publisherSignature;
  add(
    'publisher signature',
    sig !== undefined && verifySignatureRef(sig, ctx.policy.publishers, publisherMessage(body)),
    sig === undefined
      ? 'the key set is not signed by the publisher (run fleet sign first)'
      : ctx.policy.publishers.some((k) => k.name === sig.name)
        ? `${sig.name} signed ${verifySignatureRef(sig, ctx.policy.publishers, publisherMessage(body)) ? 'this exact key set' : 'a different key set: it was changed after the publisher signed, or the signature is not by the pinned key'}`
        : `${sig.name} is not a publisher key pinned by the policy`,
    'bad_signature',
  );

  const leaf = entryLeafHashHex(ctx.evidenceBytes);
  add(
    'evidence reference',
    body.evidence === leaf,
    body.evidence === leaf
      ? `the key set references this deployment evidence (leaf hash ${leaf.slice(0, 16)}…)`
      : `the key set references evidence ${body.evidence.slice(0, 16)}…, but the evidence given has leaf hash ${leaf.slice(0, 16)}…`,
    'entry_rejected',
  );

  const e = evidenceProblems(ctx.evidence, ctx.policy.hsmVendors);
  add(
    'deployment evidence (E1-E4)',
    e.length === 0,
    e.length === 0
      ? `${ctx.evidence.hsms.length} HSMs attested by a pinned vendor key, all running firmware ${ctx.evidence.firmware.release}`
      : e.join('; '),
    'entry_rejected',
  );

  const k = keysetEvidenceProblems(body, ctx.evidence);
  add(
    'keys against the evidence (K1, K2)',
    k.length === 0,
    k.length === 0 ? `all ${body.keys.length} keys are covered by their HSM's attestation` : k.join('; '),
    'entry_rejected',
  );

  add(
    'validity window',
    ctx.now < body.notAfter,
    ctx.now < body.notAfter
      ? `valid ${iso(body.notBefore)} to ${iso(body.notAfter)}${ctx.now < body.notBefore ? ' (starts in the future)' : ''}`
      : `the key set expired at ${iso(body.notAfter)}; every client would refuse it (audit step 8)`,
    'entry_rejected',
  );

  const cur = ctx.current;
  add(
    'version',
    cur === undefined || (cur.fleetId === body.fleetId && body.version > cur.version),
    cur === undefined
      ? `version ${body.version}: the log has no key set for fleet ${body.fleetId} yet`
      : body.version > cur.version
        ? `version ${body.version} follows the log's current version ${cur.version}`
        : `version ${body.version} does not increase over the log's current version ${cur.version} of fleet ${body.fleetId}`,
    'rollback',
  );
  return checks;
}

/** Throws the first failed check as a one-line FleetlogError. */
export function requirePublishChecks(checks: readonly PublishCheck[]): void {
  const failed = checks.find((c) => !c.ok);
  if (failed) throw new FleetlogError(failed.code, `${failed.name}: ${failed.detail}`);
}

/** The signing key must be one of the policy's pinned keys of that role (same vkey). */
export function requirePinnedKey(
  role: 'publisher' | 'countersigner',
  key: SignerKey,
  pinned: readonly PublicKeyInfo[],
): void {
  if (key.type !== KEY_TYPE_ED25519 || !pinned.some((p) => p.vkey === key.vkey))
    throw new FleetlogError(
      'forbidden',
      `the key ${key.vkey} is not a ${role} key pinned by the policy (the policy's ${role} keys: ${pinned.map((p) => p.name).join(', ') || 'none'})`,
    );
}
