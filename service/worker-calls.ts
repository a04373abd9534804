/**
 * The worker-thread side of a WorkerPool: call `serveCalls(handle)` once the worker's own setup
 * (keys, database, policy) is done. It sends the ready handshake, then answers each call with
 * `handle`'s result, one call at a time and in the order received, so a pool of one worker is a
 * strictly ordered queue (the storage writers rely on that).
 *
 * Replies are posted once per batch, and earlier when a batch runs long (PROGRESS_MS), so the
 * pool's stuck-worker deadline (`callTimeoutMs`) measures one call, not a whole batch.
 *
 * A handler that throws answers that call with an error: a FleetlogError keeps its code, anything
 * else becomes `internal`. Only an error outside a call (setup, or a crash of the thread) ends the
 * worker; the pool then applies its dead-worker policy.
 */
import { parentPort } from 'node:worker_threads';
import { isFleetlogError } from '../core/errors.ts';
import type { CallBatch, CallReply, WorkerMessage } from './worker-protocol.ts';

/** Within a batch, replies gathered for this long are posted before the rest is handled. */
const PROGRESS_MS = 50;

export function serveCalls<Req, Res>(handle: (request: Req) => Res | Promise<Res>): void {
  const port = parentPort;
  if (!port) throw new Error('serveCalls must run in a worker thread');
  const post = (message: WorkerMessage<Res>): void => port.postMessage(message);
  // Batches are handled one after another even when a handler is asynchronous.
  let chain = Promise.resolve();
  port.on('message', (batch: CallBatch<Req>) => {
    chain = chain.then(async () => {
      let replies: CallReply<Res>[] = [];
      let postedAt = performance.now();
      for (const { id, request } of batch.calls) {
        if (replies.length > 0 && performance.now() - postedAt > PROGRESS_MS) {
          post({ kind: 'replies', replies });
          replies = [];
          postedAt = performance.now();
        }
        try {
          const value = await handle(request);
          replies.push({ id, ok: true, value });
        } catch (e) {
          const error = isFleetlogError(e)
            ? { code: e.code, message: e.message }
            : { code: 'internal' as const, message: e instanceof Error ? e.message : String(e) };
          replies.push({ id, ok: false, error });
        }
      }
      if (replies.length > 0) post({ kind: 'replies', replies });
    });
  });
  post({ kind: 'ready' });
}
