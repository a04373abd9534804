/**
 * The trust decision for one fleet key set, as an app sees it: every numbered step of
 * specs/audit.md with pass, fail or skip and a reason, the keys it may use per HSM, and the state
 * to persist. It wraps core/audit/fleet-trust.ts decideFleetTrust (the steps themselves) with the
 * parsing an app needs, so that a malformed policy is an error for the developer while a malformed
 * bundle or state is a failed step: whatever a log or network hands over can only make the
 * decision "not trusted", never throw past it.
 */
import { parseState, type ClientState, EMPTY_STATE } from '../core/audit/client-state.ts';
import { parseFleetBundle, type FleetBundle } from '../core/audit/fleet-bundle.ts';
import { decideFleetTrust } from '../core/audit/fleet-trust.ts';
import { STEP_TITLES, type StepNumber } from '../core/audit/steps.ts';
import { toHex } from '../core/bytes.ts';
import { parseCheckpointNote } from '../core/checkpoint.ts';
import type { FleetKey } from '../core/entries/fleet-keyset.ts';
import { leafHash, type Hash } from '../core/merkle/hash.ts';
import { parsePolicy, type Policy } from '../core/policy/policy.ts';

export const STEP_NUMBERS: readonly StepNumber[] = [1, 2, 3, 4, 5, 6, 7, 8];

export interface TrustStep {
  readonly step: StepNumber;
  readonly title: string;
  readonly status: 'pass' | 'fail' | 'skip';
  /** Why, in a sentence. */
  readonly reason: string;
}

export interface FleetTrustResult {
  /** True only when all eight steps passed. */
  readonly trusted: boolean;
  /** The fleet the key set is for (or the one asked for, if the key set did not decode). */
  readonly fleetId: string | undefined;
  /** Always eight, in order: steps after the first failure are `skip`. */
  readonly steps: readonly TrustStep[];
  /** The first failed step, if any. */
  readonly failure: TrustStep | undefined;
  /** The keys the app may use, per HSM id. Empty unless trusted. */
  readonly keysByHsm: Readonly<Record<string, readonly FleetKey[]>>;
  /** What the key set says, once it decoded (also when not trusted, for display). */
  readonly keyset?: {
    readonly version: number;
    readonly index: number;
    readonly leafHash: string;
    readonly keys: readonly FleetKey[];
    readonly notBefore: number;
    readonly notAfter: number;
    /** Leaf hash (hex) of the deployment evidence the key set references. */
    readonly evidence: string;
  };
  /** The checkpoint the bundle is against, as it claims (verified only if step 3 passed). */
  readonly checkpoint?: { readonly origin: string; readonly size: number; readonly rootHash: string };
  /** The state to persist: the new one if trusted, the one given otherwise. */
  readonly state: ClientState;
}

export interface VerifyFleetBundleInput {
  /** The pinned policy (text or parsed). A malformed policy throws: it is the app's own input. */
  readonly policy: Policy | string;
  /** The offline validation bundle (text or parsed). */
  readonly bundle: FleetBundle | string;
  /** What the app saved last time (object or the text serializeState made); none on first use. */
  readonly state?: ClientState | string;
  /** Seconds since the epoch (default: now). */
  readonly now?: number;
  /** If set, the key set must be for this fleet. */
  readonly fleetId?: string;
  /** Consistency proof between the state's checkpoint and the bundle's, when their sizes differ. */
  readonly consistencyProof?: readonly Hash[];
}

const failedAt = (step: StepNumber, reason: string): TrustStep => ({
  step,
  title: STEP_TITLES[step],
  status: 'fail',
  reason,
});

/** Fills in `skip` for every step after the ones that ran. */
function withSkips(ran: readonly TrustStep[], why = 'an earlier step failed'): TrustStep[] {
  const done = new Set(ran.map((s) => s.step));
  return [
    ...ran,
    ...STEP_NUMBERS.filter((n) => !done.has(n)).map(
      (n): TrustStep => ({ step: n, title: STEP_TITLES[n], status: 'skip', reason: why }),
    ),
  ].sort((a, b) => a.step - b.step);
}

/** A result that failed before the steps could run (unparseable bundle or state). */
export function refusedResult(
  step: StepNumber,
  reason: string,
  state: ClientState,
  fleetId?: string,
): FleetTrustResult {
  const steps = withSkips([failedAt(step, reason)]);
  return { trusted: false, fleetId, steps, failure: steps[step - 1], keysByHsm: {}, state };
}

/**
 * Runs audit steps 1-8 on a validation bundle. Never throws for anything the bundle or state
 * contains; throws a FleetlogError only for a malformed policy.
 */
export function verifyFleetBundle(input: VerifyFleetBundleInput): FleetTrustResult {
  const policy = typeof input.policy === 'string' ? parsePolicy(input.policy) : input.policy;
  let state: ClientState;
  try {
    state =
      input.state === undefined ? EMPTY_STATE : typeof input.state === 'string' ? parseState(input.state) : input.state;
  } catch (e) {
    return refusedResult(
      5,
      `the saved client state is unreadable: ${(e as Error).message}`,
      EMPTY_STATE,
      input.fleetId,
    );
  }
  let bundle: FleetBundle;
  try {
    bundle = typeof input.bundle === 'string' ? parseFleetBundle(input.bundle) : input.bundle;
  } catch (e) {
    return refusedResult(1, `the validation bundle does not parse: ${(e as Error).message}`, state, input.fleetId);
  }
  const decision = decideFleetTrust({
    policy,
    bundle,
    now: input.now ?? Math.floor(Date.now() / 1000),
    state,
    ...(input.consistencyProof ? { consistencyProof: input.consistencyProof } : {}),
    ...(input.fleetId !== undefined ? { fleetId: input.fleetId } : {}),
  });
  const steps = withSkips(
    decision.steps.map((s) => ({ step: s.step, title: s.title, status: s.ok ? 'pass' : 'fail', reason: s.reason })),
  );
  const k = decision.keyset;
  const keysByHsm: Record<string, FleetKey[]> = {};
  if (decision.trusted && k) {
    for (const key of k.keys) {
      const list = keysByHsm[key.hsmId] ?? [];
      list.push(key);
      keysByHsm[key.hsmId] = list;
    }
  }
  let checkpoint: FleetTrustResult['checkpoint'];
  try {
    const cp = parseCheckpointNote(bundle.checkpoint).checkpoint;
    checkpoint = { origin: cp.origin, size: cp.size, rootHash: toHex(cp.rootHash) };
  } catch {
    checkpoint = undefined; // step 2 said why
  }
  return {
    trusted: decision.trusted,
    fleetId: k?.fleetId ?? input.fleetId,
    steps,
    failure: steps.find((s) => s.status === 'fail'),
    keysByHsm,
    ...(k
      ? {
          keyset: {
            version: k.version,
            index: bundle.keyset.index,
            leafHash: toHex(leafHash(bundle.keyset.bytes)),
            keys: k.keys,
            notBefore: k.notBefore,
            notAfter: k.notAfter,
            evidence: k.evidence,
          },
        }
      : {}),
    ...(checkpoint ? { checkpoint } : {}),
    state: decision.state,
  };
}
