/**
 * The in-process network between simulated HSMs (and from clients to HSMs), with the faults the
 * simulator injects: stopped HSMs, region partitions and message delay. A message to or from an
 * unreachable node fails the way a timeout would, only at once.
 */
import { FleetlogError } from '../../core/errors.ts';
import type { LatencyModel } from './latency.ts';
import { regionGroup, type RegionGroups } from './partition.ts';

export type Handler = (from: string, request: unknown) => Promise<unknown>;

export interface SimNetworkOptions {
  /** Delay per message leg in ms (0 = next microtask); a function lets tests randomise order. */
  readonly delayMs?: number | (() => number);
  /**
   * Delay each leg by the latency model between the sender's and the receiver's regions instead
   * (net/latency.ts). A client node `client@<region>` (clientIn) sits in that region; the plain
   * CLIENT sits next to the HSM it calls.
   */
  readonly latency?: LatencyModel;
  /** Let delays pass on this clock instead of real timers (net/virtual-clock.ts). */
  readonly clock?: { sleep(ms: number): Promise<void> };
  /** Sees every message sent (tests use it to play an eavesdropper who replays messages). */
  readonly tap?: (from: string, to: string, request: unknown) => void;
}

/** The pseudo-node for clients outside the fleet. */
export const CLIENT = 'client';

/** A client node placed in `region` (for the latency model). */
export function clientIn(region: string): string {
  return `${CLIENT}@${region}`;
}

function isClient(node: string): boolean {
  return node === CLIENT || node.startsWith(`${CLIENT}@`);
}

export class SimNetwork {
  readonly #handlers = new Map<string, Handler>();
  readonly #regions = new Map<string, string>();
  readonly #stopped = new Set<string>();
  #groups: RegionGroups | undefined;
  readonly #delay: () => number;
  readonly #tap: SimNetworkOptions['tap'];
  readonly latency: LatencyModel | undefined;
  readonly #clock: SimNetworkOptions['clock'];

  constructor(options: SimNetworkOptions = {}) {
    const d = options.delayMs ?? 0;
    this.#delay = typeof d === 'function' ? d : () => d;
    this.#tap = options.tap;
    this.latency = options.latency;
    this.#clock = options.clock;
  }

  attach(node: string, region: string, handler: Handler): void {
    this.#handlers.set(node, handler);
    this.#regions.set(node, region);
  }

  // ---- faults ----

  stop(node: string): void {
    this.#stopped.add(node);
  }

  start(node: string): void {
    this.#stopped.delete(node);
  }

  isRunning(node: string): boolean {
    return this.#handlers.has(node) && !this.#stopped.has(node);
  }

  /**
   * Splits the fleet by region (net/partition.ts): HSMs talk only within their group. Clients
   * still reach every running HSM (they sit outside the fleet).
   */
  partition(groups: RegionGroups): void {
    this.#groups = groups.map((g) => [...g]);
  }

  heal(): void {
    this.#groups = undefined;
  }

  canReach(from: string, to: string): boolean {
    if (!this.isRunning(to)) return false;
    if (!isClient(from) && !this.isRunning(from)) return false;
    if (isClient(from) || isClient(to) || from === to || !this.#groups) return true;
    return (
      regionGroup(this.#groups, this.#regions.get(from) ?? '') ===
      regionGroup(this.#groups, this.#regions.get(to) ?? '')
    );
  }

  /** Delivers `request` and its reply; fails if either leg finds the link down. */
  async send(from: string, to: string, request: unknown): Promise<unknown> {
    this.#tap?.(from, to, request);
    await this.#wait(from, to);
    if (!this.canReach(from, to)) throw new FleetlogError('unavailable', `${to} is unreachable from ${from}`);
    const reply = await this.#handlers.get(to)!(from, request);
    await this.#wait(to, from);
    if (!this.canReach(from, to)) throw new FleetlogError('unavailable', `the reply from ${to} to ${from} was lost`);
    return reply;
  }

  #region(node: string, other: string): string {
    if (node.startsWith(`${CLIENT}@`)) return node.slice(CLIENT.length + 1);
    if (node === CLIENT) return this.#regions.get(other) ?? '';
    return this.#regions.get(node) ?? '';
  }

  async #wait(from: string, to: string): Promise<void> {
    const ms = this.latency ? this.latency.oneWayMs(this.#region(from, to), this.#region(to, from)) : this.#delay();
    if (ms > 0 && this.#clock) await this.#clock.sleep(ms);
    else if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    else await Promise.resolve();
  }
}
