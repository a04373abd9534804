/**
 * Collecting cosignatures (C2SP tlog-witness) and publishing the checkpoint served at /checkpoint.
 *
 * Rounds: every witness is asked to cosign the same target checkpoint, so cosignatures can add up
 * to a quorum on one tree size even while the log grows. A round ends when the policy's quorum is
 * met (the target is published) or when every witness has answered or is backing off; the next
 * round targets the newest checkpoint. A witness that is slow but not needed for the quorum never
 * holds a round back: it picks up the current target when it is done.
 *
 * Each witness has its own loop: it starts from the size it last acknowledged (stored), resends
 * from the size a 409 reports, and retries failures with capped exponential backoff and jitter.
 * A policy with `quorum none` publishes every checkpoint at once, uncosigned (fail-open), and
 * attaches cosignatures as they arrive; that mode is logged at startup and shown in /health.
 */
import { FleetlogError } from '../../core/errors.ts';
import { appendSignatureLines } from '../../core/note/note.ts';
import { quorumSatisfied, type Policy, type PolicyWitness } from '../../core/policy/policy.ts';
import type { Logger } from '../../service/logger.ts';
import type { LogMetrics } from '../metrics.ts';
import type { ProofService } from '../proofs.ts';
import type { LogStorage, StoredCheckpoint } from '../storage/storage.ts';
import { addCheckpoint } from './add-checkpoint.ts';

export interface PublishedCheckpoint {
  readonly size: number;
  /** The log-signed note followed by the cosignature lines collected for it. */
  readonly note: string;
  readonly cosigners: readonly string[];
  readonly publishedAtMs: number;
  readonly signedAtMs: number;
}

/** How long one add-checkpoint request may take, unless `timeoutMs` says otherwise. */
export const DEFAULT_WITNESS_TIMEOUT_MS = 10_000;

export type WitnessStatus =
  | 'pending'
  | 'ok'
  | 'retrying'
  | 'rejected'
  | 'forbidden'
  | 'unknown_log'
  | 'bad_request'
  | 'conflict'
  | 'ahead'
  | 'bad_response'
  | 'no_url'
  // On a follower (cluster-node.ts): the published checkpoint, as the leader stored it, has no
  // cosignature from this witness although the leader has had a witness timeout to collect one.
  | 'not_cosigned';

export interface WitnessHealth {
  readonly name: string;
  readonly url: string | undefined;
  readonly status: WitnessStatus;
  readonly acknowledgedSize: number | undefined;
  readonly lastCosignedSize: number | undefined;
  readonly lastSuccessAt: string | undefined;
  readonly consecutiveFailures: number;
  readonly lastError: string | undefined;
}

export interface WitnessingOptions {
  readonly storage: LogStorage;
  readonly proofs: ProofService;
  /** Witnesses and quorum; undefined means no witnesses and `quorum none`. */
  readonly policy: Policy | undefined;
  readonly logger: Logger;
  readonly metrics: LogMetrics;
  readonly timeoutMs?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Re-ask witnesses to cosign an unchanged tree this often, so cosignature timestamps stay fresh. */
  readonly refreshIntervalMs?: number;
  readonly fetch?: typeof fetch;
  /** Called each time the checkpoint served at /checkpoint changes (the static publisher listens; leadership.ts). */
  readonly onPublish?: (published: PublishedCheckpoint) => void;
}

class Wakeup {
  #resolve: (() => void) | undefined;
  wait(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const self = this;
      function done(): void {
        if (timer) clearTimeout(timer);
        if (self.#resolve === done) self.#resolve = undefined;
        resolve();
      }
      this.#resolve = done;
    });
  }
  notify(): void {
    this.#resolve?.();
  }
}

interface Worker {
  readonly name: string;
  readonly witness: PolicyWitness;
  readonly url: string | undefined;
  readonly wakeup: Wakeup;
  acknowledgedSize: number | undefined;
  lastCosignedSize: number | undefined;
  status: WitnessStatus;
  lastError: string | undefined;
  lastSuccessAtMs: number | undefined;
  failures: number;
  succeededRound: number;
  backingOff: boolean;
}

