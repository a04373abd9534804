/**
 * The witness's judgement of one add-checkpoint request: request bytes and the witness's state
 * in, and out either the cosignature with the state change it needs, or a typed refusal (plus
 * split-view evidence when the log signed a conflicting checkpoint). It reads the database but
 * never writes it, so it runs on any thread (witness/check-pool.ts) and is the same code inline.
 *
 * Steps, in the specification's order:
 *   1. parse the body strictly (400);
 *   2. look up the origin's trusted keys (404);
 *   3. verify the log's signature (403);
 *   4. decide against the stored state (decide.ts: 400, 409, 422 or cosign);
 *   5. cosign with the witness's time, never older than the last cosignature for this log.
 * The caller (add-checkpoint.ts) then stores the result with a compare-and-swap on the exact state
 * this decision read; if that state has moved, the decision is void and is made again.
 */
import { bytesEqual, toBase64, toHex, utf8 } from '../core/bytes.ts';
import { parseCheckpointNote, type Checkpoint } from '../core/checkpoint.ts';
import type { Cosigner } from '../core/cosignature.ts';
import { sha256 } from '../core/crypto/sha256.ts';
import { FleetlogError, isFleetlogError, type ErrorCode } from '../core/errors.ts';
import { consistencyProofRoots } from '../core/merkle/consistency-roots.ts';
import { verifyNote } from '../core/note/note.ts';
import { formatSplitViewEvidence, makeSplitViewEvidence } from '../core/split-view-evidence.ts';
import { parseAddCheckpoint } from '../core/witness-request.ts';
import { isDatabaseUnavailable } from '../service/database-errors.ts';
import { decide } from './decide.ts';
import type { LogKeyCache } from './log-keys.ts';
import type { LogState } from './store.ts';

/** What the judgement reads: the origin's trusted keys and the state cosigned for it. */
export interface StateReader {
  logKeys(origin: string): string[];
  state(origin: string): LogState | undefined;
}

export interface CheckContext {
  /** Read only: keys and state. */
  readonly store: StateReader;
  readonly keys: LogKeyCache;
  readonly cosigner: Cosigner;
}

export interface AsyncCheckContext {
  readonly store: { [K in keyof StateReader]: (origin: string) => Promise<ReturnType<StateReader[K]>> };
  readonly keys: LogKeyCache;
  readonly cosigner: Cosigner;
}

/** The new head of a log, as compare-and-swap writes it. */
export interface NextState {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  /** Checkpoint text, the log's verified signature line(s), our cosignature. */
  readonly note: string;
  readonly timestamp: number;
}

export interface EvidenceRecord {
  readonly origin: string;
  readonly digest: string;
  readonly document: string;
  readonly observedAt: number;
  /**
   * The two checkpoints cannot both be true (same size with another root, or the log's own proof
   * rebuilds the larger root from another prefix): only the log can make these, kept under their
   * own per-log cap. False when the proof merely fails, which anyone can produce by replaying a
   * genuine larger checkpoint with random proof lines: kept under the per-log cap for unproven
   * documents, which therefore never crowd out proven ones.
   */
  readonly proven: boolean;
}

/** A FleetlogError as plain data, so it can cross a worker's message port. */
export interface RefusalData {
  readonly code: ErrorCode;
  readonly message: string;
  readonly detail?: Record<string, unknown>;
}

export type CheckOutcome =
  | {
      readonly kind: 'cosign';
      /** The tree size the decision read; undefined if the witness held nothing for the log. */
      readonly expectedSize: number | undefined;
      readonly next: NextState;
      /**
       * The stored state is already exactly `next` (the same checkpoint presented again within the
       * same second: the same note and, Ed25519 being deterministic, the same cosignature). Nothing
       * to write, so a replayed checkpoint costs no commit.
       */
      readonly unchanged: boolean;
      /** The 200 body: our cosignature line. */
      readonly cosignature: string;
    }
  | { readonly kind: 'refuse'; readonly refusal: RefusalData; readonly evidence?: EvidenceRecord };

function refuse(e: unknown, evidence?: EvidenceRecord): CheckOutcome {
  const refusal: RefusalData = isFleetlogError(e)
    ? { code: e.code, message: e.message, ...(e.detail ? { detail: { ...e.detail } } : {}) }
    : isDatabaseUnavailable(e)
      ? { code: 'unavailable', message: STATE_UNREADABLE, detail: { cause: String(e) } }
      : // The client learns nothing internal (SQL, paths, hosts); the operator's log gets it.
        { code: 'internal', message: 'internal error', detail: { cause: String(e) } };
  return evidence ? { kind: 'refuse', refusal, evidence } : { kind: 'refuse', refusal };
}

/**
 * What a caller is told when the witness cannot read its state (PostgreSQL unreachable, a SQLite
 * read error): 503 and nothing about the cause, which goes to the operator's log only
 * (`detail.cause`, never sent).
 */
export const STATE_UNREADABLE = 'the witness could not read its state; nothing was cosigned, retry later';

export function readFailed(e: unknown): FleetlogError {
  return new FleetlogError('unavailable', STATE_UNREADABLE, { detail: { cause: String(e) } });
}

export function refusalError(refusal: RefusalData): FleetlogError {
  return new FleetlogError(refusal.code, refusal.message, refusal.detail ? { detail: refusal.detail } : undefined);
}

