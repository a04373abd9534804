/**
 * The page as a small monitor: the checkpoint this browser accepted last time against the one the
 * log shows now. A larger tree must contain the old one (consistency proof from tiles, verified
 * here); the same size must have the same root; a smaller tree is a rollback, whatever else holds.
 */
import { bytesEqual, fromHex } from '../../core/bytes.ts';
import type { SeenCheckpoint } from '../../core/audit/steps.ts';
import type { Checkpoint } from '../../core/checkpoint.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import { verifyConsistency } from '../../core/merkle/verify.ts';
import type { LogReader } from '../../client/log-reader.ts';
import { errorText, type Verdict } from '../shared/dom.ts';

export interface MonitorOutcome {
  readonly verdict: Verdict;
  readonly title: string;
  readonly detail: string;
  /** True when the new checkpoint may replace the remembered one. */
  readonly advance: boolean;
  /** The consistency proof between the two sizes, if one was computed (for audit step 5). */
  readonly proof?: Hash[];
}

export async function compareWithSeen(
  reader: LogReader,
  seen: SeenCheckpoint | undefined,
  seenAt: number | undefined,
  current: Checkpoint,
): Promise<MonitorOutcome> {
  const when = seenAt ? ` on ${new Date(seenAt * 1000).toISOString().slice(0, 19).replace('T', ' ')}Z` : '';
  if (!seen)
    return {
      verdict: 'info',
      title: 'FIRST VISIT',
      detail: `This browser has not seen this log before. It now remembers tree size ${current.size}; the next visit checks that the log only grew from here.`,
      advance: true,
    };
  const seenRoot = fromHex(seen.rootHash, 32, 'saved root');
  if (seen.size === current.size) {
    return bytesEqual(seenRoot, current.rootHash)
      ? {
          verdict: 'pass',
          title: 'UNCHANGED',
          detail: `Same tree as this browser saw${when} (size ${current.size}).`,
          advance: true,
        }
      : {
          verdict: 'fail',
          title: 'FORK (split view)',
          detail: `The log signed two different trees of size ${current.size}: the one this browser saw${when} and the one it shows now. An honest log never does this.`,
          advance: false,
        };
  }
  if (seen.size < current.size) {
    let proof: Hash[];
    try {
      proof = await reader.consistencyProof(seen.size, current.size);
    } catch (e) {
      return {
        verdict: 'fail',
        title: 'CANNOT CHECK CONSISTENCY',
        detail: `The log's tiles did not give a consistency proof from size ${seen.size} to ${current.size}: ${errorText(e)}`,
        advance: false,
      };
    }
    return verifyConsistency(seen.size, current.size, seenRoot, current.rootHash, proof)
      ? {
          verdict: 'pass',
          title: 'GREW CONSISTENTLY',
          detail: `The tree grew from size ${seen.size} (seen${when}) to ${current.size}; the consistency proof, computed from the log's tiles, verified in this browser.`,
          advance: true,
          proof,
        }
      : {
          verdict: 'fail',
          title: 'FORK',
          detail: `The tree of size ${current.size} does not contain the tree of size ${seen.size} this browser saw${when}: the consistency proof does not verify. Either the log forked or it serves wrong tiles.`,
          advance: false,
          proof,
        };
  }
  let prefix = '';
  let proof: Hash[] | undefined;
  try {
    proof = await reader.consistencyProof(current.size, seen.size);
    prefix = verifyConsistency(current.size, seen.size, current.rootHash, seenRoot, proof)
      ? ' The smaller tree is a prefix of the one seen: an old view is being replayed.'
      : ' The smaller tree is not even a prefix of the one seen: the log also forked.';
  } catch {
    prefix = '';
  }
  return {
    verdict: 'fail',
    title: 'ROLLBACK',
    detail: `The log now shows tree size ${current.size}, but this browser saw size ${seen.size}${when}. A log never shrinks.${prefix}`,
    advance: false,
    ...(proof ? { proof } : {}),
  };
}
