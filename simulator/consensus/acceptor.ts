/**
 * The CASPaxos acceptor (specs/consensus.md §Acceptor): one register slot per key, holding the
 * highest ballot promised and the last value accepted with its ballot. Values are opaque bytes
 * (sealed by the fleet's vault key), so an acceptor never needs to read them.
 *
 * Safety depends on two rules only, checked here: promise only to a ballot above every ballot seen,
 * and accept only a ballot no lower than the promise. The store must make a slot durable before
 * the reply leaves (the SQLite store commits synchronously).
 */
import { compareBallots, ZERO_BALLOT, type Ballot } from './ballot.ts';

export interface AcceptorSlot {
  readonly promised: Ballot;
  readonly accepted: Ballot;
  /** null = nothing accepted yet. */
  readonly value: Uint8Array | null;
}

export const EMPTY_SLOT: AcceptorSlot = { promised: ZERO_BALLOT, accepted: ZERO_BALLOT, value: null };

export interface AcceptorStore {
  get(key: string): AcceptorSlot | undefined;
  /** Must be durable when it returns. */
  put(key: string, slot: AcceptorSlot): void;
  keys(): string[];
}

export class MemoryAcceptorStore implements AcceptorStore {
  readonly #slots = new Map<string, AcceptorSlot>();
  get(key: string): AcceptorSlot | undefined {
    return this.#slots.get(key);
  }
  put(key: string, slot: AcceptorSlot): void {
    this.#slots.set(key, slot);
  }
  keys(): string[] {
    return [...this.#slots.keys()];
  }
}

export type PrepareReply =
  | { readonly ok: true; readonly accepted: Ballot; readonly value: Uint8Array | null }
  | { readonly ok: false; readonly promised: Ballot };

export type AcceptReply = { readonly ok: true } | { readonly ok: false; readonly promised: Ballot };

export class Acceptor {
  readonly #store: AcceptorStore;

  constructor(store: AcceptorStore) {
    this.#store = store;
  }

  prepare(key: string, ballot: Ballot): PrepareReply {
    const slot = this.#store.get(key) ?? EMPTY_SLOT;
    // promised >= accepted always holds, so beating the promise beats everything seen.
    if (compareBallots(ballot, slot.promised) <= 0) return { ok: false, promised: slot.promised };
    this.#store.put(key, { ...slot, promised: ballot });
    return { ok: true, accepted: slot.accepted, value: slot.value };
  }

  accept(key: string, ballot: Ballot, value: Uint8Array): AcceptReply {
    const slot = this.#store.get(key) ?? EMPTY_SLOT;
    // Equal to the promise is the normal case (our own prepare); a repeat of the same accept is idempotent.
    if (compareBallots(ballot, slot.promised) < 0) return { ok: false, promised: slot.promised };
    this.#store.put(key, { promised: ballot, accepted: ballot, value });
    return { ok: true };
  }

  /** The local slot, for status reports and tests; a read here is NOT a consensus read. */
  slot(key: string): AcceptorSlot | undefined {
    return this.#store.get(key);
  }

  keys(): string[] {
    return this.#store.keys();
  }
}
