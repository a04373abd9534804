/**
 * The single writer. Submissions queue up; a batch (up to `maxBatchSize`, or whatever arrived within
 * `maxWaitMs` of the first) is deduplicated, checked against what is logged, integrated into the
 * tree, signed as ONE checkpoint and committed in ONE storage transaction. Only then is anyone in
 * the batch answered.
 *
 * Commits are pipelined: while batch k is being made durable, batch k+1 may already be integrated
 * on top of it and handed to storage, which commits strictly in order. Each checkpoint extends the
 * previous one, so the log never signs two inconsistent checkpoints; a signed checkpoint is only
 * revealed (answered, published, witnessed) after its own commit. If a commit fails, every batch
 * built on it fails too (storage refuses a batch that does not extend what it holds); the
 * sequencer then waits for the pipeline to empty and resumes from the last committed tree.
 */
import { toHex } from '../core/bytes.ts';
import { signCheckpoint } from '../core/checkpoint.ts';
import { FleetlogError } from '../core/errors.ts';
import type { Hash } from '../core/merkle/hash.ts';
import type { Frontier } from '../core/merkle/tree.ts';
import type { NoteSigner } from '../core/note/note.ts';
import type { Logger } from '../service/logger.ts';
import { integrateLeaves, nodeLookup } from './integrate.ts';
import { recoverFrontier } from './recover.ts';
import type { LogMetrics } from './metrics.ts';
import type { ProofService } from './proofs.ts';
import type { LeafRecord, LogStorage, NewEntry, StoredCheckpoint } from './storage/storage.ts';
import { storedFacts, type ValidatedEntry } from './validation/validate.ts';

export interface AppendResult {
  readonly index: number;
  readonly leafHash: Hash;
  /** A durable signed checkpoint that includes the entry. */
  readonly checkpoint: StoredCheckpoint;
  /** Inclusion proof of the entry in `checkpoint`. */
  readonly proof: readonly Hash[];
  readonly duplicate: boolean;
}

export interface SequencerOptions {
  readonly storage: LogStorage;
  readonly proofs: ProofService;
  readonly origin: string;
  readonly signer: NoteSigner;
  /** The frontier restored from storage, matching `latest`. */
  readonly frontier: Frontier;
  readonly latest: StoredCheckpoint;
  readonly maxBatchSize: number;
  readonly maxWaitMs: number;
  /** Submissions waiting beyond this are refused with 503 (back-pressure). */
  readonly maxPending: number;
  readonly logger: Logger;
  readonly metrics: LogMetrics;
  /** Called after each durable checkpoint (witnessing, publication). */
  readonly onCheckpoint: (cp: StoredCheckpoint) => void;
}

interface Pending {
  readonly entry: ValidatedEntry;
  readonly leafHex: string;
  /** A key set's evidence leaf hash in hex (the dedup and lookup key). */
  readonly evidenceHex: string | undefined;
  resolve(r: AppendResult): void;
  reject(e: unknown): void;
}

interface Outcome {
  readonly p: Pending;
  readonly index: number;
  readonly duplicate: boolean;
  /** The entry it duplicates is in an earlier batch that is not durable yet. */
  readonly onEarlierBatch: boolean;
}

const NOT_STORED = 'the log could not store this batch; nothing was stored, retry';
/** Batches handed to storage but not yet durable: one committing while the next is integrated. */
const MAX_IN_FLIGHT = 2;

export class Sequencer {
  readonly #o: SequencerOptions;
  /** The tree including batches handed to storage but not yet durable. */
  #tentative: Frontier;
  /** The tree as durably stored. */
  #committed: Frontier;
  #latest: StoredCheckpoint;
  /** Leaves of batches in flight, for dedup and evidence references before they are durable. */
  readonly #inFlightLeaves = new Map<string, LeafRecord>();
  #queue: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #inFlight = 0;
  #lastCommit: Promise<void> = Promise.resolve();
  #broken = false;
  /** Set when a batch fails, cleared by the next commit that succeeds: /health reports it (a full disk). */
  #writesFailing = false;
  #idle: Array<() => void> = [];
  #closing = false;
  #resyncing = false;

  constructor(options: SequencerOptions) {
    this.#o = options;
    this.#tentative = options.frontier;
    this.#committed = options.frontier;
    this.#latest = options.latest;
    if (options.frontier.size !== options.latest.size)
      throw new FleetlogError('internal', 'sequencer frontier does not match the latest checkpoint');
  }

