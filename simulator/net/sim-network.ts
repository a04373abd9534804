/**
 * The in-process network between simulated HSMs (and from clients to HSMs), with the faults the
 * simulator injects: stopped HSMs, region partitions, cut links and message delay. A message to or
 * from an unreachable node fails the way a timeout would, only at once.
 */
import { FleetlogError } from '../../core/errors.ts';

export type Handler = (from: string, request: unknown) => Promise<unknown>;

export interface SimNetworkOptions {
  /** Delay per message leg in ms (0 = next microtask); a function lets tests randomise order. */
  readonly delayMs?: number | (() => number);
  /** Sees every message sent (tests use it to play an eavesdropper who replays messages). */
  readonly tap?: (from: string, to: string, request: unknown) => void;
}

/** The pseudo-node for clients outside the fleet. */
export const CLIENT = 'client';

export class SimNetwork {
  readonly #handlers = new Map<string, Handler>();
  readonly #regions = new Map<string, string>();
  readonly #stopped = new Set<string>();
  readonly #cut = new Set<string>();
  #groups: string[][] | undefined;
  readonly #delay: () => number;
  readonly #tap: SimNetworkOptions['tap'];
  #messages = 0;

  constructor(options: SimNetworkOptions = {}) {
    const d = options.delayMs ?? 0;
    this.#delay = typeof d === 'function' ? d : () => d;
    this.#tap = options.tap;
  }

  attach(node: string, region: string, handler: Handler): void {
    this.#handlers.set(node, handler);
    this.#regions.set(node, region);
  }

  get messages(): number {
    return this.#messages;
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
   * Splits the fleet by region: HSMs talk only within their group. Regions not named form one
   * more group together. Clients still reach every running HSM (they sit outside the fleet).
   */
  partition(groups: readonly (readonly string[])[]): void {
    this.#groups = groups.map((g) => [...g]);
  }

  heal(): void {
    this.#groups = undefined;
    this.#cut.clear();
  }

  /** Cuts the link between two nodes (either may be CLIENT), both directions. */
  cut(a: string, b: string): void {
    this.#cut.add(linkKey(a, b));
  }

  describeFaults(): string {
    const parts: string[] = [];
    if (this.#stopped.size) parts.push(`stopped: ${[...this.#stopped].sort().join(', ')}`);
    if (this.#groups) parts.push(`partition: ${this.#groups.map((g) => `[${g.join(' ')}]`).join(' | ')}`);
    if (this.#cut.size) parts.push(`cut links: ${[...this.#cut].join(', ')}`);
    return parts.length ? parts.join('; ') : 'none';
  }

  canReach(from: string, to: string): boolean {
    if (!this.isRunning(to)) return false;
    if (from !== CLIENT && !this.isRunning(from)) return false;
    if (this.#cut.has(linkKey(from, to))) return false;
    if (from === CLIENT || to === CLIENT || from === to || !this.#groups) return true;
    return this.#groupOf(from) === this.#groupOf(to);
  }

  #groupOf(node: string): number {
    const region = this.#regions.get(node) ?? '';
    const i = this.#groups!.findIndex((g) => g.includes(region));
    return i < 0 ? this.#groups!.length : i;
  }

  /** Delivers `request` and its reply; fails if either leg finds the link down. */
  async send(from: string, to: string, request: unknown): Promise<unknown> {
    this.#messages++;
    this.#tap?.(from, to, request);
    await this.#wait();
    if (!this.canReach(from, to)) throw new FleetlogError('unavailable', `${to} is unreachable from ${from}`);
    const reply = await this.#handlers.get(to)!(from, request);
    await this.#wait();
    if (!this.canReach(from, to)) throw new FleetlogError('unavailable', `the reply from ${to} to ${from} was lost`);
    return reply;
  }

  async #wait(): Promise<void> {
    const ms = this.#delay();
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    else await Promise.resolve();
  }
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}<->${b}` : `${b}<->${a}`;
}