/** `now` is the witness's clock in seconds since the epoch. Never throws. */
export function checkAddCheckpoint(ctx: CheckContext, body: Uint8Array, now: number): CheckOutcome {
  try {
    return check(ctx, body, now);
  } catch (e) {
    return refuse(e);
  }
}

/**
 * The same judgement over a store read asynchronously (PostgreSQL): the request is parsed first,
 * then the origin's keys and state are read, then judged exactly as above. Never rejects.
 */
export async function checkAddCheckpointAsync(
  ctx: AsyncCheckContext,
  body: Uint8Array,
  now: number,
): Promise<CheckOutcome> {
  try {
    const parsed = parseRequest(body);
    const origin = parsed.cp.origin;
    const [vkeys, stored] = await Promise.all([ctx.store.logKeys(origin), ctx.store.state(origin)]).catch((e) => {
      throw readFailed(e);
    });
    return judge(ctx, parsed, vkeys, () => stored, now);
  } catch (e) {
    return refuse(e);
  }
}

interface ParsedRequest {
  readonly req: ReturnType<typeof parseAddCheckpoint>;
  readonly cp: ReturnType<typeof parseCheckpointNote>['checkpoint'];
  readonly note: ReturnType<typeof parseCheckpointNote>['note'];
}

function parseRequest(body: Uint8Array): ParsedRequest {
  try {
    const req = parseAddCheckpoint(body);
    const parsed = parseCheckpointNote(req.checkpoint);
    return { req, cp: parsed.checkpoint, note: parsed.note };
  } catch (e) {
    if (isFleetlogError(e)) throw new FleetlogError('bad_witness_request', e.message, { cause: e });
    throw e;
  }
}

function check(ctx: CheckContext, body: Uint8Array, now: number): CheckOutcome {
  const parsed = parseRequest(body);
  const origin = parsed.cp.origin;
  const read = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw readFailed(e);
    }
  };
  return judge(
    ctx,
    parsed,
    read(() => ctx.store.logKeys(origin)),
    () => read(() => ctx.store.state(origin)),
    now,
  );
}

function judge(
  ctx: { readonly keys: LogKeyCache; readonly cosigner: Cosigner },
  { req, cp, note }: ParsedRequest,
  vkeys: readonly string[],
  readState: () => LogState | undefined,
  now: number,
): CheckOutcome {
  if (vkeys.length === 0) throw new FleetlogError('not_found', `unknown log origin ${JSON.stringify(cp.origin)}`);
  // bad_signature (a trusted key's signature fails) or no_trusted_signature: both 403.
  const verified = verifyNote(note, ctx.keys.verifiers(vkeys));
  // What we keep and serve: the checkpoint with only the signatures we verified.
  const signedByLog = `${note.text}\n${verified.verified.map((v) => v.signature.line).join('')}`;

  const stored = readState();
  const verdict = decide({ oldSize: req.oldSize, proof: req.proof, checkpoint: cp, stored });
  if (verdict.decision.kind === 'reject') {
    const evidence =
      verdict.splitView && stored
        ? evidenceRecord(
            ctx.cosigner,
            stored,
            { text: note.text, signed: signedByLog, checkpoint: cp },
            verdict.splitView.proof,
            now,
          )
        : undefined;
    return refuse(verdict.decision.error, evidence);
  }
  const timestamp = Math.max(now, stored?.lastTimestamp ?? 0, 1);
  const cosignature = ctx.cosigner.cosign(note.textBytes, timestamp);
  const next = {
    origin: cp.origin,
    treeSize: cp.size,
    rootHash: cp.rootHash,
    note: signedByLog + cosignature,
    timestamp,
  };
  return {
    kind: 'cosign',
    expectedSize: stored?.treeSize,
    next,
    unchanged: stored !== undefined && stored.note === next.note && stored.lastTimestamp === timestamp,
    cosignature,
  };
}

function evidenceRecord(
  cosigner: Cosigner,
  stored: LogState,
  presented: { text: string; signed: string; checkpoint: Checkpoint },
  proof: readonly Uint8Array[],
  now: number,
): EvidenceRecord {
  const document = formatSplitViewEvidence(
    makeSplitViewEvidence({
      origin: stored.origin,
      witness: cosigner.vkey,
      observed: now,
      cosigned: stored.note,
      presented: presented.signed,
      proof,
    }),
  );
  // The same conflict presented again is not new evidence: dedupe on the two checkpoint texts and
  // the proof, not on signatures or on our cosignature (which a re-cosign of the same head renews).
  const storedText = stored.note.slice(0, stored.note.lastIndexOf('\n\n') + 1);
  const digest = toHex(sha256(utf8(`${storedText}\n${presented.text}\n${proof.map((h) => toBase64(h)).join('\n')}`)));
  return {
    origin: stored.origin,
    digest,
    document,
    observedAt: now,
    proven: provesFork(stored, presented.checkpoint, proof),
  };
}

/** The same classification as verifySplitViewEvidence (core/split-view-evidence.ts), without re-verifying signatures. */
function provesFork(stored: LogState, presented: Checkpoint, proof: readonly Uint8Array[]): boolean {
  if (presented.size === stored.treeSize) return !bytesEqual(presented.rootHash, stored.rootHash);
  if (presented.size < stored.treeSize) return false;
  const roots = consistencyProofRoots(stored.treeSize, presented.size, stored.rootHash, proof);
  return (
    roots !== undefined && bytesEqual(roots.newRoot, presented.rootHash) && !bytesEqual(roots.oldRoot, stored.rootHash)
  );
}