export class Witnessing {
  readonly #o: WitnessingOptions;
  readonly #workers: Worker[];
  readonly #quorum: string;
  readonly #abort = new AbortController();
  #latest: StoredCheckpoint | undefined;
  #target: StoredCheckpoint | undefined;
  #targetCosigs = new Map<string, string>();
  #round = 0;
  #roundDone = true;
  #published: PublishedCheckpoint | undefined;
  #loops: Promise<void>[] = [];
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: WitnessingOptions) {
    this.#o = options;
    this.#quorum = options.policy?.quorum ?? 'none';
    this.#workers = [...(options.policy?.witnesses.values() ?? [])].map((witness) => ({
      name: witness.name,
      witness,
      url: witness.url,
      wakeup: new Wakeup(),
      acknowledgedSize: undefined,
      lastCosignedSize: undefined,
      status: witness.url ? 'pending' : 'no_url',
      lastError: witness.url ? undefined : 'the policy gives this witness no URL, so the log cannot ask it to cosign',
      lastSuccessAtMs: undefined,
      failures: 0,
      succeededRound: 0,
      backingOff: false,
    }));
  }

  get failOpen(): boolean {
    return this.#quorum === 'none';
  }

  get quorum(): string {
    return this.#quorum;
  }

  /** Loads stored witness state and the published checkpoint, then starts the witness loops. */
  async start(latest: StoredCheckpoint, publishedSize: number): Promise<void> {
    const { storage, logger, policy } = this.#o;
    if (policy && !this.failOpen) {
      const reachable = new Set(this.#workers.filter((w) => w.url).map((w) => w.name));
      if (!quorumSatisfied(policy, reachable)) {
        throw new FleetlogError(
          'bad_policy',
          `quorum ${this.#quorum} can never be met: not enough of its witnesses have a URL in the policy`,
        );
      }
    }
    for (const s of await storage.witnessStates()) {
      const w = this.#workers.find((x) => x.name === s.witness);
      if (w) w.acknowledgedSize = s.size;
    }
    const stored = await storage.checkpointAt(publishedSize);
    if (stored) {
      const cosigs = new Map(
        (await storage.cosignaturesFor(publishedSize))
          .filter((c) => this.#workers.some((w) => w.name === c.witness))
          .map((c) => [c.witness, c.line]),
      );
      if (this.#meetsQuorum(cosigs)) this.#published = compose(stored, cosigs, Date.now());
    }
    if (this.failOpen)
      logger.warn(
        'witnessing: the policy has "quorum none", so checkpoints are published without waiting for any cosignature (fail-open)',
        { witnesses: this.#workers.length },
      );
    else
      logger.info('witnessing: checkpoints are published once the policy quorum is met', {
        quorum: this.#quorum,
        witnesses: this.#workers.map((w) => w.name),
      });
    this.#loops = this.#workers.filter((w) => w.url).map((w) => this.#run(w));
    const refresh = this.#o.refreshIntervalMs ?? 60_000;
    if (this.#workers.length > 0 && refresh > 0) {
      this.#refreshTimer = setInterval(() => this.#refresh(), refresh);
      this.#refreshTimer.unref();
    }
    this.onCheckpoint(latest);
  }

  /** Called by the sequencer after every durable checkpoint. */
  onCheckpoint(cp: StoredCheckpoint): void {
    this.#latest = cp;
    this.#o.metrics.treeSize.set(cp.size);
    if (this.failOpen && (this.#published === undefined || cp.size > this.#published.size)) {
      this.#publish(cp, new Map());
    }
    if (this.#roundDone) this.#startRound(cp);
  }

  published(): PublishedCheckpoint | undefined {
    return this.#published;
  }

  health(): { quorum: string; failOpen: boolean; witnesses: WitnessHealth[] } {
    return {
      quorum: this.#quorum,
      failOpen: this.failOpen,
      witnesses: this.#workers.map((w) => ({
        name: w.name,
        url: w.url,
        status: w.status,
        acknowledgedSize: w.acknowledgedSize,
        lastCosignedSize: w.lastCosignedSize,
        lastSuccessAt: w.lastSuccessAtMs === undefined ? undefined : new Date(w.lastSuccessAtMs).toISOString(),
        consecutiveFailures: w.failures,
        lastError: w.lastError,
      })),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#abort.abort();
    for (const w of this.#workers) w.wakeup.notify();
    await Promise.all(this.#loops);
  }

  #meetsQuorum(cosigs: ReadonlyMap<string, string>): boolean {
    return this.#o.policy ? quorumSatisfied(this.#o.policy, new Set(cosigs.keys())) : true;
  }

  #startRound(cp: StoredCheckpoint): void {
    if (this.#target?.size !== cp.size) this.#targetCosigs = new Map();
    this.#target = cp;
    this.#round += 1;
    this.#roundDone = this.#workers.every((w) => !w.url);
    for (const w of this.#workers) if (!w.backingOff) w.wakeup.notify();
  }

  /** An unchanged tree gets fresh cosignatures now and then. */
  #refresh(): void {
    if (this.#roundDone && this.#latest) this.#startRound(this.#latest);
  }

  #publish(cp: StoredCheckpoint, cosigs: ReadonlyMap<string, string>): void {
    const previous = this.#published;
    if (previous && cp.size < previous.size) return; // never move /checkpoint backwards
    const show = (): void => {
      const current = this.#published;
      if (current && cp.size < current.size) return; // a larger one was shown meanwhile
      this.#published = compose(cp, cosigs, Date.now());
      this.#o.metrics.publishedSize.set(cp.size);
      try {
        this.#o.onPublish?.(this.#published);
      } catch (e) {
        this.#o.logger.error('publication listener failed', { error: String(e), size: cp.size });
      }
    };
    // Fail-open logs publish every checkpoint and re-publish the newest on restart: nothing to store.
    if ((previous && previous.size === cp.size) || this.failOpen) {
      show();
      return;
    }
    // Store the published size before serving it, so /checkpoint never moves back after a crash
    // (the write may be asynchronous, on the writer thread).
    this.#o.storage.setPublishedSize(cp.size).then(
      () => {
        show();
        this.#o.logger.debug('checkpoint published', { size: cp.size, cosigners: [...cosigs.keys()] });
      },
      (e: unknown) =>
        this.#o.logger.error('cannot store the published size; not publishing it', { size: cp.size, error: String(e) }),
    );
  }

  /** After a witness settles: publish if the quorum is met; move on when the round is over. */
  #evaluate(): void {
    const target = this.#target;
    if (!target) return;
    const quorum = this.#meetsQuorum(this.#targetCosigs);
    // A met quorum without cosignatures is fail-open, whose checkpoints onCheckpoint published already.
    if (quorum && this.#targetCosigs.size > 0) this.#publish(target, this.#targetCosigs);
    const settled = this.#workers.every((w) => !w.url || w.succeededRound === this.#round || w.backingOff);
    if (quorum || settled) {
      this.#roundDone = true;
      if (this.#latest && this.#latest.size > target.size) this.#startRound(this.#latest);
    }
  }

  async #run(w: Worker): Promise<void> {
    while (!this.#closed) {
      const round = this.#round;
      const target = this.#target;
      if (!target || w.succeededRound === round) {
        await w.wakeup.wait();
        continue;
      }
      let ok: boolean;
      try {
        ok = await this.#attempt(w, target);
      } catch (e) {
        // A storage or proof failure: treat as a failed attempt and back off like any other.
        w.status = 'retrying';
        w.lastError = String((e as Error).message ?? e);
        this.#o.logger.error(`witnessing ${w.name} failed`, { witness: w.name, error: w.lastError });
        ok = false;
      }
      if (this.#closed) break;
      if (ok) {
        w.failures = 0;
        w.succeededRound = round;
        this.#evaluate();
      } else {
        w.failures += 1;
        w.backingOff = true;
        this.#evaluate();
        const base = this.#o.retryBaseMs ?? 250;
        const delay = Math.min(this.#o.retryMaxMs ?? 30_000, base * 2 ** Math.min(w.failures - 1, 16));
        await w.wakeup.wait(delay * (0.5 + Math.random() / 2));
        w.backingOff = false;
      }
    }
  }

  /** One attempt at getting `target` cosigned, following 409s to the witness's size. */
  async #attempt(w: Worker, target: StoredCheckpoint): Promise<boolean> {
    const { metrics, logger, storage, proofs } = this.#o;
    const fail = (status: WitnessStatus, message: string, loud = false): false => {
      const changed = w.status !== status || w.lastError !== message;
      w.status = status;
      w.lastError = message;
      if (loud)
        logger.error(`witness ${w.name} refused the checkpoint`, {
          witness: w.name,
          size: target.size,
          status,
          error: message,
        });
      else if (changed)
        logger.warn(`witness ${w.name} did not cosign`, { witness: w.name, size: target.size, status, error: message });
      return false;
    };
    const text = target.note.slice(0, target.note.indexOf('\n\n') + 1);
    let old = w.acknowledgedSize ?? 0;
    for (let hop = 0; hop < 4; hop++) {
      if (old > target.size) {
        return fail(
          'ahead',
          `the witness holds tree size ${old}, larger than the log's newest checkpoint (${target.size}): the log may have lost data or another log uses this origin`,
          true,
        );
      }
      const proof = await proofs.consistency(old, target.size);
      const started = performance.now();
      const answer = await addCheckpoint({
        witness: w.witness,
        url: w.url!,
        oldSize: old,
        proof,
        note: target.note,
        text,
        timeoutMs: this.#o.timeoutMs ?? DEFAULT_WITNESS_TIMEOUT_MS,
        signal: this.#abort.signal,
        ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
      });
      metrics.witnessSeconds.observe((performance.now() - started) / 1000);
      if (this.#closed) return false;
      const outcome =
        answer.kind === 'refused'
          ? String(answer.status)
          : answer.kind === 'unreachable' && answer.timeout
            ? 'timeout'
            : answer.kind;
      metrics.witnessRequests.inc({ witness: w.name, outcome });
      switch (answer.kind) {
        case 'cosigned': {
          w.acknowledgedSize = target.size;
          w.lastCosignedSize = target.size;
          w.lastSuccessAtMs = Date.now();
          if (w.status !== 'ok') logger.info(`witness ${w.name} cosigned`, { witness: w.name, size: target.size });
          w.status = 'ok';
          w.lastError = undefined;
          metrics.witnessSize.set(target.size, { witness: w.name });
          await storage.recordWitness(w.name, target.size, answer.line);
          if (this.#target?.size === target.size) this.#targetCosigs.set(w.name, answer.line);
          return true;
        }
        case 'conflict': {
          if (answer.size === old) {
            return fail(
              'conflict',
              `409 at the size the log sent (${old}): the witness holds a different tree of that size (split view?)`,
              true,
            );
          }
          logger.info(`witness ${w.name} holds a different size; resending`, {
            witness: w.name,
            sent: old,
            witnessSize: answer.size,
          });
          old = answer.size;
          w.acknowledgedSize = answer.size;
          metrics.witnessSize.set(answer.size, { witness: w.name });
          await storage.recordWitness(w.name, answer.size, undefined);
          continue;
        }
        case 'refused':
          if (answer.status === 422)
            return fail(
              'rejected',
              `422: the witness rejected the consistency proof from ${old} to ${target.size}: ${answer.message}`,
              true,
            );
          if (answer.status === 403)
            return fail('forbidden', `403: the witness does not trust this log's signature: ${answer.message}`, true);
          if (answer.status === 404)
            return fail('unknown_log', `404: the witness does not know this log's origin: ${answer.message}`, true);
          if (answer.status === 400) return fail('bad_request', `400: ${answer.message}`, true);
          return fail('retrying', `HTTP ${answer.status}: ${answer.message}`);
        case 'bad_response':
          return fail('bad_response', answer.message, true);
        case 'unreachable':
          return fail('retrying', answer.message);
      }
    }
    return fail('conflict', 'the witness kept answering 409 with a different size', true);
  }
}

/** The published form of a checkpoint: the log's note with the cosignature lines, sorted by witness. */
export function compose(cp: StoredCheckpoint, cosigs: ReadonlyMap<string, string>, now: number): PublishedCheckpoint {
  const names = [...cosigs.keys()].sort();
  return {
    size: cp.size,
    note: appendSignatureLines(
      cp.note,
      names.map((n) => cosigs.get(n)!),
    ),
    cosigners: names,
    publishedAtMs: now,
    signedAtMs: cp.signedAtMs,
  };
}
