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
 * The saved part is bounded whatever the log holds: per fleet with key sets only what F3/F5
 * compare and its last EVENTS_PER_FLEET events, at most MAX_EVIDENCE_ONLY_FLEETS fleets without
 * key sets, the keys of key sets (F4), and the last EVIDENCE_WINDOW evidence entries (prefix and
 * index). A key set's evidence is found in this window, else located through the log (an
 * EvidenceSource: the log's lookup, authenticated; failing that, a scan of the earlier entries for
 * every such key set of the run at once, see settle()).
 */
import { count as plural } from '../../cli/plural.ts';
import type { StepNumber } from '../../core/audit/steps.ts';
import type { DeploymentEvidence, HsmRecord } from '../../core/entries/deployment-evidence.ts';
import { keysetEvidenceProblems, type FleetKeyset } from '../../core/entries/fleet-keyset.ts';
import { check, type CheckResult } from '../report.ts';
import type { EntrySummary } from './entry-summary.ts';
import { EVIDENCE_PREFIX_HEX, EvidenceWindow, type WindowEntry } from './evidence-window.ts';

/** Timeline events kept per fleet (the most recent); counts cover the rest. */
export const EVENTS_PER_FLEET = 20;
/** Events kept for a fleet with no key set yet: its timeline matters less, and there may be 64 of them. */
export const EVENTS_PER_EVIDENCE_ONLY_FLEET = 4;
/** Fleets with deployment evidence but no key set that get a record; deployments of others are only counted. */
export const MAX_EVIDENCE_ONLY_FLEETS = 64;
/** Regions named in a deployment event (the HSM count covers the rest). */
export const MAX_EVENT_REGIONS = 8;
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
      /** At most MAX_EVENT_REGIONS of them. */
      readonly regions: readonly string[];
      readonly firmware: string;
      readonly ok: boolean;
      /** Set when a key set references it (while the event is still kept). */
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
  /** The most recent EVENTS_PER_FLEET events, oldest first. */
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

/** An entry of the audited tree, located by its leaf hash and authenticated (evidence-locator.ts). */
export interface LocatedEntry {
  readonly index: number;
  readonly summary: EntrySummary;
}

/** Where evidence audited in an earlier run (or out of the window) comes from: the log, checked. */
export interface EvidenceSource {
  /** The entry at `index` of the audited tree: a window entry audited in an earlier run. */
  at(index: number): Promise<EntrySummary>;
  /**
   * The entry with leaf hash `hash` at an index below `before`, authenticated against the audited
   * tree, when the log's lookup finds one; undefined otherwise (then settle() decides, by a scan).
   */
  lookup(hash: string, before: number): Promise<LocatedEntry | undefined>;
}

/**
 * A key set whose evidence is neither in the window nor found by the log's lookup: its F2 verdict
 * waits for the run's scan (settle). Saved only in a progress file, when a run stops before it.
 */
export interface PendingKeyset {
  readonly index: number;
  readonly fleetId: string;
  readonly version: number;
  readonly evidence: string;
  readonly keys: ReadonlyArray<{ readonly hsmId: string; readonly alg: string; readonly publicKey: string }>;
}

export interface FleetHistoryState {
  fleets: Record<string, FleetRecord>;
  /** The last EVIDENCE_WINDOW deployment-evidence entries: [leaf hash prefix, index], oldest first. */
  evidenceWindow: WindowEntry[];
  /** Deployments of fleets without a record (beyond MAX_EVIDENCE_ONLY_FLEETS without key sets). */
  untrackedDeployments: number;
  /** Public key (lowercase hex) -> the fleet whose key set first listed it. */
  keyOwners: Record<string, string>;
  violations: Violation[];
  violationCounts: Partial<Record<HistoryRule, number>>;
  warnings: Violation[];
  warningCount: number;
  entries: number;
  keysets: number;
  deployments: number;
  /** Key sets waiting for the scan (only in a progress file; a finished run settles them). */
  pending?: PendingKeyset[];
}

