/**
 * An in-process fleet: N simulated HSMs (default 5) spread over named regions, joined by a
 * SimNetwork on which the simulator injects faults (stop an HSM, partition regions, cut a link).
 * The fleet secrets do not exist until a ceremony (ceremony.ts) creates them inside the HSMs.
 */
import { FleetlogError } from '../core/errors.ts';
import type { AcceptorStore } from './consensus/acceptor.ts';
import type { HsmEndpoint } from './hsm/endpoint.ts';
import { firmwareImage, type FirmwareImage } from './hsm/firmware.ts';
import { Hsm, type PeerTransport } from './hsm/hsm.ts';
import type { ClientRequest, PeerReply, PeerRequest } from './hsm/messages.ts';
import type { HsmVendor } from './hsm/vendor.ts';
import { CLIENT, SimNetwork } from './net/sim-network.ts';

export const DEFAULT_FLEET_SIZE = 5;
export const DEFAULT_REGIONS: readonly string[] = ['eu-west', 'us-east', 'ap-south'];

export interface SimFleetOptions {
  readonly fleetId: string;
  readonly vendor: HsmVendor;
  readonly size?: number;
  readonly regions?: readonly string[];
  readonly firmware?: FirmwareImage;
  readonly guessLimit?: number;
  readonly loginTtlMs?: number;
  /** The HSMs' clock in ms (default Date.now); tests move it to expire pending logins. */
  readonly now?: () => number;
  readonly network?: SimNetwork;
  /** Durable acceptor storage per HSM (default: memory). */
  readonly store?: (hsmId: string) => AcceptorStore;
}

type Envelope = { readonly kind: 'peer'; readonly request: PeerRequest } | { readonly kind: 'client'; readonly request: ClientRequest };

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
    const size = options.size ?? DEFAULT_FLEET_SIZE;
    const regions = options.regions ?? DEFAULT_REGIONS;
    if (!Number.isSafeInteger(size) || size < 1 || size > 32) throw new FleetlogError('usage', 'a fleet has 1 to 32 HSMs');
    if (regions.length === 0) throw new FleetlogError('usage', 'a fleet needs at least one region');
    const network = options.network ?? new SimNetwork();
    const ids = Array.from({ length: size }, (_, i) => `${options.fleetId}-hsm-${i + 1}`);
    const hsms = ids.map((id, i) => {
      const peers: PeerTransport = {
        replicas: ids,
        send: (to, request) => network.send(id, to, { kind: 'peer', request } satisfies Envelope) as Promise<PeerReply>,
      };
      const hsm = new Hsm({
        id,
        region: regions[i % regions.length]!,
        index: i + 1,
        firmware: options.firmware ?? firmwareImage(),
        vendor: options.vendor,
        trustedVendors: [options.vendor.vkey],
        peers,
        ...(options.store ? { store: options.store(id) } : {}),
        ...(options.guessLimit !== undefined ? { guessLimit: options.guessLimit } : {}),
        ...(options.loginTtlMs !== undefined ? { loginTtlMs: options.loginTtlMs } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      network.attach(id, hsm.region, async (_from, message) => {
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

  /** A client's connection to one HSM, through the simulated network. */
  endpoint(hsmId: string): HsmEndpoint {
    this.hsm(hsmId);
    const network = this.network;
    return {
      hsmId,
      call: <T>(request: ClientRequest) => network.send(CLIENT, hsmId, { kind: 'client', request } satisfies Envelope) as Promise<T>,
    };
  }

  endpoints(): HsmEndpoint[] {
    return this.hsms.map((h) => this.endpoint(h.id));
  }

  regions(): string[] {
    return [...new Set(this.hsms.map((h) => h.region))];
  }

  // ---- faults ----

  stop(...ids: string[]): void {
    for (const id of ids) this.network.stop(this.hsm(id).id);
  }

  start(...ids: string[]): void {
    for (const id of ids) this.network.start(this.hsm(id).id);
  }

  partition(groups: readonly (readonly string[])[]): void {
    this.network.partition(groups);
  }

  heal(): void {
    this.network.heal();
    for (const h of this.hsms) this.network.start(h.id);
  }

  /** Every replica's local view of one user's register (not a consensus read). */
  replicaStatus(userId: string) {
    return this.hsms.map((h) => h.status(userId));
  }
}
