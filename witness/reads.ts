/**
 * What the witness's HTTP reads need of its database, whichever it is: on SQLite the synchronous
 * WitnessStore (wrapped here), on PostgreSQL the PgWitnessStore itself.
 */
import type { LogSummary, StoredEvidence, WitnessStore } from './store.ts';

export interface WitnessReads {
  /** The latest cosigned checkpoint for the log whose origin hashes to `hash`. */
  cosignedNote(hash: string): Promise<string | undefined>;
  knowsOriginHash(hash: string): Promise<boolean>;
  evidence(hash?: string): Promise<StoredEvidence[]>;
  healthy(): Promise<boolean>;
  /** Stored split-view evidence documents, proven and unproven. */
  evidenceCounts(): Promise<{ proven: number; unproven: number }>;
  /** The newest timestamp on any cosignature the witness issued (seconds), or undefined if none. */
  newestCosignatureTime(): Promise<number | undefined>;
  /** Every configured log with the state cosigned for it. */
  listLogs(): Promise<LogSummary[]>;
  /** The number of configured logs, synchronously (a metrics gauge reads it); may lag a little. */
  logCount(): number;
  /** Whether the last probe of the database succeeded, synchronously (a gauge); SQLite: always. */
  reachable(): boolean;
}

export function sqliteReads(store: WitnessStore): WitnessReads {
  return {
    cosignedNote: async (hash) => store.cosignedNote(hash),
    knowsOriginHash: async (hash) => store.knowsOriginHash(hash),
    evidence: async (hash) => store.evidence(hash),
    healthy: async () => store.healthy(),
    evidenceCounts: async () => store.evidenceCounts(),
    newestCosignatureTime: async () => store.newestCosignatureTime(),
    listLogs: async () => store.listLogs(),
    logCount: () => store.logCount(),
    reachable: () => true,
  };
}
