/**
 * `audit log`: the full audit of a tlog-tiles log. Checks the checkpoint (steps 3 and 4) and its
 * consistency with the last audited one (step 5), then downloads every new level-0 tile and entry
 * bundle, recomputes every leaf hash, insists every tile at every level holds exactly the hashes the
 * entries imply, and rebuilds the signed root (step 2 for every entry). For fleetlog logs it also
 * applies the fleet history rules to every entry (fleet-history.ts).
 *
 * Memory stays flat as the log grows: tiles stream through a bounded window, hashing happens in
 * worker threads, and the tree is held as a frontier of O(log n) hashes (a Frontier over the level-8
 * subtree hashes, one per full tile, plus the low subtrees of the last partial tile). The frontier
 * is saved in the state file, so the next run starts where this one ended.
 */
import { count as plural } from '../../cli/plural.ts';
import { bytesEqual, fromHex, toHex } from '../../core/bytes.ts';
import type { SeenCheckpoint } from '../../core/audit/steps.ts';
import { FleetlogError, isFleetlogError } from '../../core/errors.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import { rangeNodes } from '../../core/merkle/subtree.ts';
import { foldRight, Frontier } from '../../core/merkle/tree.ts';
import { tileHashes, tileInTree, TILE_HEIGHT, TILE_WIDTH } from '../../core/merkle/tiles.ts';
import type { Policy } from '../../core/policy/policy.ts';
import { checkConsistency, describeConsistency, seenOf, type ConsistencyOutcome } from '../consistency-check.ts';
import { check, passed, skip, withRule, type CheckResult } from '../report.ts';
import type { ProofStep } from '../tile-proofs.ts';
import { TilesClient } from '../tiles-client.ts';
import { fetchAndVerifyCheckpoint } from '../verify-checkpoint.ts';
import {
  emptyHistory,
  EvidenceChanged,
  FleetHistory,
  historyChecks,
  type FleetHistoryState,
  type KeysetEvent,
  type Violation,
} from './fleet-history.ts';
import { frontierHashes, frontierHex, type LogAuditState, type PartialAudit } from './log-state.ts';
import { logEvidenceSource, ScanAborted, scanForEvidence, ScanMismatch, TileRoots } from './evidence-locator.ts';
import { prefixNodeHashes, type TileJobResult } from './tile-job.ts';
import { TilePool } from './tile-pool.ts';

export interface AuditProgress {
  readonly done: number;
  readonly total: number;
  readonly bytes: number;
}

export interface AuditLogOptions {
  readonly log: string;
  readonly policy: Policy;
  /** The policy's text, for the worker threads (they parse it themselves). */
  readonly policyText: string;
  readonly state?: LogAuditState;
  /** Worker threads for hashing: a number (0 = inline) or 'auto' (one per core when there is enough work). */
  readonly workers?: number | 'auto';
  /** Level-0 tiles (with their bundles) fetched ahead of the one being verified. */
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  /** Called once the checkpoint is trusted and the amount of work is known. */
  readonly onStart?: (info: { origin: string; size: number; from: number }) => void;
  readonly onProgress?: (p: AuditProgress) => void;
  /** Seconds since the epoch (default: now), recorded as when a new checkpoint was first seen. */
  readonly now?: number;
  /** Where an interrupted run got to (see onPartial): continue from there when it still applies. */
  readonly partial?: PartialAudit;
  /** Called every `partialEveryMs` (default 10 s) with where the audit has got to, to save. */
  readonly onPartial?: (p: PartialAudit) => void;
  readonly partialEveryMs?: number;
  /**
   * Stops the audit (SIGINT, SIGTERM): progress up to the last full tile is passed to onPartial
   * at once, whatever partialEveryMs says, and the audit rejects with AuditInterrupted.
   */
  readonly signal?: AbortSignal;
}

/** The audit stopped on its signal; `savedAt` is how many leaves the progress given to onPartial covers. */
export class AuditInterrupted extends Error {
  constructor(readonly savedAt: number | undefined) {
    super(
      savedAt === undefined
        ? 'the audit was interrupted before any progress'
        : `the audit was interrupted at entry ${savedAt}`,
    );
    this.name = 'AuditInterrupted';
  }
}

