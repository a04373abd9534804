/**
 * What only the writing process runs: the sequencer and the witnessing loop, started on top of the
 * tree as stored. A single SQLite server starts them once; on PostgreSQL the process that wins the
 * leader lease starts them (cluster/cluster-node.ts) and stops them when it loses the lease.
 *
 * The static publisher (--publish-dir) is leader-only work too: the leader opens it on taking over
 * (it resumes from what the directory holds) and closes it when it stops leading. For anything
 * else that only the leader may do, `LeadershipListener` hears when this process starts and stops
 * leading, and of every checkpoint it committed or published; a new leader hears `becameLeader`
 * with the tree it resumes from, so it can carry on where the previous one stopped.
 */
import type { Policy } from '../core/policy/policy.ts';
import type { SignerKey } from '../core/note/keys.ts';
import { ed25519NoteSigner } from '../core/note/verifiers.ts';
import type { Logger } from '../service/logger.ts';
import type { LogMetrics } from './metrics.ts';
import type { ProofService } from './proofs.ts';
import { recoverFrontier } from './recover.ts';
import { StaticPublisher } from './static-publisher.ts';
import { Sequencer } from './sequencer.ts';
import type { LogHead, LogStorage, StoredCheckpoint } from './storage/storage.ts';
import type { TileReader } from './tile-reader.ts';
import { Witnessing, type PublishedCheckpoint } from './witnessing/witnessing.ts';

export interface LeadershipListener {
  /** This process now sequences; `head` is the newest durable checkpoint it resumes from. */
  becameLeader?(head: StoredCheckpoint): void;
  /** This process no longer sequences (lease lost, or shutting down); it must stop writing. */
  stoppedLeading?(): void;
  /** This process's sequencer made a checkpoint durable. */
  checkpointCommitted?(cp: StoredCheckpoint): void;
  /** This process published a checkpoint (it met the witness quorum; fail-open: every one). */
  checkpointPublished?(cp: PublishedCheckpoint): void;
}

/** How the leader batches and witnesses; `log serve`'s options carry these fields as they are. */
export interface LeaderTuning {
  /** Most entries integrated under one checkpoint (default 1024). */
  readonly batchMaxSize?: number;
  /** Longest a submission waits for others to share its batch (default 2 ms). */
  readonly batchMaxWaitMs?: number;
  /** Queued submissions beyond this are answered 503 (default 16384). */
  readonly maxPending?: number;
  readonly witnessTimeoutMs?: number;
  readonly witnessRetryBaseMs?: number;
  readonly witnessRetryMaxMs?: number;
  /** How often an unchanged tree is re-sent to witnesses for fresh cosignatures (default 60 s; 0 = never). */
  readonly witnessRefreshIntervalMs?: number;
  readonly fetch?: typeof fetch;
}

export interface LeaderContext {
  readonly storage: LogStorage;
  readonly proofs: ProofService;
  readonly tiles: TileReader;
  readonly policy: Policy | undefined;
  readonly key: SignerKey;
  readonly logger: Logger;
  readonly metrics: LogMetrics;
  readonly tuning: LeaderTuning;
  readonly listener?: LeadershipListener;
  /** Keep a static copy of the read API in `dir` while leading (--publish-dir). */
  readonly publish?: { readonly dir: string; readonly partialGraceMs?: number };
}

export interface Leading {
  readonly sequencer: Sequencer;
  readonly witnessing: Witnessing;
  /** The static publisher (with `publish`): opened on taking over, so it carries on from the directory. */
  readonly publisher: StaticPublisher | undefined;
  /** Drains the sequencer (queued batches commit or fail), then stops witnessing and publishing. */
  stop(): Promise<void>;
}

/** Resumes from `head` (checked against the stored nodes) and starts sequencing and witnessing. */
export async function startLeading(ctx: LeaderContext, head: LogHead): Promise<Leading> {
  const { storage, proofs, policy, logger, metrics, tuning: t, listener } = ctx;
  const frontier = await recoverFrontier(storage, head);
  // The directory itself says how far the previous writer got; the first round writes the rest.
  const publisher = ctx.publish
    ? await StaticPublisher.open({
        dir: ctx.publish.dir,
        origin: head.origin,
        vkey: head.vkey,
        storage,
        tiles: ctx.tiles,
        proofs,
        published: () => witnessing.published(),
        logger: logger.child('publisher'),
        metrics,
        ...(ctx.publish.partialGraceMs !== undefined ? { partialGraceMs: ctx.publish.partialGraceMs } : {}),
      })
    : undefined;
  const onPublish = (cp: PublishedCheckpoint): void => {
    publisher?.notify();
    listener?.checkpointPublished?.(cp);
  };
  const witnessing = new Witnessing({
    storage,
    proofs,
    policy,
    logger: logger.child('witnessing'),
    metrics,
    ...(t.witnessTimeoutMs !== undefined ? { timeoutMs: t.witnessTimeoutMs } : {}),
    ...(t.witnessRetryBaseMs !== undefined ? { retryBaseMs: t.witnessRetryBaseMs } : {}),
    ...(t.witnessRetryMaxMs !== undefined ? { retryMaxMs: t.witnessRetryMaxMs } : {}),
    ...(t.witnessRefreshIntervalMs !== undefined ? { refreshIntervalMs: t.witnessRefreshIntervalMs } : {}),
    ...(t.fetch ? { fetch: t.fetch } : {}),
    onPublish,
  });
  const sequencer = new Sequencer({
    storage,
    proofs,
    origin: head.origin,
    signer: ed25519NoteSigner(ctx.key),
    frontier,
    latest: head.checkpoint,
    maxBatchSize: t.batchMaxSize ?? 1024,
    maxWaitMs: t.batchMaxWaitMs ?? 2,
    maxPending: t.maxPending ?? 16384,
    logger: logger.child('sequencer'),
    metrics,
    onCheckpoint: (cp) => {
      witnessing.onCheckpoint(cp);
      listener?.checkpointCommitted?.(cp);
    },
  });
  await witnessing.start(head.checkpoint, head.publishedSize);
  publisher?.notify(); // catch up with the checkpoint published before this process led
  listener?.becameLeader?.(head.checkpoint);
  let stopping: Promise<void> | undefined;
  return {
    sequencer,
    witnessing,
    publisher,
    stop() {
      stopping ??= (async () => {
        try {
          await sequencer.close();
          await witnessing.close();
          await publisher?.close();
        } finally {
          listener?.stoppedLeading?.();
        }
      })();
      return stopping;
    },
  };
}
