/**
 * `audit fleet`: the client's trust decision for a fleet's current key set, every step of
 * specs/audit.md in order (core/audit/fleet-trust.ts decideFleetTrust). The auditor gathers the
 * inputs and decides nothing itself:
 *   - the fleet bundle comes from a file (offline), from fleetlog's GET /fleet-bundle/<id>, or, for
 *     a log without that endpoint, from a scan of the log's entry bundles with inclusion proofs
 *     computed from its tiles;
 *   - the step-5 consistency proof is always computed from the log's tiles, never taken from the
 *     server; everything the server sent is re-verified by the steps.
 */
import { verifyFleetBundle } from '../client/trust.ts';
import { parseFleetBundle, type FleetBundle } from '../core/audit/fleet-bundle.ts';
import type { ClientState } from '../core/audit/client-state.ts';
import type { StepNumber } from '../core/audit/steps.ts';
import type { Checkpoint } from '../core/checkpoint.ts';
import { decodeEntry, type Entry } from '../core/entries/entry.ts';
import type { FleetKey } from '../core/entries/fleet-keyset.ts';
import { FLEET_KEYSET_TYPE } from '../core/entries/fleet-keyset.ts';
import { DEPLOYMENT_EVIDENCE_TYPE } from '../core/entries/deployment-evidence.ts';
import { isFleetlogError } from '../core/errors.ts';
import type { Hash } from '../core/merkle/hash.ts';
import { leafHash } from '../core/merkle/hash.ts';
import { tilesAtLevel, TILE_WIDTH } from '../core/merkle/tiles.ts';
import { openCheckpointWithPolicy } from '../core/policy/checkpoint-trust.ts';
import type { Policy } from '../core/policy/policy.ts';
import { toHex } from '../core/bytes.ts';
import { checkConsistency, describeConsistency, type ConsistencyOutcome } from './consistency-check.ts';
import { check, skip, type CheckResult } from './report.ts';
import { inclusionProofFromTiles, proofHashes, TileNodeReader, type ProofStep } from './tile-proofs.ts';
import { TilesClient } from './tiles-client.ts';
import { fetchAndVerifyCheckpoint } from './verify-checkpoint.ts';
import { listFleets, readFleetIndex } from './fleet-index.ts';

export interface AuditFleetOptions {
  readonly policy: Policy;
  /** Required with `log` and no bundle; otherwise, if set, the key set must be for this fleet. */
  readonly fleetId?: string;
  readonly log?: string;
  /** An offline fleet bundle (core/audit/fleet-bundle.ts); replaces fetching it from the log. */
  readonly bundleText?: string;
  readonly state: ClientState;
  /** Seconds since the epoch (default: now). */
  readonly now?: number;
  /**
   * Offline only: a consistency proof between the state's checkpoint and the bundle's (from the
   * log's /proof/consistency, or computed elsewhere). Unused with `log`: then it comes from tiles.
   */
  readonly consistencyProof?: readonly Hash[];
  readonly timeoutMs?: number;
  readonly retries?: number;
}

export interface AuditFleetResult {
  readonly trusted: boolean;
  readonly fleetId?: string;
  readonly source: 'file' | 'fleet-bundle' | 'scan';
  readonly checks: CheckResult[];
  readonly keyset?: {
    readonly version: number;
    readonly index: number;
    readonly leafHash: string;
    readonly keys: readonly FleetKey[];
    readonly notBefore: number;
    readonly notAfter: number;
  };
  readonly checkpoint?: { readonly origin: string; readonly size: number };
  readonly consistencyProof?: readonly ProofStep[];
  /** Entries scanned when the log had no /fleet-bundle endpoint. */
  readonly scanned?: number;
  /** The state to save: the new one if trusted, the input one otherwise. */
  readonly state: ClientState;
}

const ALL_STEPS: StepNumber[] = [1, 2, 3, 4, 5, 6, 7, 8];

function failedBefore(checks: CheckResult[], from: StepNumber, why: string): CheckResult[] {
  const ran = new Set(checks.map((c) => c.step));
  return [...checks, ...ALL_STEPS.filter((n) => n >= from && !ran.has(n)).map((n) => skip(n, why))];
}