export interface AuditLogResult {
  readonly ok: boolean;
  readonly log: string;
  readonly origin?: string;
  readonly size?: number;
  readonly rootHash?: string;
  /** Tree size audited before this run (0 on a first run). */
  readonly previousSize: number;
  readonly checks: CheckResult[];
  /** Tile jobs run on worker threads and on the main thread (which helps when they are busy). */
  readonly jobs?: { readonly workers: number; readonly inline: number };
  /** Entries downloaded and verified in this run. */
  readonly newEntries: number;
  readonly requests: number;
  readonly bytes: number;
  readonly workers: number;
  readonly elapsedMs: number;
  readonly fleetRules: boolean;
  readonly newKeysets: readonly KeysetEvent[];
  readonly newViolations: readonly Violation[];
  readonly newWarnings: readonly Violation[];
  readonly history?: FleetHistoryState;
  readonly consistencyProof?: readonly ProofStep[];
  /** How the checkpoint relates to the last audited one (step 5), when it got that far. */
  readonly consistency?: ConsistencyOutcome['kind'];
  /**
   * When step 5 failed (a fork, a rollback, a split view): the checkpoint audited before and the
   * log-signed note that contradicts it, which is what proves the log misbehaved. The caller keeps it
   * (inconsistency-evidence.ts).
   */
  readonly inconsistency?: { readonly previous: SeenCheckpoint; readonly note: string };
  /** The newest timestamp among the trusted witnesses' cosignatures (seconds), if any. */
  readonly cosignedAt?: number;
  /** Set when this run continued from an interrupted one, at that many leaves. */
  readonly resumedFrom?: number;
  /** The state to save: present whenever the tree itself verified (history violations are kept in it). */
  readonly state?: LogAuditState;
}

/** Below this many new tiles, starting worker threads costs more than it saves. */
const WORKER_MIN_TILES = 16;
const DEFAULT_CONCURRENCY = 16;
const ENTRIES_TITLE = 'every entry included in the checkpoint (leaf hashes and root recomputed)';
const entriesCheck = (ok: boolean, reason: string): CheckResult => withRule(check(2, ENTRIES_TITLE, ok, reason), 'L3');
const skipEntries = (reason: string): CheckResult => withRule(skip(2, reason, ENTRIES_TITLE), 'L3');

class TreeMismatch extends Error {}

const resumedNote = (from: number | undefined): string =>
  from === undefined
    ? ''
    : ` (this run continued an interrupted one from entry ${from}: those leaves were served by the log earlier)`;

