/**
 * The round-trip limit of a recovery (specs/consensus.md §Round trips per operation): the fastest
 * a recovery can possibly finish given only the network, for a client in one region and a fleet
 * placed over regions.
 *
 *   bound = QUORUM_ROUND_TRIPS × (RTT from the coordinating HSM to its nearest majority)
 *         + CLIENT_ROUND_TRIPS × (RTT from the client to that HSM)
 *
 * minimised over the HSM that coordinates. "Nearest majority" counts the coordinator's own vote
 * at distance 0 (a local call) and then the closest other HSMs: the RTT to the farthest of the
 * M - 1 nearest peers, M = floor(N/2) + 1. Pure arithmetic on the matrix: no jitter, no CPU time.
 */
import { majority } from '../consensus/proposer.ts';
import type { LatencyModel } from '../net/latency.ts';

/** Two CASPaxos operations (guess, reset), each prepare + accept: 2 × 2 round trips to a majority. */
export const OPERATIONS_PER_RECOVERY = 2;
export const ROUND_TRIPS_PER_OPERATION = 2;
export const QUORUM_ROUND_TRIPS = OPERATIONS_PER_RECOVERY * ROUND_TRIPS_PER_OPERATION;
/** OPAQUE KE1 → KE2 (recover-start) and KE3 → sealed key (recover-finish). */
export const CLIENT_ROUND_TRIPS = 2;

export interface RecoveryBound {
  /** Index into the placement of the HSM that coordinates best. */
  readonly coordinator: number;
  readonly coordinatorRegion: string;
  /** RTT from that HSM to the farthest member of its nearest majority. */
  readonly majorityRttMs: number;
  readonly clientRttMs: number;
  readonly boundMs: number;
}

/** RTT from HSM `c` to its nearest majority in `placement` (region per HSM). */
export function nearestMajorityRttMs(model: LatencyModel, placement: readonly string[], c: number): number {
  const need = majority(placement.length);
  const others = placement
    .filter((_, i) => i !== c)
    .map((r) => model.rttMs(placement[c]!, r))
    .sort((a, b) => a - b);
  return need <= 1 ? 0 : others[need - 2]!;
}

/** The bound for the best coordinator, for a client in `clientRegion`. */
export function recoveryBound(model: LatencyModel, placement: readonly string[], clientRegion: string): RecoveryBound {
  let best: RecoveryBound | undefined;
  placement.forEach((region, c) => {
    const majorityRttMs = nearestMajorityRttMs(model, placement, c);
    const clientRttMs = model.rttMs(clientRegion, region);
    const boundMs = QUORUM_ROUND_TRIPS * majorityRttMs + CLIENT_ROUND_TRIPS * clientRttMs;
    if (!best || boundMs < best.boundMs)
      best = { coordinator: c, coordinatorRegion: region, majorityRttMs, clientRttMs, boundMs };
  });
  return best!;
}

/**
 * HSM indexes in the order a client in `clientRegion` should try them: best bound first. A real
 * client would learn this order from measured response times; the study hands it the model's.
 */
export function coordinatorOrder(model: LatencyModel, placement: readonly string[], clientRegion: string): number[] {
  const cost = placement.map(
    (region, c) =>
      QUORUM_ROUND_TRIPS * nearestMajorityRttMs(model, placement, c) +
      CLIENT_ROUND_TRIPS * model.rttMs(clientRegion, region),
  );
  return placement.map((_, i) => i).sort((a, b) => cost[a]! - cost[b]! || a - b);
}