export async function auditFleet(options: AuditFleetOptions): Promise<AuditFleetResult> {
  const { policy, state } = options;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const client = options.log
    ? new TilesClient(options.log, { timeoutMs: options.timeoutMs, retries: options.retries })
    : undefined;
  let source: AuditFleetResult['source'] = 'file';
  let bundle: FleetBundle | undefined;
  let scanned: number | undefined;
  let evidenceMissing = false;
  const base = { fleetId: options.fleetId, state };

  // Gather the bundle.
  let bundleText = options.bundleText;
  if (bundleText === undefined) {
    if (!client || options.fleetId === undefined)
      throw new TypeError('auditFleet needs a log and a fleet id, or a bundle');
    try {
      bundleText = await client.fleetBundle(options.fleetId);
      source = 'fleet-bundle';
    } catch (e) {
      if (isFleetlogError(e, 'too_large')) {
        // An endless or oversized answer is the log's fault: the bundle cannot be a valid one.
        const checks = failedBefore(
          [check(1, undefined, false, `the fleet bundle does not parse: ${e.message}`)],
          2,
          'an earlier step failed',
        );
        return { ...base, trusted: false, source: 'fleet-bundle', checks };
      }
      if (!isFleetlogError(e, 'not_found')) throw e;
      // A fleetlog log has a fleet index: a fleet it does not list is named at once, without a scan.
      const index = await readFleetIndex(client);
      if (index) {
        const known = index.fleetIds.includes(options.fleetId);
        const reason = known
          ? `the log has fleet ${options.fleetId} but serves no bundle for it: ${e.message}`
          : `the log has no fleet ${JSON.stringify(options.fleetId)}; ${listFleets(index)}`;
        const checks = failedBefore([check(1, undefined, false, reason)], 2, 'an earlier step failed');
        return { ...base, trusted: false, source: 'fleet-bundle', checks };
      }
      source = 'scan';
      let scan: ScanResult;
      try {
        scan = await scanForFleet(client, policy, options.fleetId);
      } catch (s) {
        if (!isFleetlogError(s, 'bad_tile')) throw s;
        const checks = failedBefore(
          [
            check(
              1,
              undefined,
              false,
              `the key set could not be read: the log serves a malformed tile or entry bundle: ${s.message}`,
            ),
          ],
          2,
          'an earlier step failed',
        );
        return { ...base, trusted: false, source, checks };
      }
      scanned = scan.scanned;
      if (!scan.bundle) return { ...base, trusted: false, source, scanned, checks: scan.checks };
      bundle = scan.bundle;
      evidenceMissing = scan.evidenceMissing;
    }
  }
  if (!bundle) {
    try {
      bundle = parseFleetBundle(bundleText!);
    } catch (e) {
      const checks = failedBefore(
        [check(1, undefined, false, `the fleet bundle does not parse: ${(e as Error).message}`)],
        2,
        'an earlier step failed',
      );
      return { ...base, trusted: false, source, checks };
    }
  }

  // Step 5's input: a consistency proof between the last checkpoint seen and the bundle's,
  // computed from tiles, only once the bundle's checkpoint is known to be signed by the log.
  let outcome: ConsistencyOutcome | undefined;
  let signed: Checkpoint | undefined;
  let consistencyProof: readonly Hash[] | undefined = client ? undefined : options.consistencyProof;
  const last = state.checkpoint;
  if (client && last) {
    try {
      signed = openCheckpointWithPolicy(policy, bundle.checkpoint).checkpoint;
    } catch {
      // step 3 will fail and say why
    }
    if (signed && signed.origin === last.origin && signed.size !== last.size) {
      outcome = await checkConsistency(client, last, signed);
      if ('proof' in outcome) consistencyProof = proofHashes(outcome.proof);
    }
  }

  // The decision itself is the client library's (client/trust.ts), so app and auditor agree.
  const decision = verifyFleetBundle({
    policy,
    bundle,
    now,
    state,
    ...(consistencyProof ? { consistencyProof } : {}),
    ...(options.fleetId !== undefined ? { fleetId: options.fleetId } : {}),
  });
  const checks = decision.steps.map((c): CheckResult => {
    if (c.status === 'fail' && c.step === 5 && outcome)
      return { ...c, reason: describeConsistency(outcome, last, signed!) };
    if (c.status === 'fail' && c.step === 5 && !client && last && !options.consistencyProof)
      return { ...c, reason: `${c.reason} (offline: pass --log to compute it from the log's tiles)` };
    if (c.status === 'fail' && c.step === 6 && evidenceMissing)
      return {
        ...c,
        reason: `the key set's deployment evidence ${decision.keyset?.evidence.slice(0, 16)}… is not in the log`,
      };
    return c;
  });

  return {
    trusted: decision.trusted,
    fleetId: decision.fleetId,
    source,
    checks,
    ...(decision.keyset ? { keyset: decision.keyset } : {}),
    ...(decision.checkpoint
      ? { checkpoint: { origin: decision.checkpoint.origin, size: decision.checkpoint.size } }
      : {}),
    ...(outcome && 'proof' in outcome ? { consistencyProof: outcome.proof } : {}),
    ...(scanned !== undefined ? { scanned } : {}),
    state: decision.state,
  };
}

