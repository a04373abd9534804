/**
 * The numbered audit steps of specs/audit.md, one function each. Every step is pure: it takes what
 * it checks as arguments and returns a StepResult (it never throws for a verification failure).
 * The auditor CLI and the backup client both run these, so they cannot disagree.
 */
import { bytesEqual, fromHex, toHex } from '../bytes.ts';
import { parseCheckpointNote, type Checkpoint } from '../checkpoint.ts';
import { evidenceProblems, type DeploymentEvidence } from '../entries/deployment-evidence.ts';
import { checkKeysetSignatures, keysetEvidenceProblems, type FleetKeyset } from '../entries/fleet-keyset.ts';
import { isFleetlogError } from '../errors.ts';
import { leafHash, type Hash } from '../merkle/hash.ts';
import { verifyConsistency, verifyInclusion } from '../merkle/verify.ts';
import { describeUntrusted, openCheckpointWithPolicy, type TrustedCheckpoint } from '../policy/checkpoint-trust.ts';
import type { Policy } from '../policy/policy.ts';

export type StepNumber = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

export const STEP_TITLES: Readonly<Record<StepNumber, string>> = {
  1: 'key set signatures (publisher and countersigner)',
  2: 'key set inclusion in the checkpoint',
  3: 'checkpoint signature by the log',
  4: 'witness quorum',
  5: 'consistency with the last checkpoint seen',
  6: 'deployment evidence logged earlier and valid',
  7: 'key set version not rolled back',
  8: 'validity window',
};

export interface StepResult {
  readonly step: StepNumber;
  readonly title: string;
  readonly ok: boolean;
  /** Why it passed or failed, in a sentence. */
  readonly reason: string;
}

const pass = (step: StepNumber, reason: string): StepResult => ({ step, title: STEP_TITLES[step], ok: true, reason });
const failStep = (step: StepNumber, reason: string): StepResult => ({
  step,
  title: STEP_TITLES[step],
  ok: false,
  reason,
});

export function step1Signatures(policy: Policy, keyset: FleetKeyset): StepResult {
  const check = checkKeysetSignatures(keyset, policy.publishers, policy.countersigners);
  if (!check.publisher)
    return failStep(
      1,
      `publisher signature by ${keyset.publisherSignature.name} is missing, by an unpinned key, or invalid`,
    );
  if (!check.countersigner)
    return failStep(
      1,
      `counter-signature by ${keyset.countersignature.name} is missing, by an unpinned key, or invalid`,
    );
  return pass(
    1,
    `signed by publisher ${keyset.publisherSignature.name} and counter-signed by ${keyset.countersignature.name}`,
  );
}

/** Step 2 reads the checkpoint's root without trusting it yet; step 3 then checks the signature. */
export function step2Inclusion(
  checkpointNote: string,
  keysetBytes: Uint8Array,
  index: number,
  proof: readonly Hash[],
): StepResult & { checkpoint?: Checkpoint } {
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpointNote(checkpointNote).checkpoint;
  } catch (e) {
    return failStep(2, `checkpoint does not parse: ${(e as Error).message}`);
  }
  if (!verifyInclusion(index, checkpoint.size, leafHash(keysetBytes), proof, checkpoint.rootHash)) {
    return {
      ...failStep(2, `inclusion proof for index ${index} does not lead to the root of tree size ${checkpoint.size}`),
      checkpoint,
    };
  }
  return { ...pass(2, `entry ${index} is included in tree ${checkpoint.origin}@${checkpoint.size}`), checkpoint };
}

export function step3CheckpointSignature(
  policy: Policy,
  checkpointNote: string,
): StepResult & { trusted?: TrustedCheckpoint } {
  try {
    const trusted = openCheckpointWithPolicy(policy, checkpointNote);
    return { ...pass(3, `checkpoint signed by log ${trusted.checkpoint.origin}`), trusted };
  } catch (e) {
    const why = isFleetlogError(e) ? `${e.code}: ${e.message}` : String(e);
    return failStep(3, why);
  }
}

export function step4Quorum(trusted: TrustedCheckpoint): StepResult {
  const who = [...trusted.cosigners.keys()];
  if (!trusted.quorumMet)
    return failStep(
      4,
      `cosigned by ${who.length ? who.join(', ') : 'no trusted witness'}: quorum not met${trusted.untrusted.length ? ` (${describeUntrusted(trusted.untrusted)})` : ''}`,
    );
  return pass(4, who.length ? `quorum met by ${who.join(', ')}` : 'the policy requires no witnesses (quorum none)');
}

