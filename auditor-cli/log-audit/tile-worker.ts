/**
 * Worker thread entry: runs tile jobs (tile-job.ts) for the hashing pool. Holds the parsed policy
 * for the stateless fleet checks; everything stateful stays on the main thread.
 */
import { workerData } from 'node:worker_threads';
import { parsePolicy, type Policy } from '../../core/policy/policy.ts';
import { serveCalls } from '../../service/worker-calls.ts';
import { runTileJob, type TileJob, type TileJobResult } from './tile-job.ts';

const data = workerData as { policyText?: string };
const policy: Policy | undefined = data.policyText ? parsePolicy(data.policyText) : undefined;

serveCalls((job: TileJob): TileJobResult => {
  try {
    return runTileJob(job, policy);
  } catch (e) {
    return { ok: false, tileIndex: job.tileIndex, reason: `internal error: ${(e as Error).message}` };
  }
});