interface ScanResult {
  readonly bundle?: FleetBundle;
  readonly checks: CheckResult[];
  readonly scanned: number;
  readonly evidenceMissing: boolean;
}

/**
 * For logs without /fleet-bundle: read every entry bundle the (signed) checkpoint covers, keep the
 * fleet's latest key set and the evidence entries it may reference, and prove both from tiles.
 */
async function scanForFleet(client: TilesClient, policy: Policy, fleetId: string): Promise<ScanResult> {
  const cp = await fetchAndVerifyCheckpoint(client, policy);
  if (!cp.trusted || cp.note === undefined) {
    const checks = [
      skip(1, 'the log serves no fleet bundle, and its checkpoint is not trusted, so it was not scanned'),
      skip(2, 'not scanned'),
      ...cp.checks,
    ];
    return { checks: failedBefore(checks, 5, 'an earlier step failed'), scanned: 0, evidenceMissing: false };
  }
  const size = cp.trusted.checkpoint.size;
  const needle = Buffer.from(`"fleetId":${JSON.stringify(fleetId)}`);
  let keyset: { bytes: Uint8Array; index: number; evidence: string } | undefined;
  const evidence = new Map<string, { bytes: Uint8Array; index: number }>();
  const tiles = tilesAtLevel(size, 0);
  const window = 8;
  const pending = new Map<number, Promise<Uint8Array[]>>();
  for (let i = 0; i < tiles.length; i++) {
    for (let j = i; j < Math.min(tiles.length, i + window); j++) {
      if (!pending.has(j)) {
        const p = client.entryBundle(tiles[j]!, size);
        p.catch(() => {});
        pending.set(j, p);
      }
    }
    const entries = await pending.get(i)!;
    pending.delete(i);
    entries.forEach((bytes, k) => {
      if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(needle) < 0) return;
      let entry: Entry;
      try {
        entry = decodeEntry(bytes);
      } catch {
        return;
      }
      if (entry.fleetId !== fleetId) return;
      const index = tiles[i]!.index * TILE_WIDTH + k;
      if (entry.type === FLEET_KEYSET_TYPE) keyset = { bytes: bytes.slice(), index, evidence: entry.evidence };
      else if (entry.type === DEPLOYMENT_EVIDENCE_TYPE) {
        const hash = toHex(leafHash(bytes));
        if (!evidence.has(hash)) evidence.set(hash, { bytes: bytes.slice(), index });
      }
    });
  }
  if (!keyset) {
    const checks = [check(1, undefined, false, `the log (tree size ${size}) holds no key set for fleet ${fleetId}`)];
    return { checks: failedBefore(checks, 2, 'an earlier step failed'), scanned: size, evidenceMissing: false };
  }
  const reader = new TileNodeReader(client, size);
  const ev = evidence.get(keyset.evidence);
  const keysetProof = proofHashes(await inclusionProofFromTiles(reader, keyset.index));
  const evidenceEntry = ev
    ? { bytes: ev.bytes, index: ev.index, proof: proofHashes(await inclusionProofFromTiles(reader, ev.index)) }
    : { bytes: new Uint8Array(0), index: keyset.index, proof: [] };
  return {
    bundle: {
      keyset: { bytes: keyset.bytes, index: keyset.index, proof: keysetProof },
      evidence: evidenceEntry,
      checkpoint: cp.note,
    },
    checks: [],
    scanned: size,
    evidenceMissing: !ev,
  };
}
