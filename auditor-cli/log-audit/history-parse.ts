/**
 * Strict reading of the fleet history saved in an `audit log` state or progress file
 * (fleet-history.ts): every field is checked and copied, nothing else is kept, so a damaged or
 * hand-edited file is refused with one line instead of misleading the rules of the next run.
 * Also migrates the history of a v1 file, which kept every evidence entry's HSM keys.
 */
import { FleetlogError } from '../../core/errors.ts';
import {
  EVIDENCE_PREFIX_HEX,
  type FleetHistoryState,
  type FleetRecord,
  type HistoryRule,
  type TimelineEvent,
  type Violation,
} from './fleet-history.ts';

const RULES: readonly HistoryRule[] = ['L4', 'F1', 'F2', 'F3', 'F4', 'F5'];
const PREFIX = new RegExp(`^[0-9a-f]{${EVIDENCE_PREFIX_HEX}}$`);

class Bad extends Error {}

const obj = (v: unknown): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Bad();
  return v as Record<string, unknown>;
};
const int = (v: unknown): number => {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Bad();
  return v as number;
};
const num = (v: unknown): number => {
  if (!Number.isSafeInteger(v)) throw new Bad();
  return v as number;
};
const str = (v: unknown): string => {
  if (typeof v !== 'string') throw new Bad();
  return v;
};
const bool = (v: unknown): boolean => {
  if (typeof v !== 'boolean') throw new Bad();
  return v;
};
const arr = (v: unknown): unknown[] => {
  if (!Array.isArray(v)) throw new Bad();
  return v;
};
const opt = <T>(v: Record<string, unknown>, key: string, read: (x: unknown) => T): { [k: string]: T } =>
  v[key] === undefined ? {} : { [key]: read(v[key]) };
/** An object used as a map, with no inherited keys (`__proto__` included) in play. */
const entries = (v: unknown): Array<[string, unknown]> => Object.entries(obj(v));
/** fromEntries defines own properties: a key named __proto__ stays a key. */
const record = <T>(pairs: Array<[string, T]>): Record<string, T> => Object.fromEntries(pairs);

function keysetEvent(v: Record<string, unknown>): TimelineEvent {
  if (v.kind !== 'keyset') throw new Bad();
  return {
    index: int(v.index),
    kind: 'keyset',
    version: int(v.version),
    keys: int(v.keys),
    notBefore: num(v.notBefore),
    notAfter: num(v.notAfter),
    ...opt(v, 'evidenceIndex', int),
    ok: bool(v.ok),
  } as TimelineEvent;
}

function fleet(v: Record<string, unknown>, migrate: boolean): FleetRecord {
  const events = arr(v.events)
    .map(obj)
    .filter((e) => !(migrate && e.kind === 'deployment'))
    .map(keysetEvent);
  return {
    ...opt(v, 'maxVersion', int),
    ...opt(v, 'version', int),
    ...opt(v, 'leafHash', (x) => {
      if (typeof x !== 'string' || !/^[0-9a-f]{64}$/.test(x)) throw new Bad();
      return x;
    }),
    ...opt(v, 'index', int),
    ...opt(v, 'notBefore', num),
    ...opt(v, 'notAfter', num),
    keysets: int(v.keysets),
    deployments: int(v.deployments),
    firstIndex: int(v.firstIndex),
    events,
  } as FleetRecord;
}

function violation(v: Record<string, unknown>): Violation {
  const rule = v.rule as HistoryRule;
  if (!RULES.includes(rule)) throw new Bad();
  return {
    index: int(v.index),
    rule,
    ...opt(v, 'step', int),
    ...opt(v, 'fleetId', str),
    message: str(v.message),
  } as Violation;
}

function evidenceAt(v: unknown, size: number): Record<string, number[]> {
  return record(
    entries(v).map(([prefix, list]) => {
      const at = arr(list).map(int);
      if (!PREFIX.test(prefix) || at.length === 0 || at.some((i, n) => i >= size || (n > 0 && i <= at[n - 1]!)))
        throw new Bad();
      return [prefix, at];
    }),
  );
}

/** v1 kept `evidence: {leafHash: {index, ...}}`; only the index by hash prefix is still needed. */
function migratedEvidence(v: unknown, size: number): Record<string, number[]> {
  const at: Record<string, number[]> = {};
  const list = entries(v)
    .map(([hash, e]) => {
      if (!/^[0-9a-f]{64}$/.test(hash)) throw new Bad();
      return { prefix: hash.slice(0, EVIDENCE_PREFIX_HEX), index: int(obj(e).index) };
    })
    .sort((a, b) => a.index - b.index);
  for (const { prefix, index } of list) {
    if (index >= size) throw new Bad();
    if (Object.hasOwn(at, prefix)) at[prefix]!.push(index);
    else at[prefix] = [index];
  }
  return evidenceAt(at, size);
}

/**
 * The fleet history of a state file whose tree has `size` leaves; `v1`: the history of a
 * fleetlog-log-audit-state/v1 file, migrated. Throws FleetlogError('io') on anything malformed.
 */
export function parseFleetHistory(value: unknown, size: number, v1 = false): FleetHistoryState {
  try {
    const v = obj(value);
    const counts = obj(v.violationCounts);
    return {
      fleets: record(entries(v.fleets).map(([id, f]) => [id, fleet(obj(f), v1)])),
      evidenceAt: v1 ? migratedEvidence(v.evidence, size) : evidenceAt(v.evidenceAt, size),
      keyOwners: record(entries(v.keyOwners).map(([k, f]) => [k, str(f)])),
      violations: arr(v.violations).map(obj).map(violation),
      violationCounts: Object.fromEntries(
        Object.entries(counts).map(([rule, n]) => {
          if (!RULES.includes(rule as HistoryRule)) throw new Bad();
          return [rule, int(n)];
        }),
      ),
      warnings: arr(v.warnings ?? (v1 ? [] : undefined))
        .map(obj)
        .map(violation),
      warningCount: int(v.warningCount ?? (v1 ? 0 : undefined)),
      entries: int(v.entries),
      keysets: int(v.keysets),
      deployments: int(v.deployments),
    };
  } catch (e) {
    if (e instanceof Bad) throw new FleetlogError('io', 'audit state file has a malformed fleet history');
    throw e;
  }
}
