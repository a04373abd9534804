/**
 * The one way fleetlog runs work on worker threads: a pool of workers that each run
 * `serveCalls(handle)` (worker-calls.ts). It spawns them, waits for one ready handshake each,
 * matches every reply to its call by id, and applies one dead-worker policy.
 *
 * Contract:
 * - `call(request)` settles exactly once: with the handler's value, with the handler's error (a
 *   FleetlogError keeps its code), or with FleetlogError('unavailable') if no worker can answer it.
 *   It never hangs because a worker died.
 * - Calls go to the ready worker with the fewest calls in flight. Calls made in one event-loop
 *   turn travel in one message per worker. With one worker, calls run in the order made.
 * - A worker that errors or exits while the pool is open is dead. The calls it held (sent or
 *   about to be sent) fail with FleetlogError('unavailable', '<name>: a worker thread stopped
 *   (<reason>) …; retry'): they may or may not have run, so only idempotent work may be retried.
 *   Then, by `onDeath`:
 *     'replace'   — a new worker starts after `restartDelayMs`; meanwhile the others take the calls
 *                   (with none left, calls fail at once rather than wait).
 *     'fail-pool' — the pool stops: the other workers are stopped, their calls fail, and every
 *                   later call fails with the same error; `failure` says why (for /health).
 * - A worker that dies before its ready handshake could not start (a bad entry, a missing
 *   database). It is never replaced, since it would fail again: `ready` rejects if it was one of
 *   the first, and once no worker is left the pool has failed.
 * - A worker that is alive but stuck (a loop that never ends, a wait that never returns) is dead
 *   too, when `callTimeoutMs` is set: a worker that holds calls must answer one of them at least
 *   every `callTimeoutMs` once ready (serveCalls reports progress within a batch, so a long batch
 *   of quick calls is not stuck; a worker still loading is not timed). Past that deadline the pool terminates the worker and applies the same
 *   policy at once, without waiting for the thread to end: its calls fail with 'unavailable' ('…
 *   did not answer within N ms, so it was stopped as stuck …; retry'), and `timeouts` counts it.
 *   Without `callTimeoutMs` a stuck worker holds its calls forever: set it for every pool whose
 *   work has a known bound.
 * - `close()` stops every worker; calls still in flight and later calls fail with 'unavailable'.
 */
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { FleetlogError } from '../core/errors.ts';
import { startWorker } from './worker.ts';
import type { CallBatch, WorkerMessage } from './worker-protocol.ts';

export type DeadWorkerPolicy = 'replace' | 'fail-pool';

export type WorkerPoolEvent =
  | { readonly kind: 'ready' }
  | { readonly kind: 'stopped'; readonly reason: string; readonly replaced: boolean };

export interface WorkerPoolOptions {
  /** What the pool does, for messages: "entry validation", "the storage writer". */
  readonly name: string;
  /** The worker's entry, `new URL('./x-worker.ts', import.meta.url)`; it must call serveCalls. */
  readonly entry: URL;
  /** Number of workers, at least 1. */
  readonly size: number;
  readonly workerData?: unknown;
  readonly resourceLimits?: ResourceLimits;
  readonly onDeath: DeadWorkerPolicy;
  /** Delay before a dead worker is replaced ('replace' only), so a crash loop does not spin. */
  readonly restartDelayMs?: number;
  /**
   * A worker holding calls that answers none for this long is stuck: it is stopped and treated as
   * dead (see the contract above). Unset: no deadline.
   */
  readonly callTimeoutMs?: number;
  /** Told when a worker becomes ready or stops (for logs, and for callers that schedule work). */
  readonly onEvent?: (event: WorkerPoolEvent) => void;
}

interface PendingCall<Res> {
  readonly resolve: (value: Res) => void;
  readonly reject: (error: unknown) => void;
}

interface Slot<Req, Res> {
  worker: Worker;
  state: 'starting' | 'ready' | 'dead';
  /** Why it stopped, from its 'error' event (an 'exit' follows). */
  error: Error | undefined;
  readonly inFlight: Map<number, PendingCall<Res>>;
  /** Calls made this turn, sent together at the end of it. */
  outbox: Array<{ id: number; request: Req }>;
  transfer: ArrayBuffer[];
  /** Fires when the worker has held calls for `callTimeoutMs` without answering one. */
  watchdog: { readonly timer: NodeJS.Timeout } | { readonly check: NodeJS.Immediate } | undefined;
  /** Set once the pool has handled its stop (from 'exit', or at once when it was stuck). */
  stopped: boolean;
  rejectReady: (error: FleetlogError) => void;
}

/** A snapshot for /health and /metrics. */
export interface WorkerPoolStatus {
  readonly size: number;
  readonly live: number;
  readonly ready: number;
  readonly restarts: number;
  readonly timeouts: number;
  readonly failure: string | undefined;
}

const DEFAULT_RESTART_DELAY_MS = 1000;