export interface SeenCheckpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: string;
}

/**
 * Step 5: the new checkpoint and the last one seen must be one history. If the new tree is larger,
 * the proof runs old -> new; if smaller (a stale view), new -> old; equal sizes need equal roots.
 */
export function step5Consistency(
  last: SeenCheckpoint | undefined,
  current: Checkpoint,
  proof: readonly Hash[] | undefined,
): StepResult {
  if (!last) return pass(5, 'no earlier checkpoint seen: trust on first use of this log state');
  if (last.origin !== current.origin)
    return failStep(5, `last checkpoint seen is for origin ${last.origin}, not ${current.origin}`);
  const lastRoot = fromHex(last.rootHash, 32, 'saved root hash');
  if (last.size === current.size) {
    return bytesEqual(lastRoot, current.rootHash)
      ? pass(5, `same tree as last seen (size ${current.size})`)
      : failStep(5, `split view: two different roots for tree size ${current.size}`);
  }
  if (proof === undefined) return failStep(5, `no consistency proof between sizes ${last.size} and ${current.size}`);
  const ok =
    last.size < current.size
      ? verifyConsistency(last.size, current.size, lastRoot, current.rootHash, proof)
      : verifyConsistency(current.size, last.size, current.rootHash, lastRoot, proof);
  if (!ok)
    return failStep(
      5,
      `consistency proof between sizes ${last.size} and ${current.size} does not verify: the log forked`,
    );
  return pass(
    5,
    last.size < current.size
      ? `tree grew from ${last.size} to ${current.size} consistently`
      : `older tree ${current.size} is a prefix of the last seen ${last.size}`,
  );
}

export function step6Evidence(
  policy: Policy,
  checkpoint: Checkpoint,
  keyset: FleetKeyset,
  keysetIndex: number,
  evidence: { bytes: Uint8Array; entry: DeploymentEvidence; index: number; proof: readonly Hash[] } | undefined,
): StepResult {
  if (!evidence) return failStep(6, `the deployment evidence ${keyset.evidence.slice(0, 16)}… was not provided`);
  const hash = leafHash(evidence.bytes);
  if (toHex(hash) !== keyset.evidence)
    return failStep(6, 'the evidence provided is not the entry the key set references');
  if (evidence.index >= keysetIndex)
    return failStep(6, `evidence is at index ${evidence.index}, not before the key set at ${keysetIndex}`);
  if (!verifyInclusion(evidence.index, checkpoint.size, hash, evidence.proof, checkpoint.rootHash)) {
    return failStep(6, `evidence inclusion proof for index ${evidence.index} does not verify`);
  }
  const problems = [
    ...evidenceProblems(evidence.entry, policy.hsmVendors),
    ...keysetEvidenceProblems(keyset, evidence.entry),
  ];
  if (problems.length > 0) return failStep(6, problems.join('; '));
  return pass(
    6,
    `evidence logged at index ${evidence.index}: ${evidence.entry.hsms.length} attested HSMs, firmware ${evidence.entry.firmware.release}`,
  );
}

export interface TrustedFleetVersion {
  readonly version: number;
  /** Leaf hash (hex) of the key set trusted at that version. */
  readonly leafHash: string;
}

export function step7Version(
  keyset: FleetKeyset,
  keysetLeafHash: string,
  last: TrustedFleetVersion | undefined,
): StepResult {
  if (!last) return pass(7, `first key set seen for fleet ${keyset.fleetId} (version ${keyset.version})`);
  if (keyset.version < last.version)
    return failStep(7, `rollback: version ${keyset.version} is older than the trusted version ${last.version}`);
  if (keyset.version === last.version && keysetLeafHash !== last.leafHash)
    return failStep(7, `two different key sets claim version ${keyset.version}`);
  return pass(
    7,
    keyset.version === last.version
      ? `same version ${keyset.version} as last trusted`
      : `version ${keyset.version} is newer than ${last.version}`,
  );
}

export function step8Validity(keyset: FleetKeyset, now: number): StepResult {
  if (now < keyset.notBefore) return failStep(8, `not valid before ${new Date(keyset.notBefore * 1000).toISOString()}`);
  if (now >= keyset.notAfter) return failStep(8, `expired at ${new Date(keyset.notAfter * 1000).toISOString()}`);
  return pass(8, `valid until ${new Date(keyset.notAfter * 1000).toISOString()}`);
}
