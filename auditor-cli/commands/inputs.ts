/** What the audit commands read from files and flags: policies, state files, proofs, old roots. */
import { EMPTY_STATE, parseState, serializeState, type ClientState } from '../../core/audit/client-state.ts';
import type { SeenCheckpoint } from '../../core/audit/steps.ts';
import { fromBase64, toHex } from '../../core/bytes.ts';
import { FleetlogError } from '../../core/errors.ts';
import type { Policy } from '../../core/policy/policy.ts';
import { loadPolicyFile, readCappedFile, readStateFile, writeStateFile } from '../files.ts';
import { parseLogAuditState, serializeLogAuditState, type LogAuditState } from '../log-audit/log-state.ts';

/** The options of every command that talks to a log (cli/options.ts timeoutOption, retriesOption). */
export interface NetworkFlags {
  readonly timeout: number;
  readonly retries: number;
}

export const network = (o: NetworkFlags): { timeoutMs: number; retries: number } => ({
  timeoutMs: o.timeout,
  retries: o.retries,
});

export function readClientState(path: string | undefined): ClientState {
  if (path === undefined) return EMPTY_STATE;
  const text = readStateFile(path);
  return text === undefined ? EMPTY_STATE : parseState(text);
}

export function saveClientState(path: string | undefined, state: ClientState): void {
  if (path !== undefined) writeStateFile(path, serializeState(state));
}

export function readLogState(path: string | undefined): LogAuditState | undefined {
  if (path === undefined) return undefined;
  const text = readStateFile(path);
  return text === undefined ? undefined : parseLogAuditState(text);
}

export function saveLogState(path: string | undefined, state: LogAuditState): void {
  if (path !== undefined) writeStateFile(path, serializeLogAuditState(state));
}

/** What `audit log` and `audit monitor` share: the policy (its text too, for the worker threads), the saved state, the thread count. */
export function logAuditInputs(o: { policy: string; state?: string; threads?: number }): {
  policy: Policy;
  policyText: string;
  state?: LogAuditState;
  workers: number | 'auto';
} {
  const { policy, text } = loadPolicyFile(o.policy);
  const state = readLogState(o.state);
  return { policy, policyText: text, ...(state ? { state } : {}), workers: o.threads ?? 'auto' };
}

export function readFileBytes(path: string, max: number, what: string): Uint8Array {
  return new Uint8Array(readCappedFile(path, max, what)!);
}

/** "Last checkpoint seen" from either kind of state file. */
export function seenFromStateFile(path: string): SeenCheckpoint {
  const text = readStateFile(path);
  if (text === undefined) throw new FleetlogError('io', `state file ${path} does not exist`);
  let seen: SeenCheckpoint | undefined;
  try {
    seen = parseState(text).checkpoint;
  } catch {
    seen = parseLogAuditState(text).checkpoint;
  }
  if (!seen) throw new FleetlogError('usage', `state file ${path} has no checkpoint yet`);
  return seen;
}

/** A consistency proof file: base64 hashes, one per line (as in tlog-witness requests). */
export function proofLines(text: string): Uint8Array[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return fromBase64(l, 32, `consistency proof line ${i + 1}`);
      } catch (e) {
        throw new FleetlogError('usage', (e as Error).message);
      }
    });
}

/** An old root from the command line: base64 (as in a checkpoint) or lowercase hex. */
export function rootArgument(text: string): string {
  if (/^[0-9a-f]{64}$/.test(text)) return text;
  try {
    return toHex(fromBase64(text, 32, '--old-root'));
  } catch {
    throw new FleetlogError('usage', '--old-root must be 32 bytes as base64 (as in a checkpoint) or lowercase hex');
  }
}
