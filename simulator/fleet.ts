/**
 * An in-process fleet: N simulated HSMs (default 5) spread over named regions, joined by a
 * SimNetwork on which the simulator injects faults (stop an HSM, partition regions).
 * The fleet secrets do not exist until a ceremony (ceremony.ts) creates them inside the HSMs.
 */
import { FleetlogError } from '../core/errors.ts';
import type { AcceptorStore } from './consensus/acceptor.ts';
import { fleetHsm, fleetLayout, type FleetHsmOptions } from './fleet-members.ts';
import type { HsmEndpoint } from './hsm/endpoint.ts';
import type { Hsm, PeerTransport } from './hsm/hsm.ts';
import type { ClientRequest, PeerReply, PeerRequest } from './hsm/messages.ts';
import { CLIENT, clientIn, SimNetwork } from './net/sim-network.ts';

export interface SimFleetOptions extends FleetHsmOptions {
  readonly fleetId: string;
  readonly size?: number;
  readonly regions?: readonly string[];
  readonly network?: SimNetwork;
  /** Each HSM's acceptor store (default: memory), e.g. SQLite files to measure what is stored. */
  readonly store?: (hsmId: string) => AcceptorStore;
}

type Envelope =
  | { readonly kind: 'peer'; readonly request: PeerRequest }
  | { readonly kind: 'client'; readonly request: ClientRequest };

export class SimFleet {
  readonly fleetId: string;
  readonly network: SimNetwork;
  readonly hsms: readonly Hsm[];

  private constructor(fleetId: string, network: SimNetwork, hsms: Hsm[]) {
    this.fleetId = fleetId;
    this.network = network;
    this.hsms = hsms;
  }

  static create(options: SimFleetOptions): SimFleet {
    const places = fleetLayout(options.fleetId, options.size, options.regions);
    const network = options.network ?? new SimNetwork();
    const replicas = places.map((p) => p.id);
    const hsms = places.map((place) => {
      const peers: PeerTransport = {
        replicas,
        send: (to, request) =>
          network.send(place.id, to, { kind: 'peer', request } satisfies Envelope) as Promise<PeerReply>,
      };
      const hsm = fleetHsm(place, options, peers, options.store?.(place.id));
      network.attach(hsm.id, hsm.region, async (_from, message) => {
        const m = message as Envelope;
        return m.kind === 'peer' ? hsm.handlePeer(m.request) : hsm.handleClient(m.request);
      });
      return hsm;
    });
    return new SimFleet(options.fleetId, network, hsms);
  }

  hsm(id: string): Hsm {
    const h = this.hsms.find((x) => x.id === id);
    if (!h) throw new FleetlogError('not_found', `no HSM ${id} in fleet ${this.fleetId}`);
    return h;
  }

  /**
   * A client's connection to one HSM, through the simulated network; with `clientRegion` the
   * client sits in that region of the network's latency model.
   */
  endpoint(hsmId: string, clientRegion?: string): HsmEndpoint {
    this.hsm(hsmId);
    const network = this.network;
    const from = clientRegion === undefined ? CLIENT : clientIn(clientRegion);
    return {
      hsmId,
      call: <T>(request: ClientRequest) =>
        network.send(from, hsmId, { kind: 'client', request } satisfies Envelope) as Promise<T>,
    };
  }

  endpoints(clientRegion?: string): HsmEndpoint[] {
    return this.hsms.map((h) => this.endpoint(h.id, clientRegion));
  }

  regions(): string[] {
    return [...new Set(this.hsms.map((h) => h.region))];
  }

  // ---- faults ----

  stop(...ids: string[]): void {
    for (const id of ids) this.network.stop(this.hsm(id).id);
  }

  /**
   * Brings stopped HSMs back. Each may have missed commits while it was away, so it is marked
   * stale and catches up (Hsm.sync) before it answers its next client request; `rejoin` waits
   * for that catch-up instead.
   */
  start(...ids: string[]): void {
    for (const id of ids) {
      const h = this.hsm(id);
      if (!this.network.isRunning(h.id)) h.markStale();
      this.network.start(h.id);
    }
  }

  /**
   * Starts the HSMs (if stopped) and waits until each has caught up on every register it missed.
   * Resolves with the HSMs that are caught up; one that cannot reach a majority stays stale.
   */
  async rejoin(...ids: string[]): Promise<string[]> {
    const hsms = ids.map((id) => this.hsm(id));
    for (const h of hsms) {
      h.markStale();
      this.network.start(h.id);
    }
    const done = await Promise.allSettled(hsms.map((h) => h.sync()));
    return hsms.filter((_, i) => done[i]!.status === 'fulfilled').map((h) => h.id);
  }

  partition(groups: readonly (readonly string[])[]): void {
    this.network.partition(groups);
  }

  /** Ends partitions and restarts stopped HSMs; every HSM catches up before it answers again. */
  heal(): void {
    this.network.heal();
    for (const h of this.hsms) {
      h.markStale();
      this.network.start(h.id);
    }
  }

  /** Every replica's local view of one user's register (not a consensus read). */
  replicaStatus(userId: string) {
    return this.hsms.map((h) => h.status(userId));
  }
}