export function emptyHistory(): FleetHistoryState {
  return {
    fleets: {},
    evidenceWindow: [],
    untrackedDeployments: 0,
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
  ok: boolean;
}

const stepOf = (rule: HistoryRule): StepNumber | undefined => RULES.find((r) => r.rule === rule)!.step;
const iso = (t: number): string => new Date(t * 1000).toISOString();

export class FleetHistory {
  /** Key sets, violations and warnings found in this run (the monitor alerts on them). */
  readonly newKeysets: KeysetEvent[] = [];
  readonly newViolations: Violation[] = [];
  readonly newWarnings: Violation[] = [];

  readonly #window: EvidenceWindow<EvidenceRecord>;
  #evidenceOnlyFleets: number;

  /**
   * `source` fetches back and locates evidence through the log; without one, only the window's
   * evidence of this run can be found (enough for tests of the rules on a small log).
   */
  constructor(
    readonly state: FleetHistoryState,
    private readonly source?: EvidenceSource,
  ) {
    this.#window = new EvidenceWindow(state.evidenceWindow);
    this.#evidenceOnlyFleets = Object.values(state.fleets).filter((f) => f.keysets === 0).length;
  }

  /** Applies the rules to the entry at `index`; a promise only when evidence must be fetched. */
  apply(index: number, summary: EntrySummary): void | Promise<void> {
    this.state.entries += 1;
    if (summary.kind === 'invalid')
      this.#violate(index, 'L4', undefined, `entry ${index} is not a valid fleetlog entry: ${summary.reason}`);
    else if (summary.kind === 'evidence') this.#evidence(index, summary);
    else {
      const found = this.#findEvidence(index, summary.evidence);
      if (found instanceof Promise)
        return found.then((ev) =>
          ev === 'pending' ? this.#keysetPending(index, summary) : this.#keyset(index, summary, ev),
        );
      this.#keyset(index, summary, found === 'pending' ? undefined : found);
    }
  }

  /** Leaf hashes the scan must look for (settle()), and the highest index that needs one. */
  get pending(): readonly PendingKeyset[] {
    return this.state.pending ?? [];
  }

  /**
   * F2 for the pending key sets, from the scan's answer: the earliest entry with each leaf hash in
   * the audited tree (authenticated by the scan). A copy at or after the key set does not count.
   */
  settle(found: ReadonlyMap<string, LocatedEntry>): void {
    const announced = new Map(this.newKeysets.map((k) => [k.index, k]));
    for (const p of this.pending) {
      const hit = found.get(p.evidence);
      const ev =
        hit && hit.index < p.index && hit.summary.kind === 'evidence'
          ? evidenceRecord(hit.index, hit.summary)
          : undefined;
      const before = this.#total();
      this.#evidenceRule(p.index, p, ev);
      const broke = this.#total() !== before;
      const f = Object.hasOwn(this.state.fleets, p.fleetId) ? this.state.fleets[p.fleetId] : undefined;
      if (f) {
        const at = f.events.findIndex((e) => e.kind === 'keyset' && e.index === p.index);
        const e = f.events[at];
        if (e?.kind === 'keyset')
          f.events[at] = { ...e, ...(ev ? { evidenceIndex: ev.index } : {}), ok: e.ok && !broke };
      }
      const k = announced.get(p.index);
      if (k && broke) k.ok = false;
    }
    delete this.state.pending;
  }

  /** The part of the history to save (see FleetHistoryState). */
  saved(): FleetHistoryState {
    return { ...this.state, evidenceWindow: this.#window.saved() };
  }

  /**
   * The earliest evidence entry before `before` whose leaf hash is `hash`: from the window, else
   * from the log's lookup; 'pending' when only the scan can tell.
   */
  #findEvidence(before: number, hash: string): EvidenceRecord | 'pending' | Promise<EvidenceRecord | 'pending'> {
    const candidates = this.#window.candidates(hash, before);
    const older = candidates.filter((i) => this.#window.record(i) === undefined);
    if (older.length === 0 || !this.source) {
      const hit = candidates.map((i) => this.#window.record(i)).find((r) => r?.leafHash === hash);
      if (hit) return hit;
      if (!this.source) return 'pending';
      return this.#lookup(hash, before);
    }
    const source = this.source;
    return (async () => {
      for (const i of candidates) {
        let rec = this.#window.record(i);
        if (!rec) {
          const s = await source.at(i);
          if (s.kind !== 'evidence' || s.leafHash.slice(0, EVIDENCE_PREFIX_HEX) !== hash.slice(0, EVIDENCE_PREFIX_HEX))
            throw new EvidenceChanged(i);
          rec = evidenceRecord(i, s);
        }
        if (rec.leafHash === hash) return rec;
      }
      return this.#lookup(hash, before);
    })();
  }

  async #lookup(hash: string, before: number): Promise<EvidenceRecord | 'pending'> {
    const hit = await this.source!.lookup(hash, before);
    // Another kind of entry with that hash is that entry wherever it is: the scan would find it too.
    if (hit && hit.index < before && hit.summary.leafHash === hash) {
      return hit.summary.kind === 'evidence' ? evidenceRecord(hit.index, hit.summary) : 'pending';
    }
    return 'pending';
  }

  #fleet(fleetId: string, index: number, forKeyset: boolean): FleetRecord | undefined {
    let f = Object.hasOwn(this.state.fleets, fleetId) ? this.state.fleets[fleetId] : undefined;
    if (!f) {
      if (!forKeyset) {
        // Junk fleet ids in evidence must not grow the state: past the cap, they are only counted.
        if (this.#evidenceOnlyFleets >= MAX_EVIDENCE_ONLY_FLEETS) return undefined;
        this.#evidenceOnlyFleets += 1;
      }
      f = { keysets: 0, deployments: 0, firstIndex: index, events: [] };
      this.state.fleets[fleetId] = f;
    } else if (forKeyset && f.keysets === 0) this.#evidenceOnlyFleets -= 1;
    return f;
  }

  #event(f: FleetRecord, e: TimelineEvent): void {
    f.events.push(e);
    while (f.events.length > eventsKept(f)) f.events.shift();
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
    // bytes logged twice are the same evidence: any copy before the key set gives the same verdict.
    this.#window.add(s.leafHash, index, evidenceRecord(index, s));
    this.state.deployments += 1;
    const f = this.#fleet(s.fleetId, index, false);
    if (!f) {
      this.state.untrackedDeployments += 1;
      return;
    }
    f.deployments += 1;
    const regions = [...new Set(s.hsms.map((h) => h.region))].slice(0, MAX_EVENT_REGIONS);
    this.#event(f, {
      index,
      kind: 'deployment',
      leafHash: s.leafHash,
      hsms: s.hsms.length,
      regions,
      firmware: s.firmware,
      ok,
    });
  }

  /** F2 against the evidence found (or not) for the key set at `index`. */
  #evidenceRule(
    index: number,
    k: Pick<PendingKeyset, 'fleetId' | 'version' | 'evidence' | 'keys'>,
    ev: EvidenceRecord | undefined,
  ): void {
    const fail = (message: string): void =>
      this.#violate(index, 'F2', k.fleetId, `key set at ${index} (fleet ${k.fleetId} v${k.version}): ${message}`);
    if (!ev) {
      fail(`its evidence ${k.evidence.slice(0, 16)}… was not logged before it`);
      return;
    }
    const fleet = Object.hasOwn(this.state.fleets, ev.fleetId) ? this.state.fleets[ev.fleetId] : undefined;
    const shown = fleet?.events.find((e) => e.index === ev.index);
    if (shown?.kind === 'deployment') shown.referenced = true;
    if (!ev.ok) fail(`its evidence at ${ev.index} does not verify: ${ev.problem ?? ''}`);
    // keysetEvidenceProblems reads only the fleet id and each HSM's id and keys.
    const evidenceView = { fleetId: ev.fleetId, hsms: ev.hsms } as unknown as DeploymentEvidence;
    const keysetView = { fleetId: k.fleetId, keys: k.keys } as unknown as FleetKeyset;
    for (const p of keysetEvidenceProblems(keysetView, evidenceView)) fail(p);
  }

  /** A key set whose evidence only the scan can find: every rule but F2 now, F2 in settle(). */
  #keysetPending(index: number, s: Extract<EntrySummary, { kind: 'keyset' }>): void {
    const keys = s.keys.map((k) => ({ hsmId: k.hsmId, alg: k.alg, publicKey: k.publicKey }));
    const pending = { index, fleetId: s.fleetId, version: s.version, evidence: s.evidence, keys };
    // In place: a log may hold many such key sets, and copying the list each time is quadratic.
    this.state.pending ??= [];
    this.state.pending.push(pending);
    this.#keyset(index, s, 'pending');
  }

  #keyset(
    index: number,
    s: Extract<EntrySummary, { kind: 'keyset' }>,
    ev: EvidenceRecord | undefined | 'pending',
  ): void {
    const before = this.#total();
    const what = `key set at ${index} (fleet ${s.fleetId} v${s.version})`;
    const fail = (rule: HistoryRule, message: string): void =>
      this.#violate(index, rule, s.fleetId, `${what}: ${message}`);

    if (!s.publisherOk) fail('F1', `publisher signature by ${s.publisher} is missing, by an unpinned key, or invalid`);
    if (!s.countersignerOk)
      fail('F1', `counter-signature by ${s.countersigner} is missing, by an unpinned key, or invalid`);
    if (ev !== 'pending') this.#evidenceRule(index, s, ev);

    const f = this.#fleet(s.fleetId, index, true)!;
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
      ...(ev && ev !== 'pending' ? { evidenceIndex: ev.index } : {}),
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

/** How many timeline events a fleet keeps: fewer while it has no key set. */
export function eventsKept(f: Pick<FleetRecord, 'keysets'>): number {
  return f.keysets > 0 ? EVENTS_PER_FLEET : EVENTS_PER_EVIDENCE_ONLY_FLEET;
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