export async function auditLog(options: AuditLogOptions): Promise<AuditLogResult> {
  const started = performance.now();
  const { policy } = options;
  const client = new TilesClient(options.log, { timeoutMs: options.timeoutMs, retries: options.retries });
  const checks: CheckResult[] = [];
  const prev = options.state;
  const fleetRules = policy.fleetlog;
  const base = {
    log: client.prefix,
    previousSize: prev?.checkpoint.size ?? 0,
    fleetRules,
    newKeysets: [],
    newViolations: [],
    newWarnings: [],
  };
  const finish = (extra: Partial<AuditLogResult> & { ok?: boolean }): AuditLogResult => ({
    ...base,
    checks,
    newEntries: 0,
    workers: 0,
    ...extra,
    ok: (extra.ok ?? true) && passed(checks),
    requests: client.stats.requests,
    bytes: client.stats.bytes,
    elapsedMs: performance.now() - started,
  });

  // Steps 3 and 4: the checkpoint.
  const cp = await fetchAndVerifyCheckpoint(client, policy);
  checks.push(...cp.checks.map((c) => withRule(c, 'L1')));
  if (!cp.trusted) {
    checks.push(withRule(skip(5, 'the checkpoint is not trusted'), 'L2'), skipEntries('the checkpoint is not trusted'));
    return finish({ ok: false });
  }
  const checkpoint = cp.trusted.checkpoint;
  const times = [...cp.trusted.cosigners.values()].map(Number);
  const head = {
    origin: checkpoint.origin,
    size: checkpoint.size,
    rootHash: toHex(checkpoint.rootHash),
    ...(times.length ? { cosignedAt: Math.max(...times) } : {}),
  };
  if (!cp.quorumMet) {
    checks.push(withRule(skip(5, 'the checkpoint is not trusted'), 'L2'), skipEntries('the checkpoint is not trusted'));
    return finish({ ...head, ok: false });
  }
  if (prev && prev.checkpoint.origin !== checkpoint.origin) {
    throw new FleetlogError(
      'usage',
      `the state file is for log ${prev.checkpoint.origin}, but ${client.prefix} serves ${checkpoint.origin}`,
    );
  }

  // Step 5: one history with what we audited before.
  const outcome = await checkConsistency(client, prev?.checkpoint, checkpoint);
  const proof = 'proof' in outcome ? outcome.proof : undefined;
  Object.assign(head, { consistency: outcome.kind });
  const reason5 = describeConsistency(outcome, prev?.checkpoint, checkpoint);
  if (outcome.kind === 'bad-tiles') {
    checks.push(
      withRule(skip(5, 'undecided: the tiles do not match the checkpoint'), 'L2'),
      entriesCheck(false, reason5),
    );
    return finish({ ...head, ok: false, consistencyProof: proof });
  }
  const consistent = outcome.kind === 'first' || outcome.kind === 'same' || outcome.kind === 'grew';
  checks.push(withRule(check(5, undefined, consistent, reason5), 'L2'));
  if (!consistent) {
    checks.push(skipEntries('the checkpoint is not consistent with the last audit'));
    const inconsistency = prev && cp.note ? { inconsistency: { previous: prev.checkpoint, note: cp.note } } : {};
    return finish({ ...head, ok: false, consistencyProof: proof, ...inconsistency });
  }

  // Resume from the saved frontier when it describes the same kind of audit; and from an
  // interrupted run's progress beyond it, if any (its leaves are vouched for by the final root).
  const resume = prev !== undefined && prev.fleetRules === fleetRules && (!fleetRules || prev.history !== undefined);
  let start = resume ? prev.checkpoint.size : 0;
  let prevFrontier = resume ? frontierHashes(prev) : [];
  let historyState = resume && prev.history ? structuredClone(prev.history) : emptyHistory();
  const partial = options.partial;
  let resumedFrom: number | undefined;
  if (
    partial &&
    partial.origin === checkpoint.origin &&
    partial.fleetRules === fleetRules &&
    partial.size > start &&
    partial.size <= checkpoint.size &&
    (!fleetRules || partial.history)
  ) {
    start = partial.size;
    prevFrontier = partial.frontier.map((h) => fromHex(h, 32, 'progress frontier hash'));
    historyState = partial.history ? structuredClone(partial.history) : emptyHistory();
    resumedFrom = start;
  }
  const history = fleetRules
    ? new FleetHistory(historyState, logEvidenceSource(client, policy, checkpoint))
    : undefined;
  options.onStart?.({ origin: checkpoint.origin, size: checkpoint.size, from: start });
  const partialEvery = options.partialEveryMs ?? 10_000;
  let lastPartial = performance.now();
  const onTile = options.onPartial
    ? (size: number, frontierNow: readonly Hash[], now = false, historyThen?: FleetHistoryState): void => {
        if (!now && performance.now() - lastPartial < partialEvery) return;
        lastPartial = performance.now();
        const saved = historyThen ?? history?.saved();
        options.onPartial!({
          origin: checkpoint.origin,
          size,
          frontier: frontierHex(frontierNow),
          fleetRules,
          ...(saved ? { history: saved } : {}),
        });
      }
    : undefined;

  const total = checkpoint.size - start;
  const poolSize =
    options.workers === undefined || options.workers === 'auto'
      ? Math.ceil(total / TILE_WIDTH) >= WORKER_MIN_TILES
        ? 'auto'
        : 0
      : options.workers;
  const pool = total > 0 ? new TilePool(poolSize, fleetRules ? options.policyText : undefined) : undefined;
  const workers = pool?.workers ?? 0; // read now: closing the pool retires its workers
  let frontier: Hash[];
  try {
    frontier = await rebuildTree({
      client,
      pool,
      policy,
      size: checkpoint.size,
      start,
      prevFrontier,
      history,
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      onProgress: options.onProgress,
      total,
      ...(onTile ? { onTile } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (e) {
    // Anything the log serves that contradicts the entries, or a malformed tile or bundle, fails step 2.
    const mismatch = e instanceof TreeMismatch || e instanceof EvidenceChanged || e instanceof ScanMismatch;
    if (!(mismatch || isFleetlogError(e, 'bad_tile'))) throw e;
    checks.push(
      entriesCheck(
        false,
        (mismatch ? e.message : `the log serves a malformed tile: ${e.message}`) + resumedNote(resumedFrom),
      ),
    );
    return finish({
      ...head,
      ok: false,
      newEntries: 0,
      workers,
      consistencyProof: proof,
      ...(resumedFrom !== undefined ? { resumedFrom } : {}),
    });
  } finally {
    await pool?.close();
  }
  const root = foldRight(frontier);
  if (!bytesEqual(root, checkpoint.rootHash)) {
    checks.push(
      entriesCheck(
        false,
        `the ${checkpoint.size} entries served rebuild root ${toHex(root)}, not the signed root ${head.rootHash}${resumedNote(resumedFrom)}`,
      ),
    );
    return finish({
      ...head,
      ok: false,
      workers,
      consistencyProof: proof,
      ...(resumedFrom !== undefined ? { resumedFrom } : {}),
    });
  }
  checks.push(
    entriesCheck(
      true,
      total === 0
        ? `no new entries since the last audit; tree ${checkpoint.size} unchanged`
        : `${plural(total, 'entry', 'entries')} (${start}..${checkpoint.size - 1}) hashed from their bundles match the tiles at every level and rebuild the signed root`,
    ),
  );
  if (history) checks.push(...historyChecks(history.state));

  const now = options.now ?? Math.floor(Date.now() / 1000);
  const state: LogAuditState = {
    checkpoint: seenOf(checkpoint),
    headSeenAt: outcome.kind === 'same' && prev?.headSeenAt !== undefined ? prev.headSeenAt : now,
    frontier: frontierHex(frontier),
    fleetRules,
    ...(history ? { history: history.saved() } : {}),
    runs: (prev?.runs ?? 0) + 1,
    lastRun: new Date().toISOString(),
  };
  return finish({
    ...head,
    newEntries: total,
    workers,
    ...(pool ? { jobs: { ...pool.ran } } : {}),
    ...(resumedFrom !== undefined ? { resumedFrom } : {}),
    newKeysets: history?.newKeysets ?? [],
    newViolations: history?.newViolations ?? [],
    newWarnings: history?.newWarnings ?? [],
    ...(history ? { history: history.state } : {}),
    ...(proof ? { consistencyProof: proof } : {}),
    state,
  });
}

interface RebuildInput {
  readonly client: TilesClient;
  readonly pool: TilePool | undefined;
  readonly policy: Policy;
  readonly size: number;
  /** Leaves already audited (the saved frontier describes [0, start)). */
  readonly start: number;
  readonly prevFrontier: readonly Hash[];
  readonly history: FleetHistory | undefined;
  readonly concurrency: number;
  readonly total: number;
  readonly onProgress?: (p: AuditProgress) => void;
  /**
   * After each full tile: the leaves so far and the frontier over them (`now`: save it now), with
   * the history as it was then when it is not the current one.
   */
  readonly onTile?: (size: number, frontier: readonly Hash[], now?: boolean, history?: FleetHistoryState) => void;
  readonly signal?: AbortSignal;
}

/**
 * Streams the new level-0 tiles through the pool in order and returns the frontier of the whole
 * tree (rangeNodes(0, size) hashes). Throws TreeMismatch when anything the log serves disagrees with
 * what the entries imply.
 */
async function rebuildTree(input: RebuildInput): Promise<Hash[]> {
  const { client, pool, size, start, history } = input;
  const oldIds = rangeNodes(0, start);
  const highCount = oldIds.filter((n) => n.level >= TILE_HEIGHT).length;
  const tileFrontier = Frontier.restore(Math.floor(start / TILE_WIDTH), input.prevFrontier.slice(0, highCount));
  const lowOld = input.prevFrontier.slice(highCount);
  const firstTile = Math.floor(start / TILE_WIDTH);
  const endTile = Math.ceil(size / TILE_WIDTH);
  const tileRoots = new TileRoots(firstTile, history ? endTile : firstTile);
  if (size === start) {
    // A progress file may end where the tree does, with key sets still waiting for the scan.
    await settlePending(input, tileRoots, () => new AuditInterrupted(undefined));
    return [...input.prevFrontier];
  }

  // Upper-level tiles, one current tile per level, fetched when a subtree they hold completes.
  const upper = new Map<number, { index: number; hashes: Hash[] }>();
  const upperTile = async (level: number, index: number): Promise<Hash[]> => {
    const cached = upper.get(level);
    if (cached && cached.index === index) return cached.hashes;
    const tile = tileInTree(level, index, size);
    if (!tile) throw new FleetlogError('internal', `tile ${level}/${index} is not in a tree of size ${size}`);
    const hashes = tileHashes(await client.tile(tile, size), tile.width);
    upper.set(level, { index, hashes });
    return hashes;
  };

  // Resuming mid-tile: the partial upper tiles seen last time must still hold what we audited.
  for (let level = 1; TILE_WIDTH ** level <= start; level++) {
    const width = Math.floor(start / TILE_WIDTH ** level) % TILE_WIDTH;
    if (width === 0) continue;
    const hashes = await upperTile(level, Math.floor(start / TILE_WIDTH ** (level + 1)));
    const expected = oldIds
      .map((n, i) => ({ n, h: input.prevFrontier[i]! }))
      .filter(({ n }) => n.level >= TILE_HEIGHT * level && n.level < TILE_HEIGHT * (level + 1));
    const got = prefixNodeHashes(hashes, width);
    if (got.length !== expected.length || got.some((h, i) => !bytesEqual(h, expected[i]!.h))) {
      throw new TreeMismatch(
        `tile ${level}/${Math.floor(start / TILE_WIDTH ** (level + 1))} no longer holds the ${width} hashes audited before`,
      );
    }
  }

  const pending = new Map<number, Promise<TileJobResult>>();
  let next = firstTile;
  const launch = (t: number): void => {
    const width = tileInTree(0, t, size)!.width;
    const firstNew = t === firstTile ? start % TILE_WIDTH : 0;
    const job = Promise.all([
      client.tile({ level: 0, index: t, width }, size),
      client.entryBundleBytes({ level: 0, index: t, width }, size),
    ]).then(([tile, bundle]) =>
      runJob(pool, { tileIndex: t, width, tile, bundle, firstNew, prefix: firstNew, fleet: history !== undefined }),
    );
    job.catch(() => {}); // awaited in order below; this only silences early rejections
    pending.set(t, job);
  };

  let done = 0;
  let low: Hash[] = [];
  // The progress at the last full-tile boundary, kept when the tree ends in a partial tile: the
  // scan after the loop may be interrupted, and a progress file holds only full tiles.
  let boundary: { size: number; frontier: Hash[]; history: FleetHistoryState } | undefined;
  // On the signal: everything up to tile t (exclusive) is applied, and t > firstTile means that is
  // a full-tile boundary beyond where this run started: save it now, then stop.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    input.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const interrupt = (t: number): never => {
    const saved = t > firstTile ? t * TILE_WIDTH : undefined;
    if (saved !== undefined) input.onTile?.(saved, tileFrontier.hashes, true);
    throw new AuditInterrupted(saved);
  };
  try {
    for (let t = firstTile; t < endTile; t++) {
      if (input.signal?.aborted) return interrupt(t);
      while (next < endTile && next < t + input.concurrency) launch(next++);
      const result = await Promise.race([pending.get(t)!, aborted]);
      if (result === 'aborted') return interrupt(t);
      pending.delete(t);
      if (!result.ok) throw new TreeMismatch(result.reason);
      const firstNew = t === firstTile ? start % TILE_WIDTH : 0;
      if (firstNew > 0) {
        const got = result.prefixNodes ?? [];
        if (got.length !== lowOld.length || got.some((h, i) => !bytesEqual(h, lowOld[i]!))) {
          throw new TreeMismatch(`tile 0/${t} no longer holds the ${firstNew} leaf hashes audited before`);
        }
      }
      if (result.root) {
        const completed: Array<{ level: number; index: number; hash: Hash }> = [];
        tileFrontier.append(result.root, (node, hash) => {
          if (node.level % TILE_HEIGHT === 0)
            completed.push({ level: node.level / TILE_HEIGHT + 1, index: node.index, hash });
        });
        for (const c of completed) {
          const hashes = await upperTile(c.level, Math.floor(c.index / TILE_WIDTH));
          const served = hashes[c.index % TILE_WIDTH];
          if (!served || !bytesEqual(served, c.hash)) {
            throw new TreeMismatch(
              `tile ${c.level}/${Math.floor(c.index / TILE_WIDTH)} holds ${served ? toHex(served) : 'nothing'} at position ${c.index % TILE_WIDTH}, but the entries below it hash to ${toHex(c.hash)}`,
            );
          }
        }
        low = [];
      } else {
        low = result.lowNodes ?? [];
      }
      if (result.root && history) tileRoots.set(t, result.root);
      else if (history && t > firstTile)
        boundary = {
          size: t * TILE_WIDTH,
          frontier: [...tileFrontier.hashes],
          history: structuredClone(history.saved()),
        };
      if (history && result.entries) {
        for (const [i, summary] of result.entries.entries()) {
          const fetching = history.apply(t * TILE_WIDTH + firstNew + i, summary);
          if (fetching) await fetching;
        }
      }
      done += (tileInTree(0, t, size)?.width ?? 0) - firstNew;
      input.onProgress?.({ done, total: input.total, bytes: client.stats.bytes });
      if (result.root) input.onTile?.((t + 1) * TILE_WIDTH, tileFrontier.hashes);
    }
    await settlePending(input, tileRoots, () => {
      if (size % TILE_WIDTH === 0) {
        input.onTile?.(size, tileFrontier.hashes, true);
        return new AuditInterrupted(size);
      }
      if (boundary) input.onTile?.(boundary.size, boundary.frontier, true, boundary.history);
      return new AuditInterrupted(boundary?.size);
    });
  } finally {
    if (onAbort) input.signal?.removeEventListener('abort', onAbort);
  }
  return [...tileFrontier.hashes, ...low];
}

/**
 * F2 for the run's key sets whose evidence neither the window nor the log's lookup gave: one scan
 * of the earlier entry bundles for all of them (evidence-locator.ts). On the signal, `interrupted`
 * saves what it can and gives the error to throw; the key sets stay pending in what it saved.
 */
async function settlePending(input: RebuildInput, tileRoots: TileRoots, interrupted: () => Error): Promise<void> {
  const { history } = input;
  if (!history || history.pending.length === 0) return;
  const wanted = new Map<string, number>();
  for (const p of history.pending) wanted.set(p.evidence, Math.max(wanted.get(p.evidence) ?? 0, p.index));
  let found: Awaited<ReturnType<typeof scanForEvidence>>;
  try {
    found = await scanForEvidence({
      client: input.client,
      policy: input.policy,
      size: input.size,
      wanted,
      start: input.start,
      startFrontier: input.prevFrontier,
      tileRoots,
      ...(input.signal ? { signal: input.signal } : {}),
    });
  } catch (e) {
    if (e instanceof ScanAborted) throw interrupted();
    throw e;
  }
  history.settle(found);
}

function runJob(pool: TilePool | undefined, job: Parameters<TilePool['run']>[0]): Promise<TileJobResult> {
  if (!pool) throw new FleetlogError('internal', 'no tile pool for a non-empty audit');
  return pool.run(job);
}
