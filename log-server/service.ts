/**
 * The parts of a running log, wired together: what the HTTP routes see. Built by server.ts.
 *
 * `sequencer` and `witnessing` are what the routes need of the writer: on a single server they
 * are the Sequencer and the Witnessing themselves; on PostgreSQL they are the cluster node
 * (cluster/cluster-node.ts), which hands them to the real ones while this process leads and
 * otherwise forwards submissions to the leader and reads the published checkpoint from the database.
 */
import type { Logger } from '../service/logger.ts';
import type { LogMetrics } from './metrics.ts';
import type { ProofService } from './proofs.ts';
import type { StaticPublisher } from './static-publisher.ts';
import type { AppendResult } from './sequencer.ts';
import type { LogStorage, StoredCheckpoint } from './storage/storage.ts';
import type { TileReader } from './tile-reader.ts';
import type { ValidatedEntry } from './validation/validate.ts';
import type { ValidationPool } from './validation/pool.ts';
import type { PublishedCheckpoint, Witnessing } from './witnessing/witnessing.ts';

/** Set on a submission a follower forwards to the leader; a follower receiving one does not forward again. */
export const FORWARDED_HEADER = 'x-fleetlog-forwarded';

export interface Appender {
  /** The newest durable signed checkpoint this process knows. */
  readonly latest: StoredCheckpoint;
  readonly pending: number;
  /** Whether the last commit failed and none has succeeded since (/health answers 503). */
  readonly writesFailing: boolean;
  /** Resolves once the entry is in a durable signed checkpoint; `context`: the client's header, whether forwarded. */
  submit(entry: ValidatedEntry, context?: { authorization?: string; forwarded?: boolean }): Promise<AppendResult>;
}

export interface Publication {
  published(): PublishedCheckpoint | undefined;
  health(): ReturnType<Witnessing['health']>;
}

export interface LogService {
  readonly origin: string;
  readonly vkey: string;
  readonly storage: LogStorage;
  readonly sequencer: Appender;
  readonly witnessing: Publication;
  readonly proofs: ProofService;
  readonly tiles: TileReader;
  /** Present with --publish-dir: the static copy of the read API. */
  readonly publisher: StaticPublisher | undefined;
  readonly metrics: LogMetrics;
  readonly logger: Logger;
  readonly validator: ValidationPool;
  /** The policy text the log was started with, served at /policy. */
  readonly policyText?: string;
  /** On PostgreSQL: this process's role and the lease (for /health); absent on a single server. */
  readonly cluster?: () => ClusterStatus;
}

export interface ClusterStatus {
  readonly role: 'leader' | 'follower';
  /** Whether this process's last look at the lease reached the database. */
  readonly databaseReachable: boolean;
  readonly fencingToken: number | undefined;
  readonly leaderUrl: string | undefined;
}
