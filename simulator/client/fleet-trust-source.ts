/**
 * Where a backup client gets the fleet keys it will accept, in its two modes:
 *   - embedded: the keys are pinned in the client build;
 *   - over the air: the client fetches the fleet bundle from the log (or takes the one the HSM
 *     sends with its reply), fetches a consistency proof from the log for step 5, and runs
 *     client/trust.ts verifyFleetBundle, the fleetlog/client library an app would ship, which is
 *     also what the auditor runs. Only keys that pass all eight steps are returned.
 */
import { verifyFleetBundle, type FleetTrustResult } from '../../client/trust.ts';
import { parseFleetBundle, type FleetBundle } from '../../core/audit/fleet-bundle.ts';
import { EMPTY_STATE, parseState, serializeState, type ClientState } from '../../core/audit/client-state.ts';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import type { FleetKey } from '../../core/entries/fleet-keyset.ts';
import { FleetlogError } from '../../core/errors.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import type { Policy } from '../../core/policy/policy.ts';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface TrustedFleetKeys {
  readonly fleetId: string;
  readonly keys: readonly FleetKey[];
  readonly mode: 'embedded' | 'over-the-air';
  /** Present in over-the-air mode: the steps that ran. */
  readonly decision?: FleetTrustResult;
}

export interface FleetTrustSource {
  /** True if resolve() needs the bundle an HSM hands out (so the client must ask for it first). */
  readonly wantsOfferedBundle: boolean;
  /** `offered` is a bundle that came with an HSM reply, if any. */
  resolve(fleetId: string, offered?: string | null): Promise<TrustedFleetKeys>;
}

export class EmbeddedTrust implements FleetTrustSource {
  readonly wantsOfferedBundle = false;
  readonly #fleetId: string;
  readonly #keys: readonly FleetKey[];
  constructor(fleetId: string, keys: readonly FleetKey[]) {
    this.#fleetId = fleetId;
    this.#keys = keys;
  }
  async resolve(fleetId: string): Promise<TrustedFleetKeys> {
    if (fleetId !== this.#fleetId)
      throw new FleetlogError('forbidden', `this client pins the keys of fleet ${this.#fleetId}, not ${fleetId}`);
    // Each HSM's identity is then checked against these keys (client/embedded.ts findHsmKey).
    return { fleetId, keys: this.#keys, mode: 'embedded' };
  }
}

/** The log's read API, as much of it as a client needs. */
export interface LogReader {
  fleetBundle(fleetId: string): Promise<string>;
  consistencyProof(oldSize: number, newSize: number): Promise<Hash[]>;
}

export interface ClientStateStore {
  load(): ClientState;
  save(state: ClientState): void;
}

export class MemoryStateStore implements ClientStateStore {
  #state: ClientState;
  constructor(state: ClientState = EMPTY_STATE) {
    this.#state = state;
  }
  load(): ClientState {
    return this.#state;
  }
  save(state: ClientState): void {
    this.#state = state;
  }
}

export class FileStateStore implements ClientStateStore {
  constructor(readonly path: string) {}
  load(): ClientState {
    return existsSync(this.path) ? parseState(readFileSync(this.path, 'utf8')) : EMPTY_STATE;
  }
  save(state: ClientState): void {
    writeFileSync(`${this.path}.tmp`, serializeState(state), { mode: 0o600 });
    renameSync(`${this.path}.tmp`, this.path);
  }
}

export interface OverTheAirOptions {
  readonly policy: Policy;
  readonly state: ClientStateStore;
  /** Reaches the log for the bundle and for consistency proofs; may be absent if bundles come from HSMs. */
  readonly log?: LogReader;
  /** Take the bundle from the log (default) or from the HSM's reply. */
  readonly bundleSource?: 'log' | 'hsm';
  /** Seconds since the epoch. */
  readonly now?: () => number;
  /** Called with every decision, trusted or not (for reports). */
  readonly onDecision?: (decision: FleetTrustResult) => void;
}

export class OverTheAirTrust implements FleetTrustSource {
  readonly #o: OverTheAirOptions;
  readonly wantsOfferedBundle: boolean;
  constructor(options: OverTheAirOptions) {
    this.#o = options;
    this.wantsOfferedBundle = options.bundleSource === 'hsm';
  }

  async resolve(fleetId: string, offered?: string | null): Promise<TrustedFleetKeys> {
    const o = this.#o;
    let text: string;
    if ((o.bundleSource ?? 'log') === 'hsm') {
      if (!offered) throw new FleetlogError('unavailable', 'the HSM sent no fleet bundle');
      text = offered;
    } else {
      if (!o.log) throw new FleetlogError('usage', 'over-the-air mode with bundles from the log needs a log URL');
      text = await o.log.fleetBundle(fleetId);
    }
    let bundle: FleetBundle;
    try {
      bundle = parseFleetBundle(text);
    } catch (e) {
      throw new FleetlogError('audit_failed', `the fleet bundle does not parse: ${(e as Error).message}`, {
        detail: { step: 2 },
      });
    }
    const state = o.state.load();
    const consistencyProof = await this.#consistency(state, bundle);
    const decision = verifyFleetBundle({
      policy: o.policy,
      bundle,
      now: o.now?.() ?? Math.floor(Date.now() / 1000),
      state,
      fleetId,
      ...(consistencyProof ? { consistencyProof } : {}),
    });
    o.onDecision?.(decision);
    if (!decision.trusted || !decision.keyset) {
      const failed = decision.failure;
      throw new FleetlogError(
        'audit_failed',
        failed
          ? `refused at audit step ${failed.step} (${failed.title}): ${failed.reason}`
          : 'the fleet key set was not trusted',
        {
          detail: { step: failed?.step, steps: decision.steps.filter((s) => s.status !== 'skip') },
        },
      );
    }
    o.state.save(decision.state);
    return { fleetId, keys: decision.keyset.keys, mode: 'over-the-air', decision };
  }

  /** Step 5 needs a proof between the last checkpoint seen and the bundle's, when sizes differ. */
  async #consistency(state: ClientState, bundle: FleetBundle): Promise<Hash[] | undefined> {
    const last = state.checkpoint;
    if (!last || !this.#o.log) return undefined;
    let size: number;
    try {
      size = parseCheckpointNote(bundle.checkpoint).checkpoint.size;
    } catch {
      return undefined; // step 2 reports the malformed checkpoint
    }
    if (size === last.size) return undefined;
    try {
      return await this.#o.log.consistencyProof(Math.min(size, last.size), Math.max(size, last.size));
    } catch {
      return undefined; // step 5 then fails closed: no proof
    }
  }
}
