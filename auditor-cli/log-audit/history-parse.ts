/**
 * Strict reading of the fleet history saved in an `audit log` state or progress file
 * (fleet-history.ts): every field is checked and copied, nothing else is kept, so a damaged or
 * hand-edited file is refused with one line instead of misleading the rules of the next run. The
 * bounds the writer keeps (window, events per fleet, fleets without key sets) are enforced too, so a
 * file cannot make a run hold more than it would have saved.
 * Also migrates the history of a v1 file (it kept every evidence entry's HSM keys) and of a v2 file
 * (a hash prefix and index for every evidence entry): only the last EVIDENCE_WINDOW are kept.
 */
import { FleetlogError } from '../../core/errors.ts';
import { EVIDENCE_PREFIX_HEX, EVIDENCE_WINDOW, type WindowEntry } from './evidence-window.ts';
import {
  eventsKept,
  MAX_EVENT_REGIONS,
  MAX_EVIDENCE_ONLY_FLEETS,
  type FleetHistoryState,
  type FleetRecord,
  type HistoryRule,
  type PendingKeyset,
  type TimelineEvent,
  type Violation,
} from './fleet-history.ts';

/** Which writer's history: v3 (this one), v2 or v1 (migrated). */
export type HistoryVersion = 1 | 2 | 3;

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

const HASH = /^[0-9a-f]{64}$/;
const hash = (v: unknown): string => {
  if (typeof v !== 'string' || !HASH.test(v)) throw new Bad();
  return v;
};

