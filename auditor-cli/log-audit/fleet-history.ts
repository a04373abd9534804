/**
 * The fleet rules of specs/audit.md Part B, applied to every entry of a fleetlog log in log order.
 * The per-entry checks (decoding, signatures, attestations) arrive pre-computed from the workers
 * (entry-summary.ts); this file holds what needs the history (B.2) and applies, per key set (B.3):
 *   F1 (step 1)  both signatures verify under the pinned publisher and countersigner keys;
 *   F2 (step 6)  its evidence was logged BEFORE it, verifies (E1-E4), and attests its keys (K1-K2);
 *   F3 (step 7)  its version is greater than every earlier key set's of the fleet;
 *   F4           no public key (its hex, whatever the alg) appears in key sets of two fleets;
 *   F5 (step 8)  W2: it does not start before the key set it replaces; W3 (warning): it does not
 *                expire before it. (W1, notBefore < notAfter, is enforced by decoding.)
 * and to every entry L4: it is a well-formed fleetlog entry.
 * Everything it remembers is a plain JSON object, saved in the audit state so a later run resumes.
 * The saved part stays small: per fleet only what F3/F5 compare and its key set events, the keys of
 * key sets (F4), and per deployment-evidence entry only a 64-bit leaf hash prefix and its index. A
 * key set whose evidence was audited in an earlier run has that entry fetched back from the log
 * (resolveEvidence) and re-checked; its full leaf hash, named by the key set, authenticates it.
 */
import { count as plural } from '../../cli/plural.ts';
import type { StepNumber } from '../../core/audit/steps.ts';
import type { DeploymentEvidence, HsmRecord } from '../../core/entries/deployment-evidence.ts';
import { keysetEvidenceProblems, type FleetKeyset } from '../../core/entries/fleet-keyset.ts';
import { check, type CheckResult } from '../report.ts';
import type { EntrySummary } from './entry-summary.ts';

/** Timeline events kept per fleet (the most recent); counts cover the rest. */
export const EVENTS_PER_FLEET = 20;
/** Violations and warnings kept with their details; later ones are only counted. */
const MAX_KEPT = 200;

export type HistoryRule = 'L4' | 'F1' | 'F2' | 'F3' | 'F4' | 'F5';

const RULES: ReadonlyArray<{ rule: HistoryRule; step?: StepNumber; title: string }> = [
  { rule: 'L4', title: 'every entry is a well-formed fleetlog entry' },
  { rule: 'F1', step: 1, title: 'key set signatures (publisher and countersigner)' },
  { rule: 'F2', step: 6, title: 'deployment evidence logged earlier and valid' },
  { rule: 'F3', step: 7, title: 'key set versions strictly increase within each fleet' },
  { rule: 'F4', title: 'no key reused across fleets' },
  { rule: 'F5', step: 8, title: 'validity windows make sense' },
];

export interface Violation {
  readonly index: number;
  readonly rule: HistoryRule;
  readonly step?: StepNumber;
  readonly fleetId?: string;
  readonly message: string;
}

export type TimelineEvent =
  | {
      readonly index: number;
      readonly kind: 'deployment';
      readonly leafHash: string;
      readonly hsms: number;
      readonly regions: readonly string[];
      readonly firmware: string;
      readonly ok: boolean;
      /** Set when a key set of this run references it (deployment events are not saved). */
      referenced?: boolean;
    }
  | {
      readonly index: number;
      readonly kind: 'keyset';
      readonly version: number;
      readonly keys: number;
      readonly notBefore: number;
      readonly notAfter: number;
      readonly evidenceIndex?: number;
      readonly ok: boolean;
    };

export interface FleetRecord {
  /** Highest version among the fleet's key sets so far (F3). */
  maxVersion?: number;
  /** The latest key set by index: its version, leaf hash, index and window (F5 compares with it). */
  version?: number;
  leafHash?: string;
  index?: number;
  notBefore?: number;
  notAfter?: number;
  keysets: number;
  deployments: number;
  firstIndex: number;
  /** The most recent events, oldest first (only key set events are saved: savedHistory). */
  events: TimelineEvent[];
}

/** A deployment-evidence entry as the key set rules need it: held in memory only, never saved. */
export interface EvidenceRecord {
  readonly index: number;
  readonly leafHash: string;
  readonly fleetId: string;
  readonly ok: boolean;
  readonly problem?: string;
  readonly hsms: ReadonlyArray<Pick<HsmRecord, 'id' | 'keys'>>;
}

