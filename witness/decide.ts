/**
 * The add-checkpoint rules of C2SP tlog-witness, as one pure function of the request and the
 * state the witness holds for the log. The caller has already parsed the body (400), found the
 * origin (404) and verified the log's signature (403); this decides everything after that, in the
 * order the specification states it:
 *
 *   old > checkpoint size                          400
 *   old != the size the witness last cosigned      409, body "<size>\n", text/x.tlog.size
 *   old = 0 with a non-empty proof                 422
 *   size 0 with a root other than the empty root   422
 *   old = size with a non-empty proof              422
 *   old = size with a different root               409 (a split view)
 *   consistency proof from old to size fails       422 (a split view, or at least a bad proof)
 *   otherwise                                      cosign
 *
 * Separately it reports a split view: the log signed a checkpoint that conflicts with the one the
 * witness cosigned (same size, different root, whatever `old` says; or a failed proof from the
 * cosigned size). That is evidence to keep, whatever the status code.
 */
import { bytesEqual } from '../core/bytes.ts';
import type { Checkpoint } from '../core/checkpoint.ts';
import { FleetlogError } from '../core/errors.ts';
import { EMPTY_ROOT, type Hash } from '../core/merkle/hash.ts';
import { verifyConsistency } from '../core/merkle/verify.ts';
import type { LogState } from './store.ts';

export interface DecideInput {
  readonly oldSize: number;
  readonly proof: readonly Hash[];
  readonly checkpoint: Checkpoint;
  /** What the witness last cosigned for this origin; undefined if it never did (size 0). */
  readonly stored: LogState | undefined;
}

export type Decision = { readonly kind: 'cosign' } | { readonly kind: 'reject'; readonly error: FleetlogError };

export interface Verdict {
  readonly decision: Decision;
  /** Set when the checkpoint conflicts with the cosigned one: keep it as split-view evidence. */
  readonly splitView: { readonly proof: readonly Hash[] } | undefined;
}

/** 409 with the witness's size: the caller's `old` is not what the witness holds. */
export function staleOldSize(knownSize: number, oldSize: number): FleetlogError {
  return new FleetlogError(
    'conflict',
    `old size ${oldSize} does not match the witness's latest cosigned size ${knownSize}`,
    { detail: { treeSize: knownSize } },
  );
}

const reject = (error: FleetlogError): Decision => ({ kind: 'reject', error });

export function decide(input: DecideInput): Verdict {
  const { oldSize, proof, checkpoint: cp, stored } = input;
  const storedSize = stored?.treeSize ?? 0;
  const sameSizeConflict =
    stored !== undefined && stored.treeSize === cp.size && !bytesEqual(stored.rootHash, cp.rootHash);
  const decision = decideStatus(input, storedSize);
  let splitView: Verdict['splitView'];
  if (sameSizeConflict) {
    splitView = { proof: [] };
  } else if (
    stored !== undefined &&
    stored.treeSize > 0 &&
    oldSize === stored.treeSize &&
    cp.size > oldSize &&
    decision.kind === 'reject' &&
    decision.error.code === 'bad_proof'
  ) {
    splitView = { proof };
  }
  return { decision, splitView };
}

function decideStatus(input: DecideInput, storedSize: number): Decision {
  const { oldSize, proof, checkpoint: cp, stored } = input;
  if (oldSize > cp.size)
    return reject(
      new FleetlogError('bad_witness_request', `old size ${oldSize} is larger than the checkpoint size ${cp.size}`),
    );
  if (oldSize !== storedSize) return reject(staleOldSize(storedSize, oldSize));
  if (oldSize === 0 && proof.length > 0)
    return reject(new FleetlogError('bad_proof', 'the consistency proof must be empty when the old size is 0'));
  if (cp.size === 0 && !bytesEqual(cp.rootHash, EMPTY_ROOT))
    return reject(new FleetlogError('bad_proof', 'a checkpoint of size 0 must carry the empty-tree root hash'));
  if (oldSize === cp.size) {
    if (proof.length > 0)
      return reject(
        new FleetlogError(
          'bad_proof',
          'the consistency proof must be empty when the old size equals the checkpoint size',
        ),
      );
    if (stored !== undefined && !bytesEqual(stored.rootHash, cp.rootHash)) {
      return reject(
        new FleetlogError(
          'inconsistent',
          `the checkpoint has the size ${cp.size} the witness cosigned but a different root hash`,
        ),
      );
    }
    return { kind: 'cosign' };
  }
  if (oldSize === 0) return { kind: 'cosign' };
  // oldSize === storedSize > 0, so `stored` is set.
  if (!verifyConsistency(oldSize, cp.size, stored!.rootHash, cp.rootHash, proof)) {
    return reject(
      new FleetlogError('bad_proof', `the consistency proof from size ${oldSize} to size ${cp.size} does not verify`),
    );
  }
  return { kind: 'cosign' };
}