function event(v: Record<string, unknown>): TimelineEvent {
  if (v.kind === 'deployment') {
    const regions = arr(v.regions).map(str);
    if (regions.length > MAX_EVENT_REGIONS) throw new Bad();
    return {
      index: int(v.index),
      kind: 'deployment',
      leafHash: hash(v.leafHash),
      hsms: int(v.hsms),
      regions,
      firmware: str(v.firmware),
      ok: bool(v.ok),
      ...opt(v, 'referenced', bool),
    } as TimelineEvent;
  }
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

function fleet(v: Record<string, unknown>, version: HistoryVersion, size: number): FleetRecord {
  const events = arr(v.events)
    .map(obj)
    // v1 deployment events lack fields this version shows: they are dropped (and counted).
    .filter((e) => !(version === 1 && e.kind === 'deployment'))
    .map(event);
  const keysets = int(v.keysets);
  if (
    events.length > eventsKept({ keysets }) ||
    events.some((e, n) => e.index >= size || (n > 0 && e.index <= events[n - 1]!.index))
  )
    throw new Bad();
  return {
    ...opt(v, 'maxVersion', int),
    ...opt(v, 'version', int),
    ...opt(v, 'leafHash', hash),
    ...opt(v, 'index', int),
    ...opt(v, 'notBefore', num),
    ...opt(v, 'notAfter', num),
    keysets,
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

/** A v3 window: [prefix, index] pairs, indices ascending and in the tree, at most EVIDENCE_WINDOW. */
function evidenceWindow(v: unknown, size: number): WindowEntry[] {
  const list = arr(v).map((pair): WindowEntry => {
    const [prefix, index, ...rest] = arr(pair);
    if (rest.length > 0 || typeof prefix !== 'string' || !PREFIX.test(prefix)) throw new Bad();
    return [prefix, int(index)];
  });
  if (list.length > EVIDENCE_WINDOW || list.some(([, i], n) => i >= size || (n > 0 && i <= list[n - 1]![1])))
    throw new Bad();
  return list;
}

/** The window of a v2 history (`evidenceAt: {prefix: [index...]}`): its last EVIDENCE_WINDOW entries. */
function windowOfV2(v: unknown): WindowEntry[] {
  const list = entries(v).flatMap(([prefix, at]) => {
    const indices = arr(at).map(int);
    if (!PREFIX.test(prefix) || indices.length === 0) throw new Bad();
    return indices.map((i): WindowEntry => [prefix, i]);
  });
  return list.sort((a, b) => a[1] - b[1]).slice(-EVIDENCE_WINDOW);
}

/** The window of a v1 history (`evidence: {leafHash: {index, ...}}`). */
function windowOfV1(v: unknown): WindowEntry[] {
  const list = entries(v).map(
    ([leaf, e]): WindowEntry => [hash(leaf).slice(0, EVIDENCE_PREFIX_HEX), int(obj(e).index)],
  );
  return list.sort((a, b) => a[1] - b[1]).slice(-EVIDENCE_WINDOW);
}

function pendingKeyset(v: Record<string, unknown>, size: number): PendingKeyset {
  const index = int(v.index);
  if (index >= size) throw new Bad();
  return {
    index,
    fleetId: str(v.fleetId),
    version: int(v.version),
    evidence: hash(v.evidence),
    keys: arr(v.keys)
      .map(obj)
      .map((k) => ({ hsmId: str(k.hsmId), alg: str(k.alg), publicKey: str(k.publicKey) })),
  };
}

/**
 * Fleets without key sets beyond MAX_EVIDENCE_ONLY_FLEETS (an older file kept them all): the
 * earliest are kept, the others' deployments are counted. A v3 file holding more is refused.
 */
function capEvidenceOnly(
  fleets: Array<[string, FleetRecord]>,
  migrate: boolean,
): { fleets: Array<[string, FleetRecord]>; dropped: number } {
  const only = fleets.filter(([, f]) => f.keysets === 0).sort(([, a], [, b]) => a.firstIndex - b.firstIndex);
  if (only.length <= MAX_EVIDENCE_ONLY_FLEETS) return { fleets, dropped: 0 };
  if (!migrate) throw new Bad();
  const drop = new Set(only.slice(MAX_EVIDENCE_ONLY_FLEETS).map(([id]) => id));
  const dropped = fleets.filter(([id]) => drop.has(id)).reduce((n, [, f]) => n + f.deployments, 0);
  return { fleets: fleets.filter(([id]) => !drop.has(id)), dropped };
}

/**
 * The fleet history of a state file whose tree has `size` leaves, written by history `version`
 * (older ones are migrated). Throws FleetlogError('io') on anything malformed.
 */
export function parseFleetHistory(value: unknown, size: number, version: HistoryVersion = 3): FleetHistoryState {
  try {
    const v = obj(value);
    const counts = obj(v.violationCounts);
    const migrate = version < 3;
    const capped = capEvidenceOnly(
      entries(v.fleets).map(([id, f]) => [id, fleet(obj(f), version, size)]),
      migrate,
    );
    const window = version === 1 ? windowOfV1(v.evidence) : version === 2 ? windowOfV2(v.evidenceAt) : v.evidenceWindow;
    const pending =
      v.pending === undefined || migrate
        ? undefined
        : arr(v.pending)
            .map(obj)
            .map((p) => pendingKeyset(p, size));
    return {
      fleets: record(capped.fleets),
      evidenceWindow: evidenceWindow(window, size),
      untrackedDeployments: (migrate ? 0 : int(v.untrackedDeployments)) + capped.dropped,
      keyOwners: record(entries(v.keyOwners).map(([k, f]) => [k, str(f)])),
      violations: arr(v.violations).map(obj).map(violation),
      violationCounts: Object.fromEntries(
        Object.entries(counts).map(([rule, n]) => {
          if (!RULES.includes(rule as HistoryRule)) throw new Bad();
          return [rule, int(n)];
        }),
      ),
      warnings: arr(v.warnings ?? (version === 1 ? [] : undefined))
        .map(obj)
        .map(violation),
      warningCount: int(v.warningCount ?? (version === 1 ? 0 : undefined)),
      entries: int(v.entries),
      keysets: int(v.keysets),
      deployments: int(v.deployments),
      ...(pending && pending.length > 0 ? { pending } : {}),
    };
  } catch (e) {
    if (e instanceof Bad) throw new FleetlogError('io', 'audit state file has a malformed fleet history');
    throw e;
  }
}
