/**
 * The log-server's storage contract. The sequencer, the read API and the witnessing loop talk only
 * to this interface, so the PostgreSQL backend replaces SQLite without touching them; every method
 * returns a Promise for that reason, even though the SQLite backend answers reads synchronously.
 *
 * Guarantees every backend must give:
 *   - Single writer. Exactly one process (the `log serve` sequencer) calls `appendBatch`, in tree
 *     order. It may hand over the next batch before the previous one's promise resolves (commits
 *     are pipelined), so a backend commits batches strictly in call order and refuses a batch that
 *     does not extend what it holds (so every batch after a failed one fails too). A backend must
 *     refuse a second writer on the same data: SQLite refuses a second serving process
 *     (`acquireWriterLock`); PostgreSQL lets several processes serve but stores the sequencer's
 *     writes (batches, published size, witness state) only from the holder of the leader lease,
 *     checking its fencing token inside each write's transaction (pg-storage.ts, cluster/lease.ts).
 *     Tokens may be added or revoked by other processes (the CLI) while the server runs: those
 *     writes touch only the token records.
 *   - Atomic, durable batches. `appendBatch` stores the entries, their Merkle nodes, the fleet
 *     index rows, the full hash tiles and the gzip of every entry bundle they complete, and the
 *     signed checkpoint that covers them in ONE transaction. When the returned
 *     promise resolves, all of it survives a crash or power loss (SQLite: WAL with synchronous=FULL,
 *     i.e. the WAL is fsynced at commit; PostgreSQL: synchronous_commit on, checked at start-up).
 *     If it rejects, none of it was stored.
 *   - Entries, nodes and checkpoints are append-only: once stored they never change, so the latest
 *     checkpoint always covers exactly the stored entries (`head().checkpoint.size` equals the number
 *     of entries).
 *   - A leaf hash is stored at most once (the dedup key, enforced by the backend).
 *   - Witness state and cosignatures are advisory and written outside batches, each write durable
 *     when its promise resolves. Losing them is safe: the log re-learns a witness's size from a 409.
 *   - Reads see only committed data and may run concurrently with the writer.
 */
import type { Hash } from '../../core/merkle/hash.ts';
import type { NodeId } from '../../core/merkle/subtree.ts';

/** A signed checkpoint as the log stored it: note text with the log's signature only. */
export interface StoredCheckpoint {
  readonly size: number;
  readonly rootHash: Hash;
  /** The signed note (checkpoint text, blank line, the log's signature line). */
  readonly note: string;
  /** When it was signed, milliseconds since the epoch. */
  readonly signedAtMs: number;
}

/** What the fleet index records about an entry, beside its bytes. */
export type EntryFacts = EvidenceFacts | KeysetFacts | { readonly kind: 'other' };

export interface EvidenceFacts {
  readonly kind: 'evidence';
  readonly fleetId: string;
}

export interface KeysetFacts {
  readonly kind: 'keyset';
  readonly fleetId: string;
  readonly version: number;
  /** The log index of the deployment-evidence entry the key set names. */
  readonly evidenceIndex: number;
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface NewEntry {
  readonly index: number;
  readonly leafHash: Hash;
  readonly data: Uint8Array;
  readonly facts: EntryFacts;
}

/** A perfect subtree hash (RFC 9162) completed by a batch. Level 0 is a leaf hash. */
export interface NewNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Hash;
}

export interface IntegratedBatch {
  /** Consecutive indices starting at the current tree size. */
  readonly entries: readonly NewEntry[];
  /** Every perfect subtree completed by appending the entries. */
  readonly nodes: readonly NewNode[];
  /** The signed checkpoint for the tree after the batch. */
  readonly checkpoint: StoredCheckpoint;
}

export interface LeafRecord {
  readonly index: number;
  readonly kind: EntryFacts['kind'];
  /** The fleet of an evidence or key set entry. */
  readonly fleetId: string | undefined;
}

export interface KeysetRecord {
  readonly index: number;
  readonly version: number;
  readonly evidenceIndex: number;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly leafHash: Hash;
}

export interface FleetHistory {
  readonly fleetId: string;
  readonly keysets: readonly KeysetRecord[];
}

