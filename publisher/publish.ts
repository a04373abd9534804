/**
 * The publishing workflow as library functions, shared by the `fleetlog fleet …` commands, the
 * simulator's ceremony and the demo (one code path). Each party's step reads what the other wrote
 * and re-checks it; nothing is signed or written to the log until every check passed.
 *
 *   reviewForCountersign  the countersigner's checks and review (reads the log, signs nothing)
 *   countersign           the countersignature, only on a review whose checks all passed
 *   submitKeyset          checks again, then logs the evidence and then the key set (a
 *                         resubmission succeeds); with `wait`, also waits for the quorum and
 *                         returns the verified offline bundle
 *   fetchBundle           the log's current bundle for a fleet, verified like a client would
 */
import { FleetlogError } from '../core/errors.ts';
import { DEPLOYMENT_EVIDENCE_TYPE, type DeploymentEvidence } from '../core/entries/deployment-evidence.ts';
import { decodeEntry, entryLeafHashHex } from '../core/entries/entry.ts';
import { FLEET_KEYSET_TYPE, type FleetKeyset } from '../core/entries/fleet-keyset.ts';
import type { SignerKey } from '../core/note/keys.ts';
import type { Policy } from '../core/policy/policy.ts';
import { diffKeysets } from '../core/publish/keyset-diff.ts';
import { countersignKeyset, type KeysetDraft } from '../core/publish/keyset-draft.ts';
import { publishChecks, requirePinnedKey, requirePublishChecks } from '../core/publish/publish-checks.ts';
import { step1Signatures } from '../core/audit/steps.ts';
import { currentKeyset } from './current-keyset.ts';
import type { PublishLogClient, SubmittedEntry } from './log-client.ts';
import type { CountersignReview } from './review.ts';
import { verifyBundle, waitForBundle, type VerifiedBundle } from './wait-for-bundle.ts';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Decodes an evidence entry's exact bytes (canonical, schema-valid) or refuses. */
export function decodeEvidence(bytes: Uint8Array): DeploymentEvidence {
  const entry = decodeEntry(bytes);
  if (entry.type !== DEPLOYMENT_EVIDENCE_TYPE)
    throw new FleetlogError('bad_entry', `expected a deployment-evidence entry, got a ${entry.type}`);
  return entry;
}

/** Decodes a complete key-set entry's exact bytes or refuses. */
export function decodeKeyset(bytes: Uint8Array): FleetKeyset {
  const entry = decodeEntry(bytes);
  if (entry.type !== FLEET_KEYSET_TYPE)
    throw new FleetlogError('bad_entry', `expected a fleet key set, got a ${entry.type}`);
  return entry;
}

export interface ReviewOptions {
  readonly draft: KeysetDraft;
  readonly evidenceBytes: Uint8Array;
  readonly policy: Policy;
  /** The countersigner's key: it must be pinned by the policy. */
  readonly key: SignerKey;
  readonly log: PublishLogClient;
  /** Seconds since the epoch. */
  readonly now?: number;
}

/**
 * Everything the countersigner must know before signing. Refuses at once (forbidden) if its key is
 * not pinned, and if the log cannot be read; otherwise every check runs and the review says which
 * failed (`ok` is false then).
 */
export async function reviewForCountersign(o: ReviewOptions): Promise<CountersignReview> {
  requirePinnedKey('countersigner', o.key, o.policy.countersigners);
  const now = o.now ?? nowSeconds();
  const evidence = decodeEvidence(o.evidenceBytes);
  const current = await currentKeyset(o.log, o.policy, o.draft.body.fleetId, now);
  const evidenceIndex = await o.log.findLeaf(entryLeafHashHex(o.evidenceBytes));
  const checks = publishChecks(o.draft, {
    policy: o.policy,
    evidence,
    evidenceBytes: o.evidenceBytes,
    now,
    ...(current ? { current: current.keyset } : {}),
  });
  return {
    draft: o.draft,
    evidence,
    checks,
    ...(current ? { current, diff: diffKeysets(current.keyset, o.draft.body) } : {}),
    ...(evidenceIndex !== undefined ? { evidenceIndex } : {}),
    ok: checks.every((c) => c.ok),
  };
}

