/**
 * Inclusion and consistency proofs from storage with O(log n) node reads (core's two-phase plan,
 * then one storage read for the planned nodes). Nodes already in memory (a batch just integrated)
 * are taken from `known` so a batch's responses do not re-read what it just wrote.
 */
import { formatFleetBundle, type LoggedEntry } from '../core/audit/fleet-bundle.ts';
import type { Hash } from '../core/merkle/hash.ts';
import { assembleProof, planConsistency, planInclusion, type ProofPlan } from '../core/merkle/proof-plan.ts';
import type { NodeId } from '../core/merkle/subtree.ts';
import { nodeKey } from './integrate.ts';
import type { LogStorage } from './storage/storage.ts';

export class ProofService {
  readonly #storage: LogStorage;

  constructor(storage: LogStorage) {
    this.#storage = storage;
  }

  inclusion(index: number, size: number, known?: ReadonlyMap<string, Hash>): Promise<Hash[]> {
    return this.#fold(planInclusion(index, size), known);
  }

  consistency(oldSize: number, newSize: number): Promise<Hash[]> {
    return this.#fold(planConsistency(oldSize, newSize));
  }

  /** An entry's bytes with its inclusion proof in the tree of `size` (offline proofs, fleet bundles). */
  async loggedEntry(index: number, size: number): Promise<LoggedEntry> {
    const [[bytes], proof] = await Promise.all([this.#storage.readEntries(index, 1), this.inclusion(index, size)]);
    return { bytes: bytes!, index, proof };
  }

  /**
   * The offline fleet bundle (specs/formats.md §13) for the newest key set of `fleetId` below
   * `checkpoint.size`, both proofs against `checkpoint.note`; undefined if that tree has no key set
   * for the fleet. Served at /fleet-bundle/<id> and written by the static publisher.
   */
  async fleetBundle(fleetId: string, checkpoint: { size: number; note: string }): Promise<string | undefined> {
    const keyset = await this.#storage.latestKeyset(fleetId, checkpoint.size);
    if (!keyset) return undefined;
    const [keysetEntry, evidenceEntry] = await Promise.all([
      this.loggedEntry(keyset.index, checkpoint.size),
      this.loggedEntry(keyset.evidenceIndex, checkpoint.size),
    ]);
    return formatFleetBundle({ keyset: keysetEntry, evidence: evidenceEntry, checkpoint: checkpoint.note });
  }

  async #fold(plan: ProofPlan, known?: ReadonlyMap<string, Hash>): Promise<Hash[]> {
    if (plan.nodes.length === 0) return [];
    const hashes: Array<Hash | undefined> = new Array(plan.nodes.length);
    const missing: NodeId[] = [];
    const missingAt: number[] = [];
    plan.nodes.forEach((n, i) => {
      const h = known?.get(nodeKey(n.level, n.index));
      if (h) hashes[i] = h;
      else {
        missing.push(n);
        missingAt.push(i);
      }
    });
    if (missing.length > 0) {
      const read = await this.#storage.readNodes(missing);
      missingAt.forEach((at, j) => {
        hashes[at] = read[j]!;
      });
    }
    return assembleProof(plan, hashes as Hash[]);
  }
}
