/**
 * After submitting: wait until a PUBLISHED checkpoint of the log covers both entries and meets the
 * policy's quorum, then build the offline validation bundle (formats.md §13) from the log's proofs
 * against that checkpoint and verify it with the client's code (core/audit/fleet-trust.ts) before
 * handing it out. A timeout says which witnesses did not cosign.
 */
import { EMPTY_STATE } from '../core/audit/client-state.ts';
import { formatFleetBundle, parseFleetBundle } from '../core/audit/fleet-bundle.ts';
import { decideFleetTrust, type FleetTrustDecision } from '../core/audit/fleet-trust.ts';
import { FleetlogError, isFleetlogError } from '../core/errors.ts';
import { openCheckpointWithPolicy } from '../core/policy/checkpoint-trust.ts';
import type { Policy } from '../core/policy/policy.ts';
import { parseTlogProof } from '../core/tlog-proof.ts';
import type { PublishLogClient } from './log-client.ts';

export interface WaitOptions {
  readonly log: PublishLogClient;
  readonly policy: Policy;
  readonly fleetId: string;
  readonly keysetIndex: number;
  readonly evidenceIndex: number;
  /** Leaf hash (hex) of the key set that must be in the bundle. */
  readonly keysetLeafHash: string;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  /** Seconds since the epoch. */
  readonly now?: () => number;
}

export interface VerifiedBundle {
  readonly text: string;
  readonly decision: FleetTrustDecision;
  /** Policy names of the witnesses that cosigned the bundle's checkpoint. */
  readonly cosigners: readonly string[];
  readonly size: number;
}

export async function waitForBundle(o: WaitOptions): Promise<VerifiedBundle> {
  const deadline = Date.now() + o.timeoutMs;
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  let lastCosigners: readonly string[] = [];
  for (;;) {
    const note = await o.log.publishedCheckpoint();
    if (note !== undefined) {
      const trusted = openCheckpointWithPolicy(o.policy, note);
      if (trusted.checkpoint.size > o.keysetIndex) lastCosigners = [...trusted.cosigners.keys()];
      if (trusted.checkpoint.size > o.keysetIndex && trusted.quorumMet) {
        const text = await bundleAt(o.log, o.keysetIndex, o.evidenceIndex);
        if (text !== undefined) return verifyBundle(o.policy, text, o.fleetId, o.keysetLeafHash, now());
      }
    }
    if (Date.now() >= deadline) throw await timeoutError(o, lastCosigners);
    await new Promise((r) => setTimeout(r, o.pollMs ?? 100));
  }
}

/** Both proofs against one published checkpoint (a new one may be published between the two reads). */
async function bundleAt(
  log: PublishLogClient,
  keysetIndex: number,
  evidenceIndex: number,
): Promise<string | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const [k, e] = await Promise.all([log.proof(keysetIndex), log.proof(evidenceIndex)]);
    if (k === undefined || e === undefined) return undefined;
    const kp = parseTlogProof(k);
    const ep = parseTlogProof(e);
    if (kp.checkpoint !== ep.checkpoint) continue;
    if (kp.extra === undefined || ep.extra === undefined)
      throw new FleetlogError('bad_proof', 'the log served a proof without its entry');
    return formatFleetBundle({
      keyset: { bytes: kp.extra, index: kp.index, proof: kp.proof },
      evidence: { bytes: ep.extra, index: ep.index, proof: ep.proof },
      checkpoint: kp.checkpoint,
    });
  }
  return undefined;
}

/**
 * Runs the client's trust decision on a bundle (no saved state) and insists it is trusted and, when
 * `leafHash` is given, that it carries that key set. Throws audit_failed naming the failed step.
 */
export function verifyBundle(
  policy: Policy,
  text: string,
  fleetId: string,
  leafHash: string | undefined,
  now: number,
): VerifiedBundle {
  const bundle = parseFleetBundle(text);
  const decision = decideFleetTrust({ policy, bundle, now, state: EMPTY_STATE, fleetId });
  const failed = decision.steps.find((s) => !s.ok);
  if (!decision.trusted)
    throw new FleetlogError(
      'audit_failed',
      `the bundle for fleet ${fleetId} does not verify: step ${failed?.step} (${failed?.title}): ${failed?.reason}`,
    );
  if (leafHash !== undefined && decision.state.fleets[fleetId]?.leafHash !== leafHash)
    throw new FleetlogError(
      'audit_failed',
      `the log's bundle for fleet ${fleetId} does not carry the submitted key set`,
    );
  const trusted = openCheckpointWithPolicy(policy, bundle.checkpoint);
  return { text, decision, cosigners: [...trusted.cosigners.keys()], size: trusted.checkpoint.size };
}

async function timeoutError(o: WaitOptions, cosigned: readonly string[]): Promise<FleetlogError> {
  const names = [...o.policy.witnesses.keys()];
  let statuses: Awaited<ReturnType<PublishLogClient['witnessStatus']>> = [];
  try {
    statuses = await o.log.witnessStatus();
  } catch (e) {
    if (!isFleetlogError(e)) throw e;
  }
  // A witness cosigned if the published checkpoint says so, or if the log reports a cosignature on a
  // tree that covers the key set (the quorum as a whole was not met, so nothing was published).
  const covered = (n: string): boolean => {
    const size = statuses.find((x) => x.name === n)?.lastCosignedSize;
    return cosigned.includes(n) || (typeof size === 'number' && size > o.keysetIndex);
  };
  const missing = names
    .filter((n) => !covered(n))
    .map((n) => {
      const s = statuses.find((x) => x.name === n);
      if (!s) return n;
      return `${n} (${s.status}${s.lastError ? `: ${s.lastError}` : ''})`;
    });
  return new FleetlogError(
    'unavailable',
    `no published checkpoint covering entry ${o.keysetIndex} met the policy's quorum (${o.policy.quorum}) within ${Math.round(o.timeoutMs / 1000)} s; not cosigned by: ${missing.join(', ') || 'none (the log has not published yet)'}${names.some(covered) ? ` (cosigned by ${names.filter(covered).join(', ')})` : ''}; the entries are logged, run fleet submit --wait again or fleet bundle later`,
  );
}