/** Hex characters of a leaf hash kept in evidenceAt: 64 bits, enough to find an entry, not to trust it. */
export const EVIDENCE_PREFIX_HEX = 16;

/** Fetches back (from the log) the entry at an index of the audited tree, summarized; see resolveEvidence. */
export type EvidenceResolver = (index: number) => Promise<EntrySummary>;

export interface FleetHistoryState {
  fleets: Record<string, FleetRecord>;
  /**
   * Deployment evidence by the first EVIDENCE_PREFIX_HEX hex characters of its leaf hash: the
   * indices (ascending) of the entries with that prefix. A key set's full evidence hash decides.
   */
  evidenceAt: Record<string, number[]>;
  /** Public key (lowercase hex) -> the fleet whose key set first listed it. */
  keyOwners: Record<string, string>;
  violations: Violation[];
  violationCounts: Partial<Record<HistoryRule, number>>;
  warnings: Violation[];
  warningCount: number;
  entries: number;
  keysets: number;
  deployments: number;
}

export function emptyHistory(): FleetHistoryState {
  return {
    fleets: {},
    evidenceAt: {},
    keyOwners: {},
    violations: [],
    violationCounts: {},
    warnings: [],
    warningCount: 0,
    entries: 0,
    keysets: 0,
    deployments: 0,
  };
}

export interface KeysetEvent {
  readonly index: number;
  readonly fleetId: string;
  readonly version: number;
  readonly keys: number;
  readonly ok: boolean;
}

const stepOf = (rule: HistoryRule): StepNumber | undefined => RULES.find((r) => r.rule === rule)!.step;
const iso = (t: number): string => new Date(t * 1000).toISOString();

export class FleetHistory {
  /** Key sets, violations and warnings found in this run (the monitor alerts on them). */
  readonly newKeysets: KeysetEvent[] = [];
  readonly newViolations: Violation[] = [];
  readonly newWarnings: Violation[] = [];

  /** Evidence entries of this run by index (earlier runs' are fetched back through the resolver). */
  readonly #recent = new Map<number, EvidenceRecord>();

  /**
   * `resolve` fetches back an entry audited in an earlier run, when a key set references it; without
   * one, only this run's evidence can be found (fine for a run from scratch).
   */
  constructor(
    readonly state: FleetHistoryState,
    private readonly resolve?: EvidenceResolver,
  ) {}

  /** Applies the rules to the entry at `index`; a promise only when earlier evidence must be fetched. */
  apply(index: number, summary: EntrySummary): void | Promise<void> {
    this.state.entries += 1;
    if (summary.kind === 'invalid')
      this.#violate(index, 'L4', undefined, `entry ${index} is not a valid fleetlog entry: ${summary.reason}`);
    else if (summary.kind === 'evidence') this.#evidence(index, summary);
    else {
      const found = this.#findEvidence(index, summary.evidence);
      if (found instanceof Promise) return found.then((ev) => this.#keyset(index, summary, ev));
      this.#keyset(index, summary, found);
    }
  }

  /** The earliest evidence entry before `before` whose leaf hash is `hash`. */
  #findEvidence(before: number, hash: string): EvidenceRecord | undefined | Promise<EvidenceRecord | undefined> {
    const prefix = hash.slice(0, EVIDENCE_PREFIX_HEX);
    const at = Object.hasOwn(this.state.evidenceAt, prefix) ? this.state.evidenceAt[prefix]! : [];
    const candidates = at.filter((i) => i < before);
    const older = candidates.filter((i) => !this.#recent.has(i));
    if (older.length === 0 || !this.resolve) {
      return candidates.map((i) => this.#recent.get(i)).find((r) => r?.leafHash === hash);
    }
    const resolve = this.resolve;
    return (async () => {
      for (const i of candidates) {
        let rec = this.#recent.get(i);
        if (!rec) {
          const s = await resolve(i);
          if (s.kind !== 'evidence' || s.leafHash.slice(0, EVIDENCE_PREFIX_HEX) !== prefix)
            throw new EvidenceChanged(i);
          rec = evidenceRecord(i, s);
        }
        if (rec.leafHash === hash) return rec;
      }
      return undefined;
    })();
  }

  #fleet(fleetId: string, index: number): FleetRecord {
    let f = Object.hasOwn(this.state.fleets, fleetId) ? this.state.fleets[fleetId] : undefined;
    if (!f) {
      f = { keysets: 0, deployments: 0, firstIndex: index, events: [] };
      this.state.fleets[fleetId] = f;
    }
    return f;
  }

  #event(f: FleetRecord, e: TimelineEvent): void {
    f.events.push(e);
    if (f.events.length > EVENTS_PER_FLEET) f.events.shift();
  }

