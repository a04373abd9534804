/**
 * The client's trust decision for one fleet key set: run audit steps 1-8 in order and stop at the
 * first failure. Pure: the caller fetches (or receives) the bundle, the checkpoint and, when it has
 * seen an earlier checkpoint, a consistency proof.
 */
import { toHex } from '../bytes.ts';
import { FLEET_KEYSET_TYPE, type FleetKeyset } from '../entries/fleet-keyset.ts';
import { DEPLOYMENT_EVIDENCE_TYPE } from '../entries/deployment-evidence.ts';
import { decodeEntry } from '../entries/entry.ts';
import { leafHash, type Hash } from '../merkle/hash.ts';
import type { Policy } from '../policy/policy.ts';
import type { ClientState } from './client-state.ts';
import type { FleetBundle } from './fleet-bundle.ts';
import {
  STEP_TITLES,
  step1Signatures,
  step2Inclusion,
  step3CheckpointSignature,
  step4Quorum,
  step5Consistency,
  step6Evidence,
  step7Version,
  step8Validity,
  type StepNumber,
  type StepResult,
} from './steps.ts';

export interface FleetTrustInput {
  readonly policy: Policy;
  readonly bundle: FleetBundle;
  /** Seconds since the epoch. */
  readonly now: number;
  readonly state: ClientState;
  /** Consistency proof between state.checkpoint and the bundle's checkpoint, when both exist. */
  readonly consistencyProof?: readonly Hash[];
  /** If set, the key set must be for this fleet. */
  readonly fleetId?: string;
}

export interface FleetTrustDecision {
  readonly trusted: boolean;
  /** One result per step that ran; steps after a failure are reported as skipped. */
  readonly steps: readonly StepResult[];
  readonly skipped: readonly StepNumber[];
  readonly keyset?: FleetKeyset;
  /** The state to save if the decision is trusted (unchanged otherwise). */
  readonly state: ClientState;
}

export function decideFleetTrust(input: FleetTrustInput): FleetTrustDecision {
  const steps: StepResult[] = [];
  const finish = (keyset?: FleetKeyset): FleetTrustDecision => {
    const ran = new Set(steps.map((s) => s.step));
    const skipped = ([1, 2, 3, 4, 5, 6, 7, 8] as StepNumber[]).filter((n) => !ran.has(n));
    return keyset === undefined
      ? { trusted: false, steps, skipped, state: input.state }
      : { trusted: false, steps, skipped, keyset, state: input.state };
  };
  const { policy, bundle } = input;

  // Step 1: decode the key set and check both signatures.
  let keyset: FleetKeyset;
  try {
    const entry = decodeEntry(bundle.keyset.bytes);
    if (entry.type !== FLEET_KEYSET_TYPE) throw new Error(`the entry is a ${entry.type}, not a fleet key set`);
    keyset = entry;
  } catch (e) {
    steps.push({
      step: 1,
      title: STEP_TITLES[1],
      ok: false,
      reason: `not a valid fleet key set: ${(e as Error).message}`,
    });
    return finish();
  }
  if (input.fleetId !== undefined && keyset.fleetId !== input.fleetId) {
    steps.push({
      step: 1,
      title: STEP_TITLES[1],
      ok: false,
      reason: `the key set is for fleet ${keyset.fleetId}, not ${input.fleetId}`,
    });
    return finish(keyset);
  }
  if (!record(steps, step1Signatures(policy, keyset))) return finish(keyset);

  const s2 = step2Inclusion(bundle.checkpoint, bundle.keyset.bytes, bundle.keyset.index, bundle.keyset.proof);
  if (!record(steps, s2)) return finish(keyset);
  const s3 = step3CheckpointSignature(policy, bundle.checkpoint);
  if (!record(steps, s3)) return finish(keyset);
  const trusted = s3.trusted!;
  if (!record(steps, step4Quorum(trusted))) return finish(keyset);
  if (!record(steps, step5Consistency(input.state.checkpoint, trusted.checkpoint, input.consistencyProof)))
    return finish(keyset);

  let evidence: Parameters<typeof step6Evidence>[4];
  try {
    const entry = decodeEntry(bundle.evidence.bytes);
    if (entry.type === DEPLOYMENT_EVIDENCE_TYPE) evidence = { ...bundle.evidence, entry };
  } catch {
    evidence = undefined;
  }
  if (!record(steps, step6Evidence(policy, trusted.checkpoint, keyset, bundle.keyset.index, evidence)))
    return finish(keyset);

  const keysetHash = toHex(leafHash(bundle.keyset.bytes));
  if (
    !record(
      steps,
      step7Version(
        keyset,
        keysetHash,
        Object.hasOwn(input.state.fleets, keyset.fleetId) ? input.state.fleets[keyset.fleetId] : undefined,
      ),
    )
  )
    return finish(keyset);
  if (!record(steps, step8Validity(keyset, input.now))) return finish(keyset);

  const cp = trusted.checkpoint;
  const last = input.state.checkpoint;
  // Keep the largest checkpoint seen: a stale-but-consistent view must not move the state back.
  const checkpoint =
    last && last.size > cp.size ? last : { origin: cp.origin, size: cp.size, rootHash: toHex(cp.rootHash) };
  const state: ClientState = {
    checkpoint,
    fleets: { ...input.state.fleets, [keyset.fleetId]: { version: keyset.version, leafHash: keysetHash } },
  };
  return { trusted: true, steps, skipped: [], keyset, state };
}

function record(steps: StepResult[], result: StepResult): boolean {
  const { step, title, ok, reason } = result;
  steps.push({ step, title, ok, reason });
  return ok;
}
