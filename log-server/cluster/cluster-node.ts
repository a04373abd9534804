/**
 * One `log serve` process of several on one PostgreSQL database. Every process serves reads from
 * the database and accepts POST /add-entry; exactly one, the holder of the leader lease, sequences.
 *
 *   follower  polls the lease and the newest checkpoints every `pollMs`; forwards each checked
 *             submission to the leader's URL (from the lease row) and answers with the leader's
 *             durable checkpoint and an inclusion proof read from the database; takes the lease
 *             when it has expired.
 *   leader    runs the sequencer and the witnessing loop (leadership.ts) with the lease's fencing
 *             token; renews the lease every ttl/3, and steps down when a renewal fails or the lease
 *             would expire before it can renew, failing queued submissions with 503.
 *
 * A follower's /health reports the witnesses as the leader left them in the database: a witness
 * whose cosignature is on the published checkpoint is 'ok' (with the size and time it acknowledged),
 * one missing from it is 'pending' for a witness timeout after that checkpoint appeared, then
 * 'not_cosigned' (so /health turns 'degraded' on every process, not only on the leader); the
 * `cluster` block of /health names the role and the leader's URL.
 *
 * Why forwarding, not a submission table: a submission is answered only once it is in a durable
 * signed checkpoint, which the leader knows first; forwarding adds one loopback hop and no polling
 * delay, keeps back-pressure at the leader, and a request lost with a dead leader is a 503 that the
 * client retries (duplicates are answered with the first index, so retrying is safe).
 *
 * Safety does not rest on this class's timing: a leader that stalls past its lease cannot commit
 * (the token check in pg-storage.ts), and a new leader resumes from the tree as stored, after every
 * commit of the old one has finished (the lease row lock), so its first checkpoint extends the last
 * stored one. Checkpoints a stale leader signed but could not store are never revealed.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import { FleetlogError, type ErrorCode } from '../../core/errors.ts';
import { quorumSatisfied, type Policy } from '../../core/policy/policy.ts';
import { createLogThrottle, type LogThrottle } from '../../service/log-throttle.ts';
import type { Logger } from '../../service/logger.ts';
import { startLeading, type LeaderContext, type Leading } from '../leadership.ts';
import type { StaticPublisher } from '../static-publisher.ts';
import type { AppendResult } from '../sequencer.ts';
import { FORWARDED_HEADER, type Appender, type ClusterStatus, type Publication } from '../service.ts';
import type { PgLogStorage } from '../storage/pg-storage.ts';
import type { StoredCheckpoint, WitnessStateRecord } from '../storage/storage.ts';
import type { ValidatedEntry } from '../validation/validate.ts';
import {
  compose,
  DEFAULT_WITNESS_TIMEOUT_MS,
  type PublishedCheckpoint,
  type WitnessHealth,
} from '../witnessing/witnessing.ts';
import { LeaderLease } from './lease.ts';

/** How often a follower re-reads cosignatures and witness states when the published size is unchanged. */
const WITNESS_VIEW_MS = 1000;

export interface ClusterOptions {
  readonly storage: PgLogStorage;
  readonly leader: LeaderContext;
  readonly policy: Policy | undefined;
  readonly logger: Logger;
  /** Lease duration (default 3000 ms): the longest a dead leader blocks sequencing. */
  readonly leaseMs?: number;
  /** How often followers look at the lease and the newest checkpoint (default leaseMs / 10). */
  readonly pollMs?: number;
  /** How long a forwarded submission may take (default 30 s). */
  readonly forwardTimeoutMs?: number;
}

export interface SubmitContext {
  readonly authorization?: string;
  readonly forwarded?: boolean;
}

