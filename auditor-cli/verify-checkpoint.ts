/**
 * Audit steps 3 and 4 for a checkpoint note: the log's signature under the pinned key, then the
 * witness quorum. Shared by every command that reads a checkpoint.
 */
import { step3CheckpointSignature, step4Quorum } from '../core/audit/steps.ts';
import { isFleetlogError } from '../core/errors.ts';
import type { TrustedCheckpoint } from '../core/policy/checkpoint-trust.ts';
import type { Policy } from '../core/policy/policy.ts';
import { check, fromStepResult, skip, type CheckResult } from './report.ts';
import type { TilesClient } from './tiles-client.ts';

export interface CheckpointSteps {
  readonly checks: CheckResult[];
  /** Set when step 3 passed (the note is signed by the log), whatever step 4 said. */
  readonly trusted?: TrustedCheckpoint;
  readonly quorumMet: boolean;
}

export function verifyCheckpointNote(policy: Policy, note: string): CheckpointSteps {
  const s3 = step3CheckpointSignature(policy, note);
  if (!s3.ok || !s3.trusted)
    return { checks: [fromStepResult(s3), skip(4, 'the checkpoint is not trusted')], quorumMet: false };
  const s4 = step4Quorum(s3.trusted);
  return { checks: [fromStepResult(s3), fromStepResult(s4)], trusted: s3.trusted, quorumMet: s4.ok };
}

/** Fetches the log's checkpoint and runs steps 3 and 4; an oversized note fails step 3. */
export async function fetchAndVerifyCheckpoint(
  client: TilesClient,
  policy: Policy,
): Promise<CheckpointSteps & { note?: string }> {
  let note: string;
  try {
    note = await client.checkpoint();
  } catch (e) {
    if (isFleetlogError(e, 'bad_checkpoint') || isFleetlogError(e, 'bad_encoding')) {
      return {
        checks: [check(3, undefined, false, `${e.code}: ${e.message}`), skip(4, 'the checkpoint is not trusted')],
        quorumMet: false,
      };
    }
    throw e;
  }
  return { ...verifyCheckpointNote(policy, note), note };
}
