/**
 * The log's current key set for a fleet, as a publisher or countersigner needs it: to take the
 * next version from, and to review what changes. It is read from the log's fleet bundle and
 * verified under the policy with the client's own code (core/audit/fleet-trust.ts), except that an
 * expired window (step 8) is accepted: the key set being replaced may well have run out.
 */
import { EMPTY_STATE } from '../core/audit/client-state.ts';
import { parseFleetBundle } from '../core/audit/fleet-bundle.ts';
import { decideFleetTrust } from '../core/audit/fleet-trust.ts';
import { FleetlogError } from '../core/errors.ts';
import { entryLeafHashHex } from '../core/entries/entry.ts';
import type { FleetKeyset } from '../core/entries/fleet-keyset.ts';
import type { Policy } from '../core/policy/policy.ts';
import type { PublishLogClient } from './log-client.ts';

export interface CurrentKeyset {
  readonly keyset: FleetKeyset;
  /** The key set's index in the log. */
  readonly index: number;
  /** Its leaf hash, lowercase hex. */
  readonly leafHash: string;
}

/** Undefined when the log has published no key set for the fleet; throws if what it serves does not verify. */
export async function currentKeyset(
  log: PublishLogClient,
  policy: Policy,
  fleetId: string,
  now: number,
): Promise<CurrentKeyset | undefined> {
  const text = await log.fleetBundle(fleetId);
  if (text === undefined) return undefined;
  const bundle = parseFleetBundle(text);
  const decision = decideFleetTrust({ policy, bundle, now, state: EMPTY_STATE, fleetId });
  const failed = decision.steps.find((s) => !s.ok);
  if (!decision.keyset || (failed && failed.step !== 8))
    throw new FleetlogError(
      'audit_failed',
      `the log's current key set for fleet ${fleetId} does not verify under the policy: step ${failed?.step} (${failed?.title}): ${failed?.reason}`,
    );
  return { keyset: decision.keyset, index: bundle.keyset.index, leafHash: entryLeafHashHex(bundle.keyset.bytes) };
}