export class ClusterNode implements Appender, Publication {
  readonly #o: ClusterOptions;
  readonly #lease: LeaderLease;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  #url: string | undefined;
  #leading: Leading | undefined;
  #token: number | undefined;
  /** Local time by which the lease must have been renewed, or this process stops leading. */
  #deadline = 0;
  #renewedAt = 0;
  #transition: Promise<void> | undefined;
  #leaderUrl: string | undefined;
  #latest: StoredCheckpoint;
  #published: PublishedCheckpoint | undefined;
  #publishedSize = -1;
  /** When this process first saw the published checkpoint's size (local clock). */
  #publishedSeenAtMs = 0;
  /** What each witness last acknowledged, as the leader stored it. */
  #witnessStates = new Map<string, WitnessStateRecord>();
  /** When the cosignatures and witness states were last read (they change without a new size). */
  #witnessesReadAtMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<void> = Promise.resolve();
  #closed = false;
  /** Whether the last poll reached the database (/health and /metrics report it). */
  #databaseReachable = true;
  /** The poll fails every pollMs while the database is down: one line per 10 s, with a count. */
  readonly #pollFailures: LogThrottle;

  constructor(options: ClusterOptions, latest: StoredCheckpoint) {
    this.#o = options;
    this.#leaseMs = options.leaseMs ?? 3000;
    this.#pollMs = options.pollMs ?? Math.max(20, Math.floor(this.#leaseMs / 10));
    this.#lease = new LeaderLease(
      options.storage.leasePool,
      `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`,
      this.#leaseMs,
    );
    this.#latest = latest;
    this.#pollFailures = createLogThrottle(options.logger, 10_000);
  }

  /** Starts polling and competing for the lease; `url` is where followers forward submissions. */
  async start(url: string | undefined): Promise<void> {
    this.#url = url;
    await this.#tick();
    this.#schedule();
  }

  get isLeader(): boolean {
    return this.#leading !== undefined;
  }

  /** Whether the last look at the lease reached the database (at most one lease poll old). */
  get databaseReachable(): boolean {
    return this.#databaseReachable;
  }

  status(): ClusterStatus {
    return {
      role: this.#leading ? 'leader' : 'follower',
      databaseReachable: this.#databaseReachable,
      fencingToken: this.#token,
      leaderUrl: this.#leading ? this.#url : this.#leaderUrl,
    };
  }

  get latest(): StoredCheckpoint {
    const own = this.#leading?.sequencer.latest;
    return own && own.size >= this.#latest.size ? own : this.#latest;
  }

  /** The static publisher while this process leads with --publish-dir (leadership.ts). */
  get publisher(): StaticPublisher | undefined {
    return this.#leading?.publisher;
  }

  /** Only a leader writes; a follower's writes are the leader's (its /health says which it is). */
  get writesFailing(): boolean {
    return this.#leading?.sequencer.writesFailing ?? false;
  }

  get pending(): number {
    return this.#leading?.sequencer.pending ?? 0;
  }

  submit(entry: ValidatedEntry, context: SubmitContext = {}): Promise<AppendResult> {
    if (this.#leading) return this.#leading.sequencer.submit(entry);
    if (context.forwarded)
      return Promise.reject(new FleetlogError('unavailable', 'this process is not the leader any more; retry'));
    return this.#forward(entry, context.authorization);
  }

  published(): PublishedCheckpoint | undefined {
    if (this.#leading) return this.#leading.witnessing.published() ?? this.#published;
    return this.#published;
  }

  health(): ReturnType<Publication['health']> {
    if (this.#leading) return this.#leading.witnessing.health();
    const policy = this.#o.policy;
    const published = this.#published;
    const graceMs = this.#o.leader.tuning.witnessTimeoutMs ?? DEFAULT_WITNESS_TIMEOUT_MS;
    const waiting = published === undefined || Date.now() - this.#publishedSeenAtMs < graceMs;
    const witnesses: WitnessHealth[] = [...(policy?.witnesses.values() ?? [])].map((w) => {
      const state = this.#witnessStates.get(w.name);
      const cosigned = published?.cosigners.includes(w.name) === true;
      const missing = !cosigned && !waiting;
      return {
        name: w.name,
        url: w.url,
        // The leader talks to witnesses; a follower reports what the leader stored.
        status: cosigned ? 'ok' : missing ? 'not_cosigned' : 'pending',
        acknowledgedSize: state?.size,
        lastCosignedSize: cosigned ? published.size : undefined,
        // Its acknowledgement time is that of this cosignature only if it acknowledged nothing since.
        lastSuccessAt:
          cosigned && state?.size === published.size ? new Date(state.updatedAtMs).toISOString() : undefined,
        consecutiveFailures: 0,
        lastError: missing
          ? `the published checkpoint (size ${published!.size}) has no cosignature from this witness (read from the database; this process follows the leader)`
          : undefined,
      };
    });
    const quorum = policy?.quorum ?? 'none';
    return { quorum, failOpen: quorum === 'none', witnesses };
  }

  /** Stops leading (queued submissions finish), gives the lease up at once, stops polling. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#ticking;
    await this.#transition;
    await this.#stepDown('shutting down', true);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick().finally(() => this.#schedule());
    }, this.#pollMs);
  }

  async #tick(): Promise<void> {
    try {
      if (this.#leading) await this.#keepLease();
      else await this.#follow();
      if (!this.#databaseReachable) this.#o.logger.warn('the database is reachable again');
      this.#databaseReachable = true;
    } catch (e) {
      this.#databaseReachable = false;
      this.#pollFailures.log('error', 'poll', 'cluster poll failed: the database is unreachable or failing', {
        error: String((e as Error).message ?? e),
      });
      if (this.#leading && Date.now() >= this.#deadline) await this.#stepDown('cannot renew the lease in time');
    }
  }

  async #keepLease(): Promise<void> {
    if (Date.now() - this.#renewedAt < this.#leaseMs / 3) return;
    const started = Date.now();
    if (await this.#lease.renew(this.#token!)) {
      this.#renewedAt = started;
      this.#deadline = started + this.#leaseMs;
    } else {
      await this.#stepDown('the lease expired or was taken');
    }
  }

  async #follow(): Promise<void> {
    const lease = await this.#lease.current();
    this.#leaderUrl = lease.remainingMs > 0 ? lease.url : undefined;
    await this.#refreshView();
    if (lease.remainingMs > 0 || this.#closed) return;
    const started = Date.now();
    const token = await this.#lease.tryAcquire(this.#url);
    if (token === undefined) return;
    this.#transition = this.#lead(token, started);
    await this.#transition;
    this.#transition = undefined;
  }

  async #lead(token: number, acquiredAt: number): Promise<void> {
    const { storage, logger } = this.#o;
    this.#token = token;
    this.#renewedAt = acquiredAt;
    this.#deadline = acquiredAt + this.#leaseMs;
    storage.setFence(token);
    try {
      // Read after winning the lease: every commit of the previous leader has finished by now.
      const head = await storage.head();
      this.#leading = await startLeading(this.#o.leader, head);
      logger.info('this process is now the leader', { fencingToken: token, size: head.checkpoint.size });
    } catch (e) {
      logger.error('could not start leading; giving the lease up', { error: String(e) });
      storage.setFence(undefined);
      this.#token = undefined;
      await this.#lease.release(token).catch(() => {});
    }
  }

  async #stepDown(reason: string, release = false): Promise<void> {
    const leading = this.#leading;
    const token = this.#token;
    if (!leading || token === undefined) return;
    this.#leading = undefined;
    this.#o.logger.warn('this process stops leading', { reason, fencingToken: token });
    this.#latest = leading.sequencer.latest;
    // Keep serving what this process published as leader: a follower's view must not fall back
    // to an older checkpoint (a reader would see the log shrink) while the database is away.
    const published = leading.witnessing.published();
    if (published && published.size > (this.#published?.size ?? -1)) this.#published = published;
    // The sequencer's last batches still carry the token; storage refuses them if the lease is gone.
    await leading.stop().catch((e) => this.#o.logger.error('stopping the leader failed', { error: String(e) }));
    this.#o.storage.setFence(undefined);
    this.#token = undefined;
    if (release) await this.#lease.release(token).catch(() => {});
  }

  /** The newest checkpoint and the published one, as the leader stored them. */
  async #refreshView(): Promise<void> {
    const { storage, policy } = this.#o;
    const head = await storage.tip();
    if (head.checkpoint.size > this.#latest.size) this.#latest = head.checkpoint;
    const failOpen = (policy?.quorum ?? 'none') === 'none';
    const size = failOpen ? this.#latest.size : head.publishedSize;
    const now = Date.now();
    // Late cosignatures and witness acknowledgements change nothing in the tip: re-read them
    // now and then even when the published size has not moved.
    if (size === this.#publishedSize && !failOpen && now - this.#witnessesReadAtMs < WITNESS_VIEW_MS) return;
    this.#witnessesReadAtMs = now;
    const [cp, cosigs, states] = await Promise.all([
      storage.checkpointAt(size),
      storage.cosignaturesFor(size),
      storage.witnessStates(),
    ]);
    this.#witnessStates = new Map(states.map((s) => [s.witness, s]));
    if (!cp) return;
    const known = new Map(cosigs.filter((c) => policy?.witnesses.has(c.witness)).map((c) => [c.witness, c.line]));
    if (!failOpen && !(policy && quorumSatisfied(policy, new Set(known.keys())))) return;
    if (this.#published && this.#published.size > size) return; // never move backwards
    if (this.#published?.size !== size) this.#publishedSeenAtMs = now;
    if (this.#published?.size !== size || this.#published.cosigners.length !== known.size)
      this.#published = compose(cp, known, now);
    this.#publishedSize = size;
  }

  async #forward(entry: ValidatedEntry, authorization: string | undefined): Promise<AppendResult> {
    let url = this.#leaderUrl;
    if (!url) {
      // Just stepped down, or the poll has not seen the new leader yet: ask the database now.
      const lease = await this.#lease.current();
      if (lease.remainingMs > 0 && lease.holder !== this.#lease.holder) url = this.#leaderUrl = lease.url;
    }
    if (!url) throw new FleetlogError('unavailable', 'no leader holds the lease right now (failover); retry shortly');
    let response: Response;
    try {
      response = await fetch(`${url}/add-entry`, {
        method: 'POST',
        body: entry.data as Uint8Array<ArrayBuffer>,
        headers: {
          'content-type': 'application/octet-stream',
          [FORWARDED_HEADER]: '1',
          ...(authorization ? { authorization } : {}),
        },
        signal: AbortSignal.timeout(this.#o.forwardTimeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new FleetlogError('unavailable', `the leader at ${url} did not answer (${(e as Error).message}); retry`);
    }
    const text = await response.text().catch(() => '');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new FleetlogError('unavailable', `the leader answered HTTP ${response.status} without JSON; retry`);
    }
    if (response.status !== 200) {
      const code = typeof body.code === 'string' ? (body.code as ErrorCode) : 'unavailable';
      throw new FleetlogError(
        code,
        typeof body.message === 'string' ? body.message : `leader: HTTP ${response.status}`,
      );
    }
    const index = body.index;
    const note = body.checkpoint;
    if (typeof index !== 'number' || typeof note !== 'string')
      throw new FleetlogError('unavailable', 'the leader answered without an index and checkpoint; retry');
    // The leader answers only after the commit, so the checkpoint is in the database: serve it from
    // there (never a note we have not seen stored) with a proof built from the stored tree.
    const size = parseCheckpointNote(note).checkpoint.size;
    const stored = await this.#o.storage.checkpointAt(size);
    if (!stored || stored.note !== note)
      throw new FleetlogError('internal', `the leader answered with checkpoint ${size}, which is not stored as sent`);
    if (stored.size > this.#latest.size) this.#latest = stored;
    return {
      index,
      leafHash: entry.leafHash,
      checkpoint: stored,
      proof: await this.#o.leader.proofs.inclusion(index, size),
      duplicate: body.duplicate === true,
    };
  }
}