/** Counter-signs a reviewed key set; refuses (with the first failed check) unless the review passed. */
export function countersign(review: CountersignReview, key: SignerKey): { keyset: FleetKeyset; bytes: Uint8Array } {
  requirePublishChecks(review.checks);
  return countersignKeyset(review.draft, key);
}

export interface SubmitOptions {
  readonly log: PublishLogClient;
  readonly token: string;
  readonly policy: Policy;
  readonly evidenceBytes: Uint8Array;
  readonly keysetBytes: Uint8Array;
  /** Seconds since the epoch. */
  readonly now?: number;
  /** Wait for a published, quorum-cosigned checkpoint covering both and return the verified bundle. */
  readonly wait?: { readonly timeoutMs: number; readonly pollMs?: number };
}

export interface SubmitResult {
  readonly evidence: SubmittedEntry;
  readonly keyset: SubmittedEntry;
  readonly bundle?: VerifiedBundle;
}

/**
 * Logs the evidence, then the key set. Before writing anything it re-checks both signatures, the
 * evidence, K1/K2, the window and the version against the log, so a refused submission leaves no
 * entry in the log. Submitting a logged key set again is a success (both come back as duplicates).
 */
export async function submitKeyset(o: SubmitOptions): Promise<SubmitResult> {
  const now = o.now ?? nowSeconds();
  const evidence = decodeEvidence(o.evidenceBytes);
  const keyset = decodeKeyset(o.keysetBytes);
  const signatures = step1Signatures(o.policy, keyset);
  if (!signatures.ok) throw new FleetlogError('bad_signature', `key set signatures: ${signatures.reason}`);
  const leaf = entryLeafHashHex(o.keysetBytes);
  const current = await currentKeyset(o.log, o.policy, keyset.fleetId, now);
  // A resubmission finds itself as the log's current key set: that is not a version conflict.
  const resubmission = current !== undefined && current.leafHash === leaf;
  requirePublishChecks(
    publishChecks(
      { body: keyset, publisherSignature: keyset.publisherSignature },
      {
        policy: o.policy,
        evidence,
        evidenceBytes: o.evidenceBytes,
        now,
        ...(current && !resubmission ? { current: current.keyset } : {}),
      },
    ),
  );
  const evidenceEntry = await o.log.submit(o.evidenceBytes, o.token);
  const keysetEntry = await o.log.submit(o.keysetBytes, o.token);
  if (!o.wait) return { evidence: evidenceEntry, keyset: keysetEntry };
  const bundle = await waitForBundle({
    log: o.log,
    policy: o.policy,
    fleetId: keyset.fleetId,
    keysetIndex: keysetEntry.index,
    evidenceIndex: evidenceEntry.index,
    keysetLeafHash: leaf,
    timeoutMs: o.wait.timeoutMs,
    ...(o.wait.pollMs !== undefined ? { pollMs: o.wait.pollMs } : {}),
  });
  return { evidence: evidenceEntry, keyset: keysetEntry, bundle };
}

/** The log's current bundle for a fleet, verified with the client's code (steps 1-8, no saved state). */
export async function fetchBundle(o: {
  log: PublishLogClient;
  policy: Policy;
  fleetId: string;
  now?: number;
}): Promise<VerifiedBundle> {
  const text = await o.log.fleetBundle(o.fleetId);
  if (text === undefined)
    throw new FleetlogError('not_found', `the log at ${o.log.url} has published no key set for fleet ${o.fleetId}`);
  return verifyBundle(o.policy, text, o.fleetId, undefined, o.now ?? nowSeconds());
}
