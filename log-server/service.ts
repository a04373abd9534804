/**
 * The parts of a running log, wired together: what the HTTP routes see. Built by server.ts.
 */
import type { Logger } from '../service/logger.ts';
import type { LogMetrics } from './metrics.ts';
import type { ProofService } from './proofs.ts';
import type { StaticPublisher } from './publish/static-publisher.ts';
import type { Sequencer } from './sequencer.ts';
import type { LogStorage } from './storage/storage.ts';
import type { TileReader } from './tile-reader.ts';
import type { ValidationPool } from './validation/pool.ts';
import type { Witnessing } from './witnessing/witnessing.ts';

export interface LogService {
  readonly origin: string;
  readonly vkey: string;
  readonly storage: LogStorage;
  readonly sequencer: Sequencer;
  readonly witnessing: Witnessing;
  readonly proofs: ProofService;
  readonly tiles: TileReader;
  /** Present with --publish-dir: the static copy of the read API. */
  readonly publisher: StaticPublisher | undefined;
  readonly metrics: LogMetrics;
  readonly logger: Logger;
  readonly validator: ValidationPool;
  /** The policy text the log was started with, served at /policy. */
  readonly policyText?: string;
}
