/**
 * Keeping the proof of a log's misbehaviour. When `audit log` or `audit monitor` finds the log's
 * checkpoint inconsistent with the one audited before (a fork, a rollback, a split view), the
 * log-signed note it was served is the evidence: anyone holding the log's public key can check the
 * signature and compare it with the earlier tree. The log may stop serving it a moment later, so
 * it is written to a file beside the state file, named by the note's hash so that every round of a
 * monitor that keeps seeing the same note writes one file, not one per round.
 */
import { sha256 } from '../core/crypto/sha256.ts';
import { toHex, utf8 } from '../core/bytes.ts';
import { writeStateFile } from './files.ts';
import type { AuditLogResult } from './log-audit/audit-log.ts';
import { proofJson } from './output.ts';

export const INCONSISTENCY_EVIDENCE_FORMAT = 'fleetlog-inconsistency-evidence/v1';

/** Writes the evidence of a failed step 5 beside `statePath`; returns the file's path, if any. */
export function saveInconsistencyEvidence(statePath: string | undefined, r: AuditLogResult): string | undefined {
  if (statePath === undefined || r.inconsistency === undefined) return undefined;
  const { previous, note } = r.inconsistency;
  const path = `${statePath}.evidence-${toHex(sha256(utf8(note))).slice(0, 16)}.json`;
  const doc = {
    format: INCONSISTENCY_EVIDENCE_FORMAT,
    kind: r.consistency,
    origin: previous.origin,
    auditedBefore: { size: previous.size, rootHash: previous.rootHash },
    served: { size: r.size, rootHash: r.rootHash, note },
    ...(r.consistencyProof ? { consistencyProofFromTiles: proofJson(r.consistencyProof) } : {}),
  };
  writeStateFile(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}