  #violation(index: number, rule: HistoryRule, fleetId: string | undefined, message: string): Violation {
    const step = stepOf(rule);
    return {
      index,
      rule,
      ...(step !== undefined ? { step } : {}),
      ...(fleetId !== undefined ? { fleetId } : {}),
      message,
    };
  }

  #violate(index: number, rule: HistoryRule, fleetId: string | undefined, message: string): void {
    const v = this.#violation(index, rule, fleetId, message);
    this.state.violationCounts[rule] = (this.state.violationCounts[rule] ?? 0) + 1;
    if (this.state.violations.length < MAX_KEPT) this.state.violations.push(v);
    if (this.newViolations.length < MAX_KEPT) this.newViolations.push(v);
  }

  #warn(index: number, rule: HistoryRule, fleetId: string, message: string): void {
    const w = this.#violation(index, rule, fleetId, message);
    this.state.warningCount += 1;
    if (this.state.warnings.length < MAX_KEPT) this.state.warnings.push(w);
    if (this.newWarnings.length < MAX_KEPT) this.newWarnings.push(w);
  }

  #evidence(index: number, s: Extract<EntrySummary, { kind: 'evidence' }>): void {
    const ok = s.problems.length === 0;
    // Evidence that does not verify fails F2 only when a key set relies on it (spec B.3). The same
    // bytes logged twice are the same evidence; the first (earliest) one counts (#findEvidence).
    const prefix = s.leafHash.slice(0, EVIDENCE_PREFIX_HEX);
    if (Object.hasOwn(this.state.evidenceAt, prefix)) this.state.evidenceAt[prefix]!.push(index);
    else this.state.evidenceAt[prefix] = [index];
    this.#recent.set(index, evidenceRecord(index, s));
    const f = this.#fleet(s.fleetId, index);
    f.deployments += 1;
    this.state.deployments += 1;
    this.#event(f, {
      index,
      kind: 'deployment',
      leafHash: s.leafHash,
      hsms: s.hsms.length,
      regions: [...new Set(s.hsms.map((h) => h.region))],
      firmware: s.firmware,
      ok,
    });
  }

  #keyset(index: number, s: Extract<EntrySummary, { kind: 'keyset' }>, ev: EvidenceRecord | undefined): void {
    const before = this.#total();
    const what = `key set at ${index} (fleet ${s.fleetId} v${s.version})`;
    const fail = (rule: HistoryRule, message: string): void =>
      this.#violate(index, rule, s.fleetId, `${what}: ${message}`);

    if (!s.publisherOk) fail('F1', `publisher signature by ${s.publisher} is missing, by an unpinned key, or invalid`);
    if (!s.countersignerOk)
      fail('F1', `counter-signature by ${s.countersigner} is missing, by an unpinned key, or invalid`);

    if (!ev) {
      fail('F2', `its evidence ${s.evidence.slice(0, 16)}… was not logged before it`);
    } else {
      const fleet = Object.hasOwn(this.state.fleets, ev.fleetId) ? this.state.fleets[ev.fleetId] : undefined;
      const shown = fleet?.events.find((e) => e.index === ev.index);
      if (shown?.kind === 'deployment') shown.referenced = true;
      if (!ev.ok) fail('F2', `its evidence at ${ev.index} does not verify: ${ev.problem ?? ''}`);
      // keysetEvidenceProblems reads only the fleet id and each HSM's id and keys.
      const evidenceView = { fleetId: ev.fleetId, hsms: ev.hsms } as unknown as DeploymentEvidence;
      const keysetView = { fleetId: s.fleetId, keys: s.keys } as unknown as FleetKeyset;
      for (const p of keysetEvidenceProblems(keysetView, evidenceView)) fail('F2', p);
    }

    const f = this.#fleet(s.fleetId, index);
    if (f.maxVersion !== undefined && s.version <= f.maxVersion)
      fail('F3', `version ${s.version} is not greater than version ${f.maxVersion} logged before it`);
    for (const k of s.keys) {
      const owner = Object.hasOwn(this.state.keyOwners, k.publicKey) ? this.state.keyOwners[k.publicKey] : undefined;
      if (owner === undefined) this.state.keyOwners[k.publicKey] = s.fleetId;
      else if (owner !== s.fleetId)
        fail('F4', `key ${k.publicKey.slice(0, 16)}… (HSM ${k.hsmId}) is already used by fleet ${owner}`);
    }
    if (f.notBefore !== undefined && s.notBefore < f.notBefore)
      fail('F5', `it becomes valid at ${iso(s.notBefore)}, before the key set it replaces (${iso(f.notBefore)})`);
    if (f.notAfter !== undefined && s.notAfter < f.notAfter)
      this.#warn(
        index,
        'F5',
        s.fleetId,
        `${what}: it expires at ${iso(s.notAfter)}, before the key set it replaces (${iso(f.notAfter)})`,
      );

    const ok = this.#total() === before;
    f.maxVersion = Math.max(f.maxVersion ?? 0, s.version);
    f.version = s.version;
    f.leafHash = s.leafHash;
    f.index = index;
    f.notBefore = s.notBefore;
    f.notAfter = s.notAfter;
    f.keysets += 1;
    this.state.keysets += 1;
    this.#event(f, {
      index,
      kind: 'keyset',
      version: s.version,
      keys: s.keys.length,
      notBefore: s.notBefore,
      notAfter: s.notAfter,
      ...(ev ? { evidenceIndex: ev.index } : {}),
      ok,
    });
    this.newKeysets.push({ index, fleetId: s.fleetId, version: s.version, keys: s.keys.length, ok });
  }

  #total(): number {
    let n = 0;
    for (const c of Object.values(this.state.violationCounts)) n += c ?? 0;
    return n;
  }
}

