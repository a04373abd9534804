/**
 * What `audit log` remembers between runs (its --state file), so that the next run checks the new
 * checkpoint is consistent with this one and fetches only what is new:
 *   - the last audited checkpoint (origin, size, root);
 *   - the frontier: the hashes of the perfect subtrees rangeNodes(0, size), O(log n) of them, from
 *     which appending the new leaves yields the new root;
 *   - for fleetlog logs, the fleet history summary the rules need (fleet-history.ts).
 */
import type { SeenCheckpoint } from '../../core/audit/steps.ts';
import { fromHex, toHex } from '../../core/bytes.ts';
import { FleetlogError } from '../../core/errors.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import { rangeNodes } from '../../core/merkle/subtree.ts';
import type { FleetHistoryState } from './fleet-history.ts';
import { type HistoryVersion, parseFleetHistory } from './history-parse.ts';

/**
 * v3: the fleet history keeps a bounded window of recent evidence entries instead of one prefix
 * and index per evidence entry (v2) or each one's HSM keys (v1), and bounded deployment events, so
 * the file's size does not depend on how many entries the log holds (v1 and v2 files are migrated).
 */
export const LOG_AUDIT_STATE_FORMAT = 'fleetlog-log-audit-state/v3';
const OLDER_STATE_FORMATS: Record<string, HistoryVersion> = {
  'fleetlog-log-audit-state/v1': 1,
  'fleetlog-log-audit-state/v2': 2,
};

export interface LogAuditState {
  readonly checkpoint: SeenCheckpoint;
  /** Hex hashes of rangeNodes(0, checkpoint.size), largest first. */
  readonly frontier: readonly string[];
  /** Whether the fleet rules were applied (the policy had fleetlog lines). */
  readonly fleetRules: boolean;
  readonly history?: FleetHistoryState;
  readonly runs: number;
  readonly lastRun: string;
  /** When this checkpoint (size and root) was first seen, seconds since the epoch (monitor M6). */
  readonly headSeenAt?: number;
}

export function serializeLogAuditState(state: LogAuditState): string {
  return `${JSON.stringify({ format: LOG_AUDIT_STATE_FORMAT, ...state })}\n`;
}

export function parseLogAuditState(text: string): LogAuditState {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new FleetlogError('io', 'audit state file is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new FleetlogError('io', `audit state file is not a ${LOG_AUDIT_STATE_FORMAT} document`);
  const older = typeof v.format === 'string' && Object.hasOwn(OLDER_STATE_FORMATS, v.format);
  const version: HistoryVersion = older ? OLDER_STATE_FORMATS[v.format as string]! : 3;
  if (v.format !== LOG_AUDIT_STATE_FORMAT && !older) {
    throw new FleetlogError(
      'io',
      `audit state file is not a ${LOG_AUDIT_STATE_FORMAT} document (audit fleet/checkpoint use a different state file)`,
    );
  }
  const cp = v.checkpoint as SeenCheckpoint | undefined;
  if (
    !(
      cp &&
      typeof cp.origin === 'string' &&
      Number.isSafeInteger(cp.size) &&
      cp.size >= 0 &&
      typeof cp.rootHash === 'string' &&
      /^[0-9a-f]{64}$/.test(cp.rootHash)
    )
  ) {
    throw new FleetlogError('io', 'audit state file has a malformed checkpoint');
  }
  const frontier = v.frontier;
  if (
    !Array.isArray(frontier) ||
    frontier.length !== rangeNodes(0, cp.size).length ||
    !frontier.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))
  ) {
    throw new FleetlogError('io', 'audit state file has a malformed frontier');
  }
  const history = v.history === undefined ? undefined : parseFleetHistory(v.history, cp.size, version);
  const seen = Number.isSafeInteger(v.headSeenAt) ? { headSeenAt: v.headSeenAt as number } : {};
  const base = {
    checkpoint: { origin: cp.origin, size: cp.size, rootHash: cp.rootHash },
    frontier: frontier as string[],
    fleetRules: v.fleetRules === true,
    runs: Number(v.runs) || 0,
    lastRun: String(v.lastRun ?? ''),
    ...seen,
  };
  return history === undefined ? base : { ...base, history };
}

export function frontierHashes(state: LogAuditState): Hash[] {
  return state.frontier.map((h) => fromHex(h, 32, 'frontier hash'));
}

export function frontierHex(hashes: readonly Hash[]): string[] {
  return hashes.map((h) => toHex(h));
}

/**
 * v3 with the state file (its history may hold key sets waiting for the scan); a v2 progress file
 * is migrated like a v2 state, a v1 one is refused (the caller starts over from the state).
 */
export const PARTIAL_AUDIT_FORMAT = 'fleetlog-log-audit-partial/v3';
const PARTIAL_AUDIT_V2 = 'fleetlog-log-audit-partial/v2';

/**
 * Where an interrupted audit got to: the frontier after `size` leaves (at a full-tile boundary)
 * and the fleet history up to there. Nothing in it is verified yet: the next run continues from
 * it and checks the rebuilt root against a signed checkpoint, which vouches for every leaf.
 */
export interface PartialAudit {
  readonly origin: string;
  readonly size: number;
  readonly frontier: readonly string[];
  readonly fleetRules: boolean;
  readonly history?: FleetHistoryState;
}

export function serializePartialAudit(p: PartialAudit): string {
  return `${JSON.stringify({ format: PARTIAL_AUDIT_FORMAT, ...p })}\n`;
}

export function parsePartialAudit(text: string): PartialAudit {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new FleetlogError('io', 'audit progress file is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new FleetlogError('io', `audit progress file is not a ${PARTIAL_AUDIT_FORMAT} document`);
  if (v.format === 'fleetlog-log-audit-partial/v1')
    throw new FleetlogError(
      'io',
      'audit progress file was written by an older fleetlog (partial/v1): delete it, and the audit continues from the state file',
    );
  const size = v.size as number;
  const frontier = v.frontier;
  if (
    (v.format !== PARTIAL_AUDIT_FORMAT && v.format !== PARTIAL_AUDIT_V2) ||
    typeof v.origin !== 'string' ||
    !Number.isSafeInteger(size) ||
    size < 0 ||
    !Array.isArray(frontier) ||
    frontier.length !== rangeNodes(0, size).length ||
    !frontier.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))
  ) {
    throw new FleetlogError('io', `audit progress file is not a well-formed ${PARTIAL_AUDIT_FORMAT} document`);
  }
  const history =
    v.history === undefined ? undefined : parseFleetHistory(v.history, size, v.format === PARTIAL_AUDIT_V2 ? 2 : 3);
  const base = { origin: v.origin, size, frontier: frontier as string[], fleetRules: v.fleetRules === true };
  return history === undefined ? base : { ...base, history };
}
