/**
 * fleetlog/client: what an app needs to check a fleet's keys before it opens a session with the
 * fleet's HSMs. ESM, no Node built-ins: browsers, React Native, Deno and Node. It is the code that
 * `fleetlog audit fleet` and the simulator's backup client run (core/audit for the steps).
 *
 *   parsePolicy(text)                          the pinned trust policy (throws FleetlogError if malformed)
 *   verifyFleetBundle({ policy, bundle, state?, now? })   offline: the eight audit steps
 *   fetchFleetTrust({ log, fleetId, policy, state?, fetch? })   the same over HTTP
 *   checkPinnedKey(pinned, presented)          embedded mode: an HSM's identity against compiled-in keys
 *   serializeState / parseState                the state to persist between runs
 */
export { type ClientState, EMPTY_STATE, parseState, serializeState } from '../core/audit/client-state.ts';
export { type FleetBundle, formatFleetBundle, parseFleetBundle } from '../core/audit/fleet-bundle.ts';
export { STEP_TITLES, type StepNumber } from '../core/audit/steps.ts';
export type { FleetKey } from '../core/entries/fleet-keyset.ts';
export { type ErrorCode, FleetlogError, isFleetlogError } from '../core/errors.ts';
export { type Policy, parsePolicy } from '../core/policy/policy.ts';
export { checkPinnedKey, findHsmKey, type PinnedFleet, type PinnedKeyCheck, type PresentedHsmKey } from './embedded.ts';
export { type FetchedFleetTrust, type FetchFleetTrustInput, fetchFleetTrust } from './fetch-trust.ts';
export { type FetchLike, LogReader, type LogReaderOptions } from './log-reader.ts';
export {
  type FleetTrustResult,
  STEP_NUMBERS,
  type TrustStep,
  type VerifyFleetBundleInput,
  verifyFleetBundle,
} from './trust.ts';
