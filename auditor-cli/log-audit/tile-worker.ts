/**
 * Worker thread entry: runs tile jobs (tile-job.ts) for the hashing pool. Holds the parsed policy
 * for the stateless fleet checks; everything stateful stays on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parsePolicy, type Policy } from '../../core/policy/policy.ts';
import { runTileJob, type TileJob, type TileJobResult } from './tile-job.ts';

const data = workerData as { policyText?: string };
const policy: Policy | undefined = data.policyText ? parsePolicy(data.policyText) : undefined;

parentPort!.on('message', (message: { id: number; job: TileJob }) => {
  let result: TileJobResult;
  try {
    result = runTileJob(message.job, policy);
  } catch (e) {
    result = { ok: false, tileIndex: message.job.tileIndex, reason: `internal error: ${(e as Error).message}` };
  }
  parentPort!.postMessage({ id: message.id, result });
});
parentPort!.postMessage({ ready: true });
