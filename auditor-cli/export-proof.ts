/**
 * `audit export-proof`: an offline C2SP tlog-proof for one entry, with the entry's bytes in the
 * `extra` line, so anyone can check it later with `audit proof` and no network. The proof is
 * computed from tiles and verified against the checkpoint before it is written.
 */
import { bytesEqual } from '../core/bytes.ts';
import { parseCheckpointNote, type Checkpoint } from '../core/checkpoint.ts';
import { FleetlogError } from '../core/errors.ts';
import { leafHash } from '../core/merkle/hash.ts';
import { rootFromInclusionProof } from '../core/merkle/verify.ts';
import type { Policy } from '../core/policy/policy.ts';
import { formatTlogProof } from '../core/tlog-proof.ts';
import { seenOf } from './consistency-check.ts';
import { passed, type CheckResult } from './report.ts';
import { inclusionProofFromTiles, proofHashes, TileNodeReader, type ProofStep } from './tile-proofs.ts';
import { TilesClient } from './tiles-client.ts';
import { fetchAndVerifyCheckpoint } from './verify-checkpoint.ts';

export interface ExportProofResult {
  readonly ok: boolean;
  /** The tlog-proof text (when ok). */
  readonly text?: string;
  readonly checks: CheckResult[];
  /** False when no policy was given: the checkpoint's signatures were not checked here. */
  readonly checkpointVerified: boolean;
  readonly checkpoint?: ReturnType<typeof seenOf>;
  readonly proof: readonly ProofStep[];
}

export async function exportProof(o: {
  log: string;
  index: number;
  policy?: Policy;
  timeoutMs?: number;
  retries?: number;
}): Promise<ExportProofResult> {
  const client = new TilesClient(o.log, { timeoutMs: o.timeoutMs, retries: o.retries });
  let note: string;
  let head: Checkpoint;
  let checks: CheckResult[] = [];
  if (o.policy) {
    const cp = await fetchAndVerifyCheckpoint(client, o.policy);
    checks = cp.checks;
    if (!cp.trusted || !cp.quorumMet || cp.note === undefined)
      return { ok: false, checks, checkpointVerified: true, proof: [] };
    note = cp.note;
    head = cp.trusted.checkpoint;
  } else {
    note = await client.checkpoint();
    head = parseCheckpointNote(note).checkpoint;
  }
  if (!(Number.isSafeInteger(o.index) && o.index >= 0 && o.index < head.size)) {
    throw new FleetlogError('usage', `index ${o.index} is not in the log's tree of size ${head.size}`);
  }
  const entry = (await client.entry(o.index, head.size)).slice();
  const proof = await inclusionProofFromTiles(new TileNodeReader(client, head.size), o.index);
  const root = rootFromInclusionProof(o.index, head.size, leafHash(entry), proofHashes(proof));
  if (!root || !bytesEqual(root, head.rootHash)) {
    throw new FleetlogError(
      'bad_proof',
      `the log's tiles and entry bundle do not prove entry ${o.index} in its tree of size ${head.size}`,
    );
  }
  const text = formatTlogProof({ extra: entry, index: o.index, proof: proofHashes(proof), checkpoint: note });
  return {
    ok: passed(checks),
    text,
    checks,
    checkpointVerified: o.policy !== undefined,
    checkpoint: seenOf(head),
    proof,
  };
}
