/**
 * What only the writing process runs: the sequencer and the witnessing loop, started on top of the
 * tree as stored. A single SQLite server starts them once; on PostgreSQL the process that wins the
 * leader lease starts them (cluster/cluster-node.ts) and stops them when it loses the lease.
 *
 * `LeadershipListener` is the hook for anything else that only the leader may do (publishing
 * static tiles, say): it hears when this process starts and stops leading, and of every
 * checkpoint this process committed or published. A new leader hears `becameLeader` with the
 * tree it resumes from, so it can carry on where the previous one stopped.
 */
import type { Policy } from '../core/policy/policy.ts';
import type { SignerKey } from '../core/note/keys.ts';
import { ed25519NoteSigner } from '../core/note/verifiers.ts';
import type { Logger } from '../service/logger.ts';
import type { LogMetrics } from './metrics.ts';
import type { ProofService } from './proofs.ts';
import { recoverFrontier } from './recover.ts';
import { Sequencer } from './sequencer.ts';
import type { LogHead, LogStorage, StoredCheckpoint } from './storage/storage.ts';
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

export interface LeaderTuning {
  readonly batchMaxSize?: number;
  readonly batchMaxWaitMs?: number;
  readonly maxPending?: number;
  readonly witnessTimeoutMs?: number;
  readonly witnessRetryBaseMs?: number;
  readonly witnessRetryMaxMs?: number;
  readonly witnessRefreshIntervalMs?: number;
  readonly fetch?: typeof fetch;
}

export interface LeaderContext {
  readonly storage: LogStorage;
  readonly proofs: ProofService;
  readonly policy: Policy | undefined;
  readonly key: SignerKey;
  readonly logger: Logger;
  readonly metrics: LogMetrics;
  readonly tuning: LeaderTuning;
  readonly listener?: LeadershipListener;
}

export interface Leading {
  readonly sequencer: Sequencer;
  readonly witnessing: Witnessing;
  /** Drains the sequencer (queued batches commit or fail), then stops witnessing. */
  stop(): Promise<void>;
}

/** Resumes from `head` (checked against the stored nodes) and starts sequencing and witnessing. */
export async function startLeading(ctx: LeaderContext, head: LogHead): Promise<Leading> {
  const { storage, proofs, policy, logger, metrics, tuning: t, listener } = ctx;
  const frontier = await recoverFrontier(storage, head);
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
    ...(listener?.checkpointPublished
      ? { onPublish: (cp: PublishedCheckpoint) => listener.checkpointPublished!(cp) }
      : {}),
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
  listener?.becameLeader?.(head.checkpoint);
  let stopping: Promise<void> | undefined;
  return {
    sequencer,
    witnessing,
    stop() {
      stopping ??= (async () => {
        try {
          await sequencer.close();
          await witnessing.close();
        } finally {
          listener?.stoppedLeading?.();
        }
      })();
      return stopping;
    },
  };
}