export class WorkerPool<Req, Res> {
  readonly #o: WorkerPoolOptions;
  readonly #slots: Array<Slot<Req, Res>> = [];
  #nextId = 1;
  #rotate = 0;
  #closed = false;
  #failure: FleetlogError | undefined;
  #restarts = 0;
  #timeouts = 0;
  #pendingRestarts = 0;
  /** Resolves once every first worker is ready; rejects if one of them cannot start. */
  readonly ready: Promise<void>;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isSafeInteger(options.size) || options.size < 1)
      throw new FleetlogError('usage', `${options.name}: a worker pool needs at least one worker`);
    this.#o = options;
    const first: Array<Promise<void>> = [];
    for (let i = 0; i < options.size; i++) first.push(this.#spawn());
    this.ready = Promise.all(first).then(() => undefined);
    this.ready.catch(() => {}); // callers that do not await ready still see failures through call()
  }

  /** Starts a pool and waits until every worker is ready; on a start failure stops it and throws. */
  static async start<Req, Res>(options: WorkerPoolOptions): Promise<WorkerPool<Req, Res>> {
    const pool = new WorkerPool<Req, Res>(options);
    try {
      await pool.ready;
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Why the pool can no longer answer, or undefined while it can. */
  get failure(): FleetlogError | undefined {
    return this.#failure;
  }

  /** Workers running or starting. */
  get live(): number {
    return this.#slots.length;
  }

  /** Workers replaced after they died, since the pool started. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Workers stopped because they held calls past `callTimeoutMs`, since the pool started. */
  get timeouts(): number {
    return this.#timeouts;
  }

  status(): WorkerPoolStatus {
    return {
      size: this.#o.size,
      live: this.#slots.length,
      ready: this.#slots.filter((s) => s.state === 'ready').length,
      restarts: this.#restarts,
      timeouts: this.#timeouts,
      failure: this.#failure?.message,
    };
  }

  /** True if a ready worker has fewer than `limit` calls in flight (for callers that also work inline). */
  hasSpare(limit: number): boolean {
    return this.#slots.some((s) => s.state === 'ready' && s.inFlight.size + s.outbox.length < limit);
  }

  /** Runs `request` on a worker. `transfer` lists buffers of the request to move instead of copy. */
  call(request: Req, transfer: readonly ArrayBuffer[] = []): Promise<Res> {
    if (this.#closed) return Promise.reject(this.#unavailable('the pool is closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    const slot = this.#pick();
    if (!slot) return Promise.reject(this.#unavailable('no worker thread is running; retry'));
    const id = this.#nextId++;
    return new Promise<Res>((resolve, reject) => {
      slot.inFlight.set(id, { resolve, reject });
      slot.outbox.push({ id, request });
      slot.transfer.push(...transfer);
      if (slot.outbox.length === 1) setImmediate(() => this.#flush(slot));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const slots = this.#slots.splice(0);
    for (const s of slots) this.#failCalls(s, this.#unavailable('the pool was closed before answering'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** The ready worker with the fewest calls; else a starting one (its messages wait for it). */
  #pick(): Slot<Req, Res> | undefined {
    let best: Slot<Req, Res> | undefined;
    const n = this.#slots.length;
    const offset = this.#rotate++;
    for (let k = 0; k < n; k++) {
      const s = this.#slots[(offset + k) % n]!;
      if (best === undefined) best = s;
      else if (s.state === 'ready' && best.state !== 'ready') best = s;
      else if (s.state === best.state && load(s) < load(best)) best = s;
    }
    return best;
  }

  #flush(slot: Slot<Req, Res>): void {
    const calls = slot.outbox;
    const transfer = slot.transfer;
    slot.outbox = [];
    slot.transfer = [];
    if (calls.length === 0 || slot.state === 'dead') return;
    try {
      slot.worker.postMessage({ kind: 'calls', calls } satisfies CallBatch<Req>, transfer);
      this.#armWatchdog(slot);
    } catch (e) {
      // The request could not be cloned: a caller's mistake, not the worker's.
      const error = new FleetlogError('internal', `${this.#o.name}: could not send a call: ${(e as Error).message}`);
      for (const c of calls) {
        slot.inFlight.get(c.id)?.reject(error);
        slot.inFlight.delete(c.id);
      }
    }
  }

  #spawn(): Promise<void> {
    let worker: Worker;
    try {
      worker = startWorker(this.#o.entry, { workerData: this.#o.workerData, resourceLimits: this.#o.resourceLimits });
    } catch (e) {
      // No threads here at all: as a start failure.
      if (this.#slots.length === 0) this.#failure ??= this.#unavailable(`no worker thread could start: ${e}`);
      return Promise.reject(this.#unavailable(`a worker thread could not start: ${(e as Error).message}`));
    }
    const slot: Slot<Req, Res> = {
      worker,
      state: 'starting',
      error: undefined,
      inFlight: new Map(),
      outbox: [],
      transfer: [],
      watchdog: undefined,
      stopped: false,
      rejectReady: () => {},
    };
    this.#slots.push(slot);
    return new Promise<void>((resolveReady, rejectReady) => {
      slot.rejectReady = rejectReady;
      worker.on('message', (m: WorkerMessage<Res>) => {
        if (m.kind === 'ready') {
          if (slot.state !== 'starting') return;
          slot.state = 'ready';
          resolveReady();
          this.#armWatchdog(slot); // calls sent while it started: their deadline starts now
          this.#o.onEvent?.({ kind: 'ready' });
          return;
        }
        for (const reply of m.replies) {
          const pending = slot.inFlight.get(reply.id);
          if (!pending) continue; // already failed (closed), or not ours
          slot.inFlight.delete(reply.id);
          if (reply.ok) pending.resolve(reply.value);
          else pending.reject(new FleetlogError(reply.error.code, reply.error.message));
        }
        // An answer is progress: the deadline starts again for the calls it still holds.
        disarm(slot);
        this.#armWatchdog(slot);
      });
      worker.on('error', (e) => {
        slot.error ??= e;
      });
      worker.on('exit', (code) => this.#stopped(slot, slot.error ? slot.error.message : `exit code ${code}`));
    });
  }

  /** Arms the stuck-worker deadline of a slot that holds calls, unless it is armed already. */
  #armWatchdog(slot: Slot<Req, Res>): void {
    const ms = this.#o.callTimeoutMs;
    // Only a ready worker: loading a worker can be slow on a busy machine, and is not stuck.
    if (ms === undefined || slot.state !== 'ready' || slot.watchdog !== undefined || slot.inFlight.size === 0) return;
    const expire = (): void => {
      slot.watchdog = undefined;
      if (slot.stopped || this.#closed || !this.#slots.includes(slot) || slot.inFlight.size === 0) return;
      this.#timeouts += 1;
      slot.error ??= new Error(`did not answer within ${ms} ms, so it was stopped as stuck`);
      void slot.worker.terminate();
      // At once: a thread stuck in native code ends only when that code returns, if ever.
      this.#stopped(slot, slot.error.message);
    };
    const timer = setTimeout(() => {
      // Timers run before pending messages are read: if this thread was busy past the deadline,
      // a reply may be waiting. Judge after one turn of reading messages (a reply disarms this).
      const armed = { check: setImmediate(() => slot.watchdog === armed && expire()) };
      slot.watchdog = armed;
    }, ms);
    timer.unref();
    slot.watchdog = { timer };
  }

  /** A worker stopped (it exited, or it was stuck): fail its calls and apply the dead-worker policy. */
  #stopped(slot: Slot<Req, Res>, reason: string): void {
    if (slot.stopped) return;
    slot.stopped = true;
    const wasReady = slot.state === 'ready';
    slot.state = 'dead';
    disarm(slot);
    const at = this.#slots.indexOf(slot);
    if (this.#closed || at < 0) {
      // Stopped by close() or by a 'fail-pool' failure: its calls were failed there.
      slot.rejectReady(this.#unavailable('the pool was closed'));
      return;
    }
    this.#slots.splice(at, 1);
    const stopped = this.#unavailable(`a worker thread stopped (${reason}) before answering; retry`);
    this.#failCalls(slot, stopped);
    if (!wasReady) {
      const cannotStart = this.#unavailable(`a worker thread could not start: ${reason}`);
      slot.rejectReady(cannotStart);
      if (this.#slots.length === 0 && this.#pendingRestarts === 0) this.#failure ??= cannotStart;
      this.#o.onEvent?.({ kind: 'stopped', reason, replaced: false });
      return;
    }
    if (this.#o.onDeath === 'fail-pool') {
      this.#failure ??= this.#unavailable(`a worker thread stopped (${reason}); the pool is stopped`);
      this.#o.onEvent?.({ kind: 'stopped', reason, replaced: false });
      for (const other of this.#slots.splice(0)) {
        this.#failCalls(other, this.#failure);
        other.state = 'dead';
        void other.worker.terminate();
      }
      return;
    }
    this.#o.onEvent?.({ kind: 'stopped', reason, replaced: true });
    this.#pendingRestarts += 1;
    setTimeout(() => {
      this.#pendingRestarts -= 1;
      if (this.#closed || this.#failure) return;
      this.#restarts += 1;
      this.#spawn().catch(() => {}); // a replacement that cannot start is reported through onEvent
    }, this.#o.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS).unref();
  }

  #failCalls(slot: Slot<Req, Res>, error: FleetlogError): void {
    disarm(slot);
    slot.outbox = [];
    slot.transfer = [];
    for (const pending of slot.inFlight.values()) pending.reject(error);
    slot.inFlight.clear();
  }

  #unavailable(why: string): FleetlogError {
    return new FleetlogError('unavailable', `${this.#o.name}: ${why}`);
  }
}

function disarm<Req, Res>(slot: Slot<Req, Res>): void {
  const w = slot.watchdog;
  slot.watchdog = undefined;
  if (w && 'timer' in w) clearTimeout(w.timer);
  else if (w) clearImmediate(w.check);
}

function load<Req, Res>(slot: Slot<Req, Res>): number {
  return slot.inFlight.size;
}