  /** The newest durable signed checkpoint. */
  get latest(): StoredCheckpoint {
    return this.#latest;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Whether the last commit failed (and none has succeeded since): writes are not being stored. */
  get writesFailing(): boolean {
    return this.#writesFailing;
  }

  submit(entry: ValidatedEntry): Promise<AppendResult> {
    if (this.#closing)
      return Promise.reject(
        new FleetlogError('unavailable', 'the log is shutting down; retry against the restarted server'),
      );
    if (this.#queue.length >= this.#o.maxPending) {
      return Promise.reject(
        new FleetlogError('unavailable', `the log has ${this.#queue.length} submissions queued; retry shortly`),
      );
    }
    return new Promise<AppendResult>((resolve, reject) => {
      const evidenceHex = entry.facts.kind === 'keyset' ? toHex(entry.facts.evidence) : undefined;
      this.#queue.push({ entry, leafHex: toHex(entry.leafHash), evidenceHex, resolve, reject });
      this.#schedule();
    });
  }

  /** Refuses new submissions and finishes every queued and in-flight one. */
  async close(): Promise<void> {
    this.#closing = true;
    while (this.#inFlight > 0 || this.#queue.length > 0) {
      if (this.#queue.length > 0) this.#flushNow();
      if (this.#inFlight > 0) await new Promise<void>((r) => this.#idle.push(r));
    }
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
  }

  #schedule(): void {
    if (this.#inFlight >= MAX_IN_FLIGHT) return; // a finishing batch reschedules
    if (this.#queue.length >= this.#o.maxBatchSize) {
      this.#immediate ??= setImmediate(() => this.#flushNow());
    } else {
      this.#timer ??= setTimeout(() => this.#flushNow(), this.#o.maxWaitMs);
    }
  }

  #flushNow(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    if (this.#queue.length === 0 || this.#inFlight >= MAX_IN_FLIGHT || this.#resyncing) return;
    const resync = this.#broken;
    if (resync) {
      if (this.#inFlight > 0) return; // wait for the failed pipeline to drain
      this.#broken = false;
      this.#resyncing = true; // no other batch starts until the tree is read back
    }
    const batch = this.#queue.splice(0, this.#o.maxBatchSize);
    this.#inFlight += 1;
    (resync ? this.#resync().then(() => this.#runBatch(batch)) : this.#runBatch(batch))
      .catch((e: unknown) => {
        // Whatever step failed (a lookup, the commit), nothing of this batch was stored: /health says so.
        this.#writesFailing = true;
        this.#o.logger.error('batch failed', { error: String(e), entries: batch.length });
        const err =
          e instanceof FleetlogError && e.code === 'unavailable' ? e : new FleetlogError('unavailable', NOT_STORED);
        for (const p of batch) p.reject(err);
      })
      .finally(() => {
        this.#inFlight -= 1;
        if (this.#inFlight === 0) for (const r of this.#idle.splice(0)) r();
        if (this.#queue.length > 0) this.#immediate ??= setImmediate(() => this.#flushNow());
      });
  }

  /**
   * After a failed batch, before the next one: continue from the tree as stored, not as this
   * process last saw it committed. A commit whose answer was lost (the connection died after
   * COMMIT reached the server) may have been stored; building on the older tree would then be
   * refused by storage forever. If the read fails, the batch fails and the next one tries again.
   */
  async #resync(): Promise<void> {
    const { storage, logger } = this.#o;
    try {
      const head = await storage.head();
      if (head.checkpoint.size !== this.#committed.size) {
        this.#committed = await recoverFrontier(storage, head);
        this.#latest = head.checkpoint;
        logger.warn('a batch reported as failed was stored after all; continuing from the stored tree', {
          size: head.checkpoint.size,
        });
        try {
          this.#o.onCheckpoint(head.checkpoint);
        } catch (e) {
          logger.error('checkpoint listener failed', { error: String(e), size: head.checkpoint.size });
        }
      }
      this.#tentative = this.#committed;
    } catch (e) {
      this.#broken = true;
      throw e;
    } finally {
      this.#resyncing = false;
    }
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    const started = performance.now();
    const { storage, metrics } = this.#o;

    // Everything this batch needs to know about what is already logged, in one lookup.
    const wanted = new Map<string, Hash>();
    for (const p of batch) {
      wanted.set(p.leafHex, p.entry.leafHash);
      if (p.entry.facts.kind === 'keyset') wanted.set(p.evidenceHex!, p.entry.facts.evidence);
    }
    const stored = await storage.findLeaves([...wanted.values()]);
    const earlier = this.#inFlightLeaves;

    const base = this.#tentative.size;
    const fresh: NewEntry[] = [];
    const inBatch = new Map<string, LeafRecord>();
    const outcomes: Outcome[] = [];
    for (const p of batch) {
      const known = stored.get(p.leafHex) ?? earlier.get(p.leafHex) ?? inBatch.get(p.leafHex);
      if (known) {
        outcomes.push({
          p,
          index: known.index,
          duplicate: true,
          onEarlierBatch: !stored.has(p.leafHex) && earlier.has(p.leafHex),
        });
        continue;
      }
      const facts = p.entry.facts;
      let evidenceIndex: number | undefined;
      if (facts.kind === 'keyset') {
        const evHex = p.evidenceHex!;
        const ev = stored.get(evHex) ?? earlier.get(evHex) ?? inBatch.get(evHex);
        const problem = !ev
          ? `its deployment evidence ${evHex.slice(0, 16)}… is not logged; submit the deployment-evidence entry first`
          : ev.kind !== 'evidence'
            ? `the entry it names as evidence (index ${ev.index}) is not a deployment-evidence entry`
            : ev.fleetId !== facts.fleetId
              ? `its deployment evidence (index ${ev.index}) is for fleet ${ev.fleetId}, not ${facts.fleetId}`
              : undefined;
        if (problem) {
          metrics.appends.inc({ result: 'rejected' });
          p.reject(new FleetlogError('entry_rejected', `fleet key set rejected: ${problem}`));
          continue;
        }
        evidenceIndex = ev!.index;
      }
      const index = base + fresh.length;
      fresh.push({ index, leafHash: p.entry.leafHash, data: p.entry.data, facts: storedFacts(facts, evidenceIndex) });
      inBatch.set(p.leafHex, { index, kind: facts.kind, fleetId: facts.fleetId });
      outcomes.push({ p, index, duplicate: false, onEarlierBatch: false });
    }

    // Integrate and sign on top of the tentative tree, and queue the commit behind earlier ones.
    const previous = this.#lastCommit;
    let commit: Promise<void> | undefined;
    let integration: ReturnType<typeof integrateLeaves> | undefined;
    let checkpoint: StoredCheckpoint | undefined;
    if (fresh.length > 0) {
      integration = integrateLeaves(
        this.#tentative,
        fresh.map((e) => e.leafHash),
      );
      const size = integration.frontier.size;
      const note = signCheckpoint({ origin: this.#o.origin, size, rootHash: integration.root }, [this.#o.signer]);
      checkpoint = { size, rootHash: integration.root, note, signedAtMs: Date.now() };
      this.#tentative = integration.frontier;
      for (const [hex, record] of inBatch) earlier.set(hex, record);
      commit = storage.appendBatch({ entries: fresh, nodes: integration.nodes, checkpoint });
      this.#lastCommit = commit.catch(() => {});
    }

    // Answers go out in batch order, each after everything before it is durable.
    let previousFailed = false;
    await previous;
    if (this.#broken) previousFailed = true;
    let known: Map<string, Hash> | undefined;
    if (commit && integration && checkpoint) {
      try {
        await commit;
      } catch (e) {
        this.#broken = true;
        this.#writesFailing = true;
        throw e;
      } finally {
        for (const hex of inBatch.keys()) earlier.delete(hex);
      }
      this.#writesFailing = false;
      // Durable: only now does the log's visible state move.
      known = nodeLookup(this.#committed, integration.nodes);
      this.#committed = integration.frontier;
      this.#latest = checkpoint;
      metrics.batchSize.observe(fresh.length);
      try {
        this.#o.onCheckpoint(checkpoint);
      } catch (e) {
        // Never turn a committed batch into an error for its submitters.
        this.#o.logger.error('checkpoint listener failed', { error: String(e), size: checkpoint.size });
      }
    }

    const answerCheckpoint = this.#latest;
    for (const o of outcomes) {
      if (o.onEarlierBatch && (previousFailed || o.index >= answerCheckpoint.size)) {
        o.p.reject(new FleetlogError('unavailable', NOT_STORED));
        continue;
      }
      try {
        const proof = await this.#o.proofs.inclusion(o.index, answerCheckpoint.size, known);
        metrics.appends.inc({ result: o.duplicate ? 'duplicate' : 'accepted' });
        o.p.resolve({
          index: o.index,
          leafHash: o.p.entry.leafHash,
          checkpoint: answerCheckpoint,
          proof,
          duplicate: o.duplicate,
        });
      } catch (e) {
        o.p.reject(e);
      }
    }
    metrics.batchSeconds.observe((performance.now() - started) / 1000);
    if (checkpoint)
      this.#o.logger.debug('batch integrated', {
        entries: fresh.length,
        size: checkpoint.size,
        ms: Math.round(performance.now() - started),
      });
  }
}
