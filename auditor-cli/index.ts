/**
 * The auditor's programmatic API: the same checks as `fleetlog audit …`, returning result objects
 * instead of printing. Every function re-verifies everything it receives; none trusts the server.
 *
 *   auditFleet       the trust decision for a fleet key set (specs/audit.md steps 1-8)
 *   auditProof       an offline tlog-proof (or fleet bundle) and its entry
 *   auditCheckpoint  steps 3, 4, 5 for a log's current checkpoint
 *   auditInclusion   step 2 for one entry, proof computed from tiles
 *   auditConsistency step 5 between an earlier tree and the current one, proof from tiles
 *   exportProof      an offline tlog-proof for one entry
 *   auditLog         the full audit of any tlog-tiles log (resumable with its state)
 *   monitorOnce / runMonitor  follow a log and raise alerts
 */
export { auditFleet, type AuditFleetOptions, type AuditFleetResult } from './fleet-audit.ts';
export { auditProof, type ProofAuditResult } from './proof-audit.ts';
export {
  auditCheckpoint,
  auditConsistency,
  auditInclusion,
  type CheckpointResult,
  type InclusionResult,
  type LiveResult,
} from './low-level.ts';
export { exportProof, type ExportProofResult } from './export-proof.ts';
export { auditLog, type AuditLogOptions, type AuditLogResult, type AuditProgress } from './log-audit/audit-log.ts';
export { parseLogAuditState, serializeLogAuditState, type LogAuditState } from './log-audit/log-state.ts';
export type { FleetHistoryState, KeysetEvent, Violation } from './log-audit/fleet-history.ts';
export {
  monitorOnce,
  runMonitor,
  type Alert,
  type AlertKind,
  type MonitorOptions,
  type MonitorRound,
} from './monitor.ts';
export { TilesClient } from './tiles-client.ts';
export { consistencyProofFromTiles, inclusionProofFromTiles, TileNodeReader, type ProofStep } from './tile-proofs.ts';
export { formatCheck, type CheckResult } from './report.ts';
export { loadPolicyFile } from './files.ts';
