/**
 * The trust decision over HTTP: fetch the fleet's validation bundle from the log (fleetlog's
 * GET /fleet-bundle/<fleetId>), and, when the app has seen an earlier checkpoint of a different
 * size, the step-5 consistency proof computed from the log's tiles. Then the same eight steps as
 * offline (trust.ts). The server is trusted for nothing: everything it sends is verified.
 */
import { EMPTY_STATE, parseState, type ClientState } from '../core/audit/client-state.ts';
import { parseFleetBundle } from '../core/audit/fleet-bundle.ts';
import { FleetlogError } from '../core/errors.ts';
import type { Hash } from '../core/merkle/hash.ts';
import { openCheckpointWithPolicy } from '../core/policy/checkpoint-trust.ts';
import { parsePolicy, type Policy } from '../core/policy/policy.ts';
import { type FetchLike, LogReader, MAX_FLEET_BUNDLE_BYTES } from './log-reader.ts';
import { type FleetTrustResult, refusedResult, verifyFleetBundle } from './trust.ts';

export interface FetchFleetTrustInput {
  /** The log's URL (its tlog-tiles prefix). */
  readonly log: string;
  readonly fleetId: string;
  readonly policy: Policy | string;
  readonly state?: ClientState | string;
  /** Seconds since the epoch (default: now). */
  readonly now?: number;
  /** Default: globalThis.fetch. */
  readonly fetch?: FetchLike;
  readonly timeoutMs?: number;
  /** A bundle already in hand (e.g. sent by an HSM with its reply): then only the proof is fetched. */
  readonly bundle?: string;
}

export interface FetchedFleetTrust extends FleetTrustResult {
  /** The validation bundle text the decision was made on, to keep as an offline proof. */
  readonly bundleText?: string;
}

/**
 * Fetches and decides. A network failure (or a log that answers 5xx) throws FleetlogError
 * `network`: no decision could be made, so the app should retry, never fall back to trusting.
 * A log that has no key set for the fleet, or sends a malformed or lying bundle, gives a result
 * with `trusted: false` and the failing step.
 */
export async function fetchFleetTrust(input: FetchFleetTrustInput): Promise<FetchedFleetTrust> {
  const policy = typeof input.policy === 'string' ? parsePolicy(input.policy) : input.policy;
  const reader = new LogReader(input.log, {
    ...(input.fetch ? { fetch: input.fetch } : {}),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
  });
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
  let bundleText = input.bundle;
  if (bundleText === undefined) {
    try {
      bundleText = await reader.text(`fleet-bundle/${encodeURIComponent(input.fleetId)}`, MAX_FLEET_BUNDLE_BYTES);
    } catch (e) {
      if (e instanceof FleetlogError && e.code === 'not_found')
        return refusedResult(1, `the log has no key set for fleet ${input.fleetId}`, state, input.fleetId);
      if (e instanceof FleetlogError && e.code === 'too_large')
        return refusedResult(1, `the log's validation bundle is oversized: ${e.message}`, state, input.fleetId);
      throw e;
    }
  }
  const consistencyProof = await consistencyFromTiles(reader, policy, state, bundleText);
  const result = verifyFleetBundle({
    policy,
    bundle: bundleText,
    state,
    fleetId: input.fleetId,
    ...(input.now !== undefined ? { now: input.now } : {}),
    ...(consistencyProof ? { consistencyProof } : {}),
  });
  return { ...result, bundleText };
}

/**
 * Step 5's proof between the saved checkpoint and the bundle's, from the tiles of the larger of
 * the two trees; computed only once the bundle's checkpoint is signed by a pinned log. Undefined
 * when none is needed or it cannot be had: step 5 then fails closed and says so.
 */
export async function consistencyFromTiles(
  reader: LogReader,
  policy: Policy,
  state: ClientState,
  bundleText: string,
): Promise<Hash[] | undefined> {
  const last = state.checkpoint;
  if (!last) return undefined;
  try {
    const cp = openCheckpointWithPolicy(policy, parseFleetBundle(bundleText).checkpoint).checkpoint;
    if (cp.origin !== last.origin || cp.size === last.size) return undefined;
    return await reader.consistencyProof(Math.min(cp.size, last.size), Math.max(cp.size, last.size));
  } catch {
    return undefined;
  }
}
