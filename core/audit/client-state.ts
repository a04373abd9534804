/**
 * What a client or auditor remembers between runs so that a rollback or fork is caught: the last
 * checkpoint it accepted and, per fleet, the key-set version it last trusted.
 */
import { FleetlogError } from '../errors.ts';
import type { SeenCheckpoint, TrustedFleetVersion } from './steps.ts';

export interface ClientState {
  readonly checkpoint?: SeenCheckpoint;
  readonly fleets: Readonly<Record<string, TrustedFleetVersion>>;
}

export const EMPTY_STATE: ClientState = { fleets: {} };

export function serializeState(state: ClientState): string {
  return `${JSON.stringify({ format: 'fleetlog-client-state/v1', ...state }, null, 2)}\n`;
}

export function parseState(text: string): ClientState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FleetlogError('io', 'state file is not valid JSON');
  }
  const v = value as { format?: unknown; checkpoint?: SeenCheckpoint; fleets?: Record<string, TrustedFleetVersion> };
  if (!isRecord(v) || v.format !== 'fleetlog-client-state/v1' || !isRecord(v.fleets)) {
    throw new FleetlogError('io', 'state file is not a fleetlog-client-state/v1 document');
  }
  const cp = v.checkpoint;
  if (
    cp !== undefined &&
    !(
      isRecord(cp) &&
      typeof cp.origin === 'string' &&
      Number.isSafeInteger(cp.size) &&
      cp.size >= 0 &&
      typeof cp.rootHash === 'string' &&
      /^[0-9a-f]{64}$/.test(cp.rootHash)
    )
  ) {
    throw new FleetlogError('io', 'state file has a malformed checkpoint');
  }
  for (const [id, f] of Object.entries(v.fleets)) {
    const wellFormed =
      isRecord(f) &&
      Number.isSafeInteger(f.version) &&
      f.version >= 1 &&
      typeof f.leafHash === 'string' &&
      /^[0-9a-f]{64}$/.test(f.leafHash);
    if (!wellFormed) throw new FleetlogError('io', `state file has a malformed entry for fleet ${id}`);
  }
  return cp === undefined ? { fleets: v.fleets } : { checkpoint: cp, fleets: v.fleets };
}

/** A JSON object (not null, not an array): what every level of the state file must be. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
