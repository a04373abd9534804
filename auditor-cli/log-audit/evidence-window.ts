/**
 * The most recent deployment-evidence entries, by leaf hash prefix and index: the part of the
 * evidence index that `audit log` keeps in its state (specs/audit.md B.2). A key set usually
 * follows its evidence closely, so this finds it without asking the log even when a monitor round
 * boundary separates them; anything older is located through the log (evidence-locator.ts).
 *
 * Bounded: EVIDENCE_WINDOW entries are saved whatever the log holds. The list is trimmed in halves
 * (amortised O(1) per entry) and the prefix map rebuilt then.
 */

/** Evidence entries kept in the state: ~28 bytes each in JSON, so at most ~29 kB. */
export const EVIDENCE_WINDOW = 1024;
/** Hex characters of a leaf hash kept: 64 bits, enough to find an entry, not to trust it. */
export const EVIDENCE_PREFIX_HEX = 16;

/** [leaf hash prefix, index], oldest first, as saved. */
export type WindowEntry = readonly [prefix: string, index: number];

export class EvidenceWindow<R> {
  #entries: WindowEntry[];
  readonly #byPrefix = new Map<string, number[]>();
  /** Full records of the window's entries seen in this run (earlier runs' are fetched back). */
  readonly #records = new Map<number, R>();

  constructor(saved: readonly WindowEntry[] = []) {
    this.#entries = saved.slice(-EVIDENCE_WINDOW);
    this.#reindex();
  }

  add(leafHash: string, index: number, record: R): void {
    const prefix = leafHash.slice(0, EVIDENCE_PREFIX_HEX);
    this.#entries.push([prefix, index]);
    const at = this.#byPrefix.get(prefix);
    if (at) at.push(index);
    else this.#byPrefix.set(prefix, [index]);
    this.#records.set(index, record);
    if (this.#entries.length >= 2 * EVIDENCE_WINDOW) {
      for (const [, i] of this.#entries.slice(0, this.#entries.length - EVIDENCE_WINDOW)) this.#records.delete(i);
      this.#entries = this.#entries.slice(-EVIDENCE_WINDOW);
      this.#reindex();
    }
  }

  /** Indices (ascending) of window entries below `before` whose leaf hash starts like `leafHash`. */
  candidates(leafHash: string, before: number): number[] {
    const at = this.#byPrefix.get(leafHash.slice(0, EVIDENCE_PREFIX_HEX)) ?? [];
    const first =
      this.#entries.length > EVIDENCE_WINDOW ? this.#entries[this.#entries.length - EVIDENCE_WINDOW]![1] : 0;
    // Between trims the list holds up to twice the window: only the saved part is answered, so a
    // verdict never depends on when a trim happened.
    return at.filter((i) => i < before && i >= first);
  }

  /** The record of an entry this run added, if it is still in the window. */
  record(index: number): R | undefined {
    return this.#records.get(index);
  }

  /** What the state keeps: the last EVIDENCE_WINDOW entries, oldest first. */
  saved(): WindowEntry[] {
    return this.#entries.slice(-EVIDENCE_WINDOW).map(([p, i]) => [p, i] as const);
  }

  #reindex(): void {
    this.#byPrefix.clear();
    for (const [prefix, index] of this.#entries) {
      const at = this.#byPrefix.get(prefix);
      if (at) at.push(index);
      else this.#byPrefix.set(prefix, [index]);
    }
  }
}
