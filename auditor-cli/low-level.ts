/**
 * The low-level checks against a log URL: `audit checkpoint` (steps 3, 4 and 5), `audit inclusion`
 * (step 2 for one entry) and `audit consistency` (step 5 between two tree sizes). Each computes its
 * proof from the log's tiles and returns the path it used, so a person can follow the hashes.
 */
import type { ClientState } from '../core/audit/client-state.ts';
import type { SeenCheckpoint } from '../core/audit/steps.ts';
import { bytesEqual, toHex } from '../core/bytes.ts';
import type { Checkpoint } from '../core/checkpoint.ts';
import { isFleetlogError } from '../core/errors.ts';
import { leafHash, type Hash } from '../core/merkle/hash.ts';
import { TILE_WIDTH } from '../core/merkle/tiles.ts';
import { rootFromInclusionProof } from '../core/merkle/verify.ts';
import type { Policy } from '../core/policy/policy.ts';
import { checkConsistency, describeConsistency, seenOf } from './consistency-check.ts';
import { check, passed, skip, type CheckResult } from './report.ts';
import { inclusionProofFromTiles, proofHashes, TileNodeReader, type ProofStep } from './tile-proofs.ts';
import { TilesClient } from './tiles-client.ts';
import { fetchAndVerifyCheckpoint } from './verify-checkpoint.ts';

export interface LiveOptions {
  readonly log: string;
  readonly policy: Policy;
  readonly timeoutMs?: number;
  readonly retries?: number;
}

export interface LiveResult {
  readonly ok: boolean;
  readonly checks: CheckResult[];
  readonly checkpoint?: SeenCheckpoint;
  /** The proof the check used, computed from tiles, leaf sibling first. */
  readonly proof: readonly ProofStep[];
}

function clientFor(o: LiveOptions): TilesClient {
  return new TilesClient(o.log, { timeoutMs: o.timeoutMs, retries: o.retries });
}

/** Steps 3 and 4 on the log's current checkpoint; the trusted checkpoint if both pass. */
async function trustedHead(
  client: TilesClient,
  policy: Policy,
  checks: CheckResult[],
): Promise<Checkpoint | undefined> {
  const cp = await fetchAndVerifyCheckpoint(client, policy);
  checks.push(...cp.checks);
  return cp.trusted && cp.quorumMet ? cp.trusted.checkpoint : undefined;
}

/** Step 5 where a smaller tree than last seen is a rollback (unlike a client's step 5, which accepts a stale prefix). */
async function step5(
  client: TilesClient,
  last: SeenCheckpoint | undefined,
  head: Checkpoint,
  checks: CheckResult[],
): Promise<readonly ProofStep[]> {
  if (last && last.origin !== head.origin) {
    checks.push(
      check(5, undefined, false, `the last checkpoint seen is for origin ${last.origin}, not ${head.origin}`),
    );
    return [];
  }
  const outcome = await checkConsistency(client, last, head);
  const ok = outcome.kind === 'first' || outcome.kind === 'same' || outcome.kind === 'grew';
  checks.push(check(5, undefined, ok, describeConsistency(outcome, last, head)));
  return 'proof' in outcome ? outcome.proof : [];
}

export interface CheckpointResult extends LiveResult {
  /** The state to save when ok: the newer checkpoint, fleets unchanged. */
  readonly state: ClientState;
}

export async function auditCheckpoint(o: LiveOptions & { readonly state: ClientState }): Promise<CheckpointResult> {
  const client = clientFor(o);
  const checks: CheckResult[] = [];
  const head = await trustedHead(client, o.policy, checks);
  if (!head) {
    checks.push(skip(5, 'the checkpoint is not trusted'));
    return { ok: false, checks, proof: [], state: o.state };
  }
  const proof = await step5(client, o.state.checkpoint, head, checks);
  const ok = passed(checks);
  return {
    ok,
    checks,
    checkpoint: seenOf(head),
    proof,
    state: ok ? { ...o.state, checkpoint: seenOf(head) } : o.state,
  };
}

export interface InclusionResult extends LiveResult {
  readonly index: number;
  readonly leafHash?: string;
}

/**
 * Step 2 for entry `index` of the current tree. The leaf hash comes from `entry` (bytes the caller
 * holds), or `leafHash`, or else from the log's own entry bundle.
 */
export async function auditInclusion(
  o: LiveOptions & {
    readonly index: number;
    readonly entry?: Uint8Array;
    readonly leafHash?: Hash;
    readonly state?: ClientState;
  },
): Promise<InclusionResult> {
  const client = clientFor(o);
  const checks: CheckResult[] = [];
  const head = await trustedHead(client, o.policy, checks);
  if (!head) {
    checks.push(skip(5, 'the checkpoint is not trusted'), skip(2, 'the checkpoint is not trusted'));
    return { ok: false, checks, proof: [], index: o.index };
  }
  if (o.state?.checkpoint) await step5(client, o.state.checkpoint, head, checks);
  const title = 'entry inclusion in the checkpoint';
  if (o.index >= head.size) {
    checks.push(check(2, title, false, `index ${o.index} is beyond tree size ${head.size}: not included (yet)`));
    return { ok: false, checks, checkpoint: seenOf(head), proof: [], index: o.index };
  }
  let leaf: Hash;
  let from: string;
  let proof: ProofStep[];
  try {
    if (o.entry) {
      leaf = leafHash(o.entry);
      from = 'the entry given';
    } else if (o.leafHash) {
      leaf = o.leafHash;
      from = 'the leaf hash given';
    } else {
      leaf = leafHash(await client.entry(o.index, head.size));
      from = `entry ${o.index} of the log's entry bundle ${Math.floor(o.index / TILE_WIDTH)}`;
    }
    proof = await inclusionProofFromTiles(new TileNodeReader(client, head.size), o.index);
  } catch (e) {
    if (!isFleetlogError(e, 'bad_tile')) throw e;
    checks.push(check(2, title, false, `the log serves a malformed tile or entry bundle: ${e.message}`));
    return { ok: false, checks, checkpoint: seenOf(head), proof: [], index: o.index };
  }
  const root = rootFromInclusionProof(o.index, head.size, leaf, proofHashes(proof));
  const ok = root !== undefined && bytesEqual(root, head.rootHash);
  checks.push(
    check(
      2,
      title,
      ok,
      ok
        ? `leaf ${toHex(leaf)} (${from}) is entry ${o.index} of tree ${head.origin}@${head.size}`
        : `leaf ${toHex(leaf)} (${from}) with the proof computed from the tiles leads to ${root ? toHex(root) : 'no root'}, not the signed root ${toHex(head.rootHash)}`,
    ),
  );
  return { ok: passed(checks), checks, checkpoint: seenOf(head), proof, index: o.index, leafHash: toHex(leaf) };
}

/** Step 5 between an earlier tree (size and root, e.g. from a state file or a saved checkpoint) and the current one. */
export async function auditConsistency(o: LiveOptions & { readonly old: SeenCheckpoint }): Promise<LiveResult> {
  const client = clientFor(o);
  const checks: CheckResult[] = [];
  const head = await trustedHead(client, o.policy, checks);
  if (!head) {
    checks.push(skip(5, 'the checkpoint is not trusted'));
    return { ok: false, checks, proof: [] };
  }
  const proof = await step5(client, o.old, head, checks);
  return { ok: passed(checks), checks, checkpoint: seenOf(head), proof };
}
