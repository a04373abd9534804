/**
 * The CASPaxos acceptor (specs/consensus.md §Acceptor). A register gets a durable slot (promise,
 * accepted ballot, value) only when a value is accepted for it. A promise on a register that has
 * no slot costs no row: it raises one durable ballot floor shared by every empty register, and is
 * remembered per register only in a bounded memory map. So a flood of requests for users that do
 * not exist leaves the store's size unchanged (§1.1 of the spec has the argument).
 *
 * Safety depends on two rules only, checked here: promise only to a ballot above every ballot
 * promised for that register, and accept only a ballot no lower than that. For an empty register
 * the acceptor checks against an upper bound of its promises (its memory entry, else the floor),
 * which can only make it refuse more, never less. The store must make a slot or the floor durable
 * before the reply leaves (the SQLite store commits synchronously).
 */
import { compareBallots, ZERO_BALLOT, type Ballot } from './ballot.ts';

export interface AcceptorSlot {
  readonly promised: Ballot;
  readonly accepted: Ballot;
  /** null = nothing accepted (only in stores written before empty registers stopped taking rows). */
  readonly value: Uint8Array | null;
}

export const EMPTY_SLOT: AcceptorSlot = { promised: ZERO_BALLOT, accepted: ZERO_BALLOT, value: null };

export interface AcceptorStore {
  get(key: string): AcceptorSlot | undefined;
  /** Must be durable when it returns. */
  put(key: string, slot: AcceptorSlot): void;
  keys(): string[];
  /** At or above every promise ever made on a register that had no slot then (O(1) storage). */
  floor(): Ballot;
  /** Must be durable when it returns. */
  setFloor(ballot: Ballot): void;
}

export class MemoryAcceptorStore implements AcceptorStore {
  readonly #slots = new Map<string, AcceptorSlot>();
  #floor: Ballot = ZERO_BALLOT;
  get(key: string): AcceptorSlot | undefined {
    return this.#slots.get(key);
  }
  put(key: string, slot: AcceptorSlot): void {
    this.#slots.set(key, slot);
  }
  keys(): string[] {
    return [...this.#slots.keys()];
  }
  floor(): Ballot {
    return this.#floor;
  }
  setFloor(ballot: Ballot): void {
    this.#floor = ballot;
  }
}

export type PrepareReply =
  | { readonly ok: true; readonly accepted: Ballot; readonly value: Uint8Array | null }
  | { readonly ok: false; readonly promised: Ballot };

export type AcceptReply = { readonly ok: true } | { readonly ok: false; readonly promised: Ballot };

/** Promises on empty registers remembered exactly; older ones fold into `#evictedFloor`. */
export const DEFAULT_EMPTY_PROMISES = 4096;
/** Rounds the durable floor is set ahead of the promise that raised it. */
export const FLOOR_STEP = 64;

export class Acceptor {
  readonly #store: AcceptorStore;
  readonly #capacity: number;
  /** Exact promises on registers without a slot, oldest first (a Map keeps insertion order). */
  readonly #emptyPromises = new Map<string, Ballot>();
  /**
   * Bound for an empty register not in `#emptyPromises`: the floor this process started with
   * (promises made before a restart) raised by every entry evicted since.
   */
  #evictedFloor: Ballot;
  /** The store's floor, cached: it changes only here. */
  #durableFloor: Ballot;

  constructor(store: AcceptorStore, options: { emptyPromises?: number } = {}) {
    this.#store = store;
    this.#capacity = Math.max(1, options.emptyPromises ?? DEFAULT_EMPTY_PROMISES);
    this.#durableFloor = store.floor();
    this.#evictedFloor = this.#durableFloor;
  }

  prepare(key: string, ballot: Ballot): PrepareReply {
    const slot = this.#store.get(key);
    if (slot) {
      // promised >= accepted always holds, so beating the promise beats everything seen.
      if (compareBallots(ballot, slot.promised) <= 0) return { ok: false, promised: slot.promised };
      this.#store.put(key, { ...slot, promised: ballot });
      return { ok: true, accepted: slot.accepted, value: slot.value };
    }
    const promised = this.#emptyPromise(key);
    if (compareBallots(ballot, promised) <= 0) return { ok: false, promised };
    // Durable first: after a restart, this promise is covered by the floor.
    if (compareBallots(ballot, this.#durableFloor) > 0) {
      // Reserve rounds ahead, so a stream of promises costs one durable write per FLOOR_STEP rounds,
      // not one each. A floor above every promise made is still a bound (only refuses more).
      this.#durableFloor = { round: ballot.round + FLOOR_STEP, node: 0 };
      this.#store.setFloor(this.#durableFloor);
    }
    this.#emptyPromises.delete(key);
    this.#emptyPromises.set(key, ballot);
    if (this.#emptyPromises.size > this.#capacity) {
      const [oldKey, oldBallot] = this.#emptyPromises.entries().next().value as [string, Ballot];
      this.#emptyPromises.delete(oldKey);
      if (compareBallots(oldBallot, this.#evictedFloor) > 0) this.#evictedFloor = oldBallot;
    }
    return { ok: true, accepted: ZERO_BALLOT, value: null };
  }

  accept(key: string, ballot: Ballot, value: Uint8Array): AcceptReply {
    const slot = this.#store.get(key);
    const promised = slot ? slot.promised : this.#emptyPromise(key);
    // Equal to the promise is the normal case (our own prepare); a repeat of the same accept is idempotent.
    if (compareBallots(ballot, promised) < 0) return { ok: false, promised };
    this.#store.put(key, { promised: ballot, accepted: ballot, value });
    this.#emptyPromises.delete(key);
    return { ok: true };
  }

  /** At or above every promise made on `key` while it had no slot (this process, or before it). */
  #emptyPromise(key: string): Ballot {
    return this.#emptyPromises.get(key) ?? this.#evictedFloor;
  }

  /** The local slot, for status reports and tests; a read here is NOT a consensus read. */
  slot(key: string): AcceptorSlot | undefined {
    return this.#store.get(key);
  }

  keys(): string[] {
    return this.#store.keys();
  }

  /** True once this acceptor has promised or accepted anything (so it may have missed commits since). */
  get used(): boolean {
    return this.#store.keys().length > 0 || compareBallots(this.#durableFloor, ZERO_BALLOT) > 0;
  }
}
