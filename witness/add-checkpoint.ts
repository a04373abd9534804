/**
 * add-checkpoint end to end: request bytes in, a cosignature out, or a FleetlogError whose code
 * says which C2SP status applies (witness/http-status.ts maps it).
 *
 *   1. judge the request (check.ts, on a worker thread or inline): parse, keys, log signature,
 *      decision against the stored state, cosignature;
 *   2. keep split-view evidence if the log signed a conflicting checkpoint;
 *   3. compare-and-swap the new head into SQLite, on the exact tree size the decision read, and
 *      wait for the commit (writer.ts: group commit, one fsync per batch); only then answer.
 *
 * If the swap finds the log moved since step 1 (another request won), the decision is void: judge
 * again against the new state, which then answers 409, or cosigns if nothing that matters changed.
 */
import type { Checkpoint } from '../core/checkpoint.ts';
import { FleetlogError } from '../core/errors.ts';
import type { Logger } from '../service/logger.ts';
import type { LogThrottle } from '../service/log-throttle.ts';
import { refusalError, type EvidenceRecord } from './check.ts';
import type { Checker } from './check-pool.ts';
import type { Writer } from './writer.ts';
import type { WitnessReads } from './reads.ts';

/** How often a request is judged again after losing a compare-and-swap before giving up (503). */
const MAX_ATTEMPTS = 8;

/**
 * How far the clock may be behind the newest cosignature timestamp before it is reported (a log
 * line, /health "clock-behind"): small steps back and processes whose clocks differ by seconds
 * are normal; the cosignature keeps the newer time either way.
 */
export const CLOCK_TOLERANCE_SECONDS = 60;

export interface WitnessHooks {
  /** Runs after a request is judged and cosigned, just before its compare-and-swap. Tests use it to force races. */
  beforeStore?(origin: string, treeSize: number): Promise<void> | void;
}

export interface WitnessEvents {
  splitView?(origin: string, stored: boolean, proven: boolean): void;
  casLost?(origin: string): void;
}

export interface WitnessCore {
  /** The reads the HTTP routes serve (cosigned checkpoints, evidence, health). */
  readonly store: WitnessReads;
  readonly writer: Writer;
  readonly checker: Checker;
  /** The witness's vkey (for /health). */
  readonly vkey: string;
  /** Milliseconds since the epoch (Date.now by default). */
  readonly clock: () => number;
  readonly logger: Logger;
  /** For lines a sender can trigger at will (refusals, split-view replays). */
  readonly throttle: LogThrottle;
  readonly hooks?: WitnessHooks;
  readonly events?: WitnessEvents;
}

export interface Cosigned {
  /** The 200 body: the cosignature line(s), each ending in a newline. */
  readonly cosignatures: string;
  readonly checkpoint: Pick<Checkpoint, 'origin' | 'size'>;
  readonly timestamp: number;
}

export async function addCheckpoint(w: WitnessCore, body: Uint8Array): Promise<Cosigned> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = Math.floor(w.clock() / 1000);
    const outcome = await w.checker.check(body, now);
    if (outcome.kind === 'refuse') {
      if (outcome.evidence) await keepEvidence(w, outcome.evidence);
      throw refusalError(outcome.refusal);
    }
    const { next } = outcome;
    await w.hooks?.beforeStore?.(next.origin, next.treeSize);
    // Already stored, and read from a committed (so durable) state: answering it again is safe.
    if (outcome.unchanged || (await w.writer.write({ kind: 'cas', expectedSize: outcome.expectedSize, next }))) {
      if (next.timestamp > now + CLOCK_TOLERANCE_SECONDS)
        w.throttle.log(
          'warn',
          `clock-behind ${next.origin}`,
          'the clock is behind a cosignature this witness already issued: cosigning with that newer time',
          { origin: next.origin, clock: now, timestamp: next.timestamp },
        );
      return {
        cosignatures: outcome.cosignature,
        checkpoint: { origin: next.origin, size: next.treeSize },
        timestamp: next.timestamp,
      };
    }
    w.events?.casLost?.(next.origin);
  }
  throw new FleetlogError('unavailable', 'the log kept changing under concurrent requests; retry');
}

async function keepEvidence(w: WitnessCore, evidence: EvidenceRecord): Promise<void> {
  const added = await w.writer.write({ kind: 'evidence', record: evidence });
  w.events?.splitView?.(evidence.origin, added, evidence.proven);
  // A new proven split view is news to the operator every time; repeats and unproven ones (a
  // failing proof) can be replayed by anyone, so at most one line per log and kind per interval.
  const message = evidence.proven
    ? 'split view: the log signed a checkpoint that conflicts with one this witness cosigned'
    : 'split view suspected: a checkpoint signed by the log came with a consistency proof that does not verify';
  const fields = { origin: evidence.origin, proven: evidence.proven, stored: added };
  if (evidence.proven && added) w.logger.warn(message, fields);
  else w.throttle.log('warn', `split-view ${evidence.proven} ${evidence.origin}`, message, fields);
}