export interface TokenRecord {
  readonly name: string;
  readonly createdAtMs: number;
  readonly revokedAtMs: number | undefined;
}

export interface WitnessStateRecord {
  readonly witness: string;
  /** The tree size this witness last acknowledged (cosigned or reported in a 409). */
  readonly size: number;
  readonly updatedAtMs: number;
}

export interface CosignatureRecord {
  readonly witness: string;
  /** The signature line, with its trailing newline, as the witness sent it (already verified). */
  readonly line: string;
}

/** Everything needed to resume the log after a restart. */
export interface LogHead {
  readonly origin: string;
  readonly vkey: string;
  readonly checkpoint: StoredCheckpoint;
  /** Number of stored entries; must equal checkpoint.size. */
  readonly entryCount: number;
  /** Size of the newest checkpoint that met the witness quorum (fail-open logs do not record it). */
  readonly publishedSize: number;
}

export interface LogStorage {
  // --- writer side (the sequencer; one caller at a time) ---
  head(): Promise<LogHead>;
  appendBatch(batch: IntegratedBatch): Promise<void>;
  /** Looks up stored leaf hashes (dedup and evidence references). Missing hashes are absent. */
  findLeaves(hashes: readonly Hash[]): Promise<Map<string, LeafRecord>>;

  // --- tree reads ---
  /** Perfect subtree hashes; every node must lie inside the stored tree. */
  readNodes(nodes: readonly NodeId[]): Promise<Hash[]>;
  /** `count` consecutive hashes of tree level `level` from `start`, concatenated (32 bytes each). */
  readLevelHashes(level: number, start: number, count: number): Promise<Uint8Array>;
  readEntries(start: number, count: number): Promise<Uint8Array[]>;
  /**
   * The stored gzip of full entry bundle `tile` (entries tile * 256 .. + 255), one indexed read.
   * `appendBatch` stores it in the batch that completes the bundle; undefined only for a bundle
   * completed by an older fleetlog and not yet compressed (`storeBundleGzip`).
   */
  readBundleGzip(tile: number): Promise<Uint8Array | undefined>;
  /**
   * Stores the gzip of a full bundle that has none (lazily, for databases an older fleetlog wrote).
   * Derived from immutable entries, so any process may store it; an existing one is kept.
   */
  storeBundleGzip(tile: number, gzip: Uint8Array): Promise<void>;
  checkpointAt(size: number): Promise<StoredCheckpoint | undefined>;

  // --- fleet index ---
  /** Fleets ordered by id, starting after `afterFleetId`, at most `limit`. */
  listFleets(afterFleetId: string, limit: number): Promise<FleetHistory[]>;
  /**
   * One past the newest stored key set's log index (0 when none): key sets are only ever appended,
   * so any change to what `listFleets` returns changes this. One cheap indexed read.
   */
  keysetMark(): Promise<number>;
  /**
   * Stored key sets with a log index of at least `fromIndex`, in index order, at most `limit`: what
   * was stored since a `keysetMark`, so a reader can keep a copy of the fleet index current.
   */
  keysetsFrom(fromIndex: number, limit: number): Promise<Array<KeysetRecord & { readonly fleetId: string }>>;
  /** The newest key set of a fleet whose index is below `treeSize`. */
  latestKeyset(fleetId: string, treeSize: number): Promise<KeysetRecord | undefined>;

  // --- publication and witnesses ---
  setPublishedSize(size: number): Promise<void>;
  witnessStates(): Promise<WitnessStateRecord[]>;
  /** Records what a witness acknowledged; the cosignature line, if any, is for checkpoint `size`. */
  recordWitness(witness: string, size: number, cosignatureLine: string | undefined): Promise<void>;
  cosignaturesFor(size: number): Promise<CosignatureRecord[]>;

  // --- submitter tokens (stored as SHA-256 hashes; the token itself is never stored) ---
  addToken(name: string, tokenHash: Uint8Array): Promise<void>;
  revokeToken(name: string): Promise<boolean>;
  listTokens(): Promise<TokenRecord[]>;
  /** The name of the active token with this hash, if any. */
  findActiveToken(tokenHash: Uint8Array): Promise<string | undefined>;

  close(): Promise<void>;
}
