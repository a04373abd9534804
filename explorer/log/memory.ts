/**
 * What this browser remembers about a log between visits, in localStorage: the client state
 * (the last checkpoint accepted and the key-set version trusted per fleet, exactly what an app
 * persists) and the policy the reader chose to trust, if not the server's. Unreadable storage is
 * treated as empty and said so, never as a reason to trust.
 */
import { EMPTY_STATE, parseState, serializeState, type ClientState } from '../../core/audit/client-state.ts';

const STATE_KEY = (origin: string): string => `fleetlog-explorer:state:${origin}`;
const SEEN_AT_KEY = (origin: string): string => `fleetlog-explorer:seen-at:${origin}`;
const POLICY_KEY = 'fleetlog-explorer:policy';

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined; // disabled storage: every visit is a first visit
  }
}

export function loadState(origin: string): { state: ClientState; seenAt?: number; problem?: string } {
  const text = storage()?.getItem(STATE_KEY(origin));
  if (!text) return { state: EMPTY_STATE };
  const seenAt = Number(storage()?.getItem(SEEN_AT_KEY(origin)) ?? 'NaN');
  try {
    return { state: parseState(text), ...(Number.isFinite(seenAt) ? { seenAt } : {}) };
  } catch (e) {
    return { state: EMPTY_STATE, problem: `the saved state is unreadable (${(e as Error).message}); starting over` };
  }
}

export function saveState(origin: string, state: ClientState): void {
  storage()?.setItem(STATE_KEY(origin), serializeState(state));
  storage()?.setItem(SEEN_AT_KEY(origin), String(Math.floor(Date.now() / 1000)));
}

export function forgetState(origin: string): void {
  storage()?.removeItem(STATE_KEY(origin));
  storage()?.removeItem(SEEN_AT_KEY(origin));
}

export function loadReaderPolicy(): string | undefined {
  return storage()?.getItem(POLICY_KEY) ?? undefined;
}

export function saveReaderPolicy(text: string | undefined): void {
  if (text === undefined) storage()?.removeItem(POLICY_KEY);
  else storage()?.setItem(POLICY_KEY, text);
}
