/**
 * The CASPaxos proposer (Rystsov 2018, "CASPaxos: Replicated State Machines without logs"):
 * every operation on a register is a change function applied to the register's current value.
 *
 *   1. prepare(ballot) to every replica; wait for a majority of promises;
 *   2. current = the value accepted with the highest ballot among those promises (or null);
 *   3. next = change(current): the change may refuse (throw), and then nothing is written;
 *   4. accept(ballot, next) to every replica; the operation commits when a majority accepts.
 *
 * A read is the identity change, so it too reconciles a majority and writes the value back, except
 * on an empty register: a change may then return `value: null` ("leave it empty"), and the
 * operation ends after phase 1 without writing anything (specs/consensus.md §1.1 for why that read
 * is still linearizable).
 * Without a majority of promises nothing is written anywhere ("fails closed"). The invariants and
 * why they hold: specs/consensus.md.
 */
import { FleetlogError } from '../../core/errors.ts';
import { compareBallots, ZERO_BALLOT, type Ballot } from './ballot.ts';
import type { AcceptReply, PrepareReply } from './acceptor.ts';

/** How a proposer reaches the replicas (itself included). A failed delivery rejects. */
export interface ReplicaLink {
  readonly replicas: readonly string[];
  prepare(replica: string, key: string, ballot: Ballot): Promise<PrepareReply>;
  accept(replica: string, key: string, ballot: Ballot, value: Uint8Array): Promise<AcceptReply>;
}

/**
 * Returns the new value, or throws to refuse the operation (nothing is written then). `value: null`
 * leaves an empty register empty and writes nothing; it is allowed only when `current` is null.
 */
export type Change<T> = (
  current: Uint8Array | null,
) => { value: Uint8Array | null; result: T } | Promise<{ value: Uint8Array | null; result: T }>;

export interface ProposeOutcome<T> {
  readonly result: T;
  readonly ballot: Ballot;
  readonly acks: number;
  /** False when the register was empty at a majority and stayed so: no accept was sent. */
  readonly wrote: boolean;
}

export interface ProposerOptions {
  /** This node's index, unique in the fleet (the ballot tie-breaker). */
  readonly node: number;
  /** Attempts when another proposer holds a higher ballot. */
  readonly maxAttempts?: number;
}

export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Pause before retrying after a conflict, so competing proposers drift apart. */
const backoff = (attempt: number): Promise<void> =>
  new Promise((r) => setTimeout(r, Math.random() * 2 * (attempt + 1)));

export class Proposer {
  readonly #link: ReplicaLink;
  readonly #node: number;
  readonly #maxAttempts: number;
  #round = 0;

  constructor(link: ReplicaLink, options: ProposerOptions) {
    this.#link = link;
    this.#node = options.node;
    this.#maxAttempts = options.maxAttempts ?? 8;
  }

  async propose<T>(key: string, change: Change<T>): Promise<ProposeOutcome<T>> {
    const replicas = this.#link.replicas;
    const need = majority(replicas.length);
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const ballot: Ballot = { round: ++this.#round, node: this.#node };

      // Phase 1: promises from a majority.
      const prepared = await gather(
        replicas.map((r) => this.#link.prepare(r, key, ballot)),
        need,
      );
      const promises = prepared.filter((p): p is Extract<PrepareReply, { ok: true }> => p?.ok === true);
      const higher = highestRejection(prepared);
      if (higher) this.#observe(higher);
      if (promises.length < need) {
        if (higher) continue; // lost a race: retry with a higher ballot
        throw unavailable('prepare', promises.length, replicas.length, need);
      }
      let best: { accepted: Ballot; value: Uint8Array | null } = { accepted: ZERO_BALLOT, value: null };
      for (const p of promises) if (p.value !== null && compareBallots(p.accepted, best.accepted) > 0) best = p;

      // The change runs on the reconciled value; a refusal writes nothing.
      const { value, result } = await change(best.value);
      if (value === null) {
        if (best.value !== null) throw new FleetlogError('internal', 'a change may leave only an empty register empty');
        // A majority promised at `ballot` and none of them holds a value: the register is empty, and
        // any value committed later carries a higher ballot than this one (§1.1).
        return { result, ballot, acks: promises.length, wrote: false };
      }

      // Phase 2: a majority must accept.
      const accepted = await gather(
        replicas.map((r) => this.#link.accept(r, key, ballot, value)),
        need,
      );
      const acks = accepted.filter((a) => a?.ok === true).length;
      const higherAccept = highestRejection(accepted);
      if (higherAccept) this.#observe(higherAccept);
      if (acks >= need) return { result, ballot, acks, wrote: true };
      if (higherAccept) continue;
      throw unavailable('accept', acks, replicas.length, need);
    }
    throw new FleetlogError(
      'unavailable',
      `gave up after ${this.#maxAttempts} attempts: other proposers kept winning; try again`,
    );
  }

  #observe(b: Ballot): void {
    if (b.round > this.#round) this.#round = b.round;
  }
}

/**
 * Collects replies until `need` of them are `ok`, or until so many have failed or refused that
 * `need` can no longer be reached, or until every replica has answered. A majority is all Paxos
 * needs, so the proposer moves on the moment it has one: waiting for stragglers would only add
 * the RTT of the farthest replica to every phase. Replies that come later still land on their
 * replicas (the messages were sent to every replica); they are just not waited for.
 */
function gather<T extends { ok: boolean }>(promises: Promise<T>[], need: number): Promise<(T | undefined)[]> {
  return new Promise((resolve) => {
    const results: (T | undefined)[] = new Array(promises.length).fill(undefined);
    let settled = 0;
    let ok = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(results.slice());
    };
    promises.forEach((p, i) => {
      p.then(
        (v) => {
          results[i] = v;
          if (v.ok) ok++;
        },
        () => undefined,
      ).finally(() => {
        settled++;
        if (ok >= need || settled === promises.length || settled - ok > promises.length - need) finish();
      });
    });
  });
}

function highestRejection(replies: readonly (PrepareReply | AcceptReply | undefined)[]): Ballot | undefined {
  let high: Ballot | undefined;
  for (const r of replies) if (r && !r.ok && (!high || compareBallots(r.promised, high) > 0)) high = r.promised;
  return high;
}

function unavailable(phase: string, got: number, n: number, need: number): FleetlogError {
  return new FleetlogError(
    'unavailable',
    `${phase}: only ${got} of ${n} replicas answered, a majority needs ${need}; the fleet refuses rather than act without a majority`,
    {
      detail: { phase, got, n, need },
    },
  );
}
