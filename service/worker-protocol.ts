/**
 * The messages between a WorkerPool (worker-pool.ts) and the worker body (worker-calls.ts). One
 * protocol for every worker thread of fleetlog: one ready handshake, then batches of calls, each
 * answered by a reply that carries the same id.
 */
import type { ErrorCode } from '../core/errors.ts';

/** Main thread to worker: calls dispatched in one event-loop turn travel together. */
export interface CallBatch<Req> {
  readonly kind: 'calls';
  readonly calls: ReadonlyArray<{ readonly id: number; readonly request: Req }>;
}

export type CallReply<Res> =
  | { readonly id: number; readonly ok: true; readonly value: Res }
  | { readonly id: number; readonly ok: false; readonly error: { readonly code: ErrorCode; readonly message: string } };

/**
 * Worker to main thread: first exactly one `ready`, then replies in call order; a batch's replies
 * travel in one message, or in several when the batch runs long (the pool counts each as progress).
 */
export type WorkerMessage<Res> =
  | { readonly kind: 'ready' }
  | { readonly kind: 'replies'; readonly replies: ReadonlyArray<CallReply<Res>> };