/** A log now serves, at an index audited before, an entry that is not the evidence audited there. */
export class EvidenceChanged extends Error {
  constructor(readonly index: number) {
    super(`entry ${index} is no longer the deployment evidence audited there before`);
    this.name = 'EvidenceChanged';
  }
}

function evidenceRecord(index: number, s: Extract<EntrySummary, { kind: 'evidence' }>): EvidenceRecord {
  const hsms = s.hsms.map((h) => ({ id: h.id, keys: h.keys }));
  const base = { index, leafHash: s.leafHash, fleetId: s.fleetId, hsms };
  return s.problems.length === 0 ? { ...base, ok: true } : { ...base, ok: false, problem: s.problems.join('; ') };
}

/**
 * The part of the history to save: deployment events are dropped from the timelines (they are
 * counted, and shown in the run that finds them), so the state does not grow with evidence entries.
 */
export function savedHistory(state: FleetHistoryState): FleetHistoryState {
  // fromEntries defines own properties, so even a fleet named __proto__ stays a fleet.
  const fleets = Object.fromEntries(
    Object.entries(state.fleets).map(([id, f]) => [id, { ...f, events: f.events.filter((e) => e.kind === 'keyset') }]),
  );
  return { ...state, fleets };
}

/** One check per rule over the whole audited history (earlier runs included). */
export function historyChecks(state: FleetHistoryState): CheckResult[] {
  return RULES.map(({ rule, step, title }) => {
    const count = state.violationCounts[rule] ?? 0;
    const examples = state.violations.filter((v) => v.rule === rule).slice(0, 3);
    const reason =
      count === 0
        ? passReason(rule, state)
        : `${count} violation${count === 1 ? '' : 's'}: ${examples.map((v) => v.message).join(' | ')}${count > examples.length ? ' | …' : ''}`;
    return { ...check(step, title, count === 0, reason), rule };
  });
}

function passReason(rule: HistoryRule, s: FleetHistoryState): string {
  const fleets = Object.keys(s.fleets).length;
  switch (rule) {
    case 'L4':
      return `${plural(s.entries, 'entry', 'entries')}: ${s.deployments} deployment evidence, ${plural(s.keysets, 'key set')}`;
    case 'F1':
      return `${s.keysets === 1 ? 'the 1 key set' : `all ${s.keysets} key sets`} signed by a pinned publisher and counter-signed by a pinned countersigner`;
    case 'F2':
      return `every key set's evidence was logged before it, verifies, and attests its keys`;
    case 'F3':
      return fleets === 1
        ? 'versions strictly increase in the 1 fleet'
        : `versions strictly increase in all ${fleets} fleets`;
    case 'F4':
      return `${plural(Object.keys(s.keyOwners).length, 'distinct key')}, each in one fleet only`;
    case 'F5':
      return s.warningCount > 0
        ? `no key set starts before the one it replaces (${s.warningCount} warning${s.warningCount === 1 ? '' : 's'}: expires before it)`
        : 'no key set starts before the one it replaces';
  }
}
