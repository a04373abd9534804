/**
 * HSM-to-HSM messages over HTTP. Peer URLs may be filled in after the servers start (ports are
 * picked by the OS). A blocked peer is treated as unreachable in both directions: that is how the
 * simulator partitions HSMs that run as separate processes. With a latency model (net/latency.ts)
 * each request and each reply is held for one leg of the model between this HSM's region and the
 * peer's, the same model the in-process network applies, on top of the loopback's own time.
 */
export interface PeerLatency {
  readonly model: LatencyModel;
  readonly region: string;
  /** Region of every peer id. */
  readonly regions: ReadonlyMap<string, string>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
import { FleetlogError } from '../../core/errors.ts';
import type { PeerTransport } from '../hsm/hsm.ts';
import type { LatencyModel } from '../net/latency.ts';
import type { PeerReply, PeerRequest } from '../hsm/messages.ts';
import { readStreamCapped } from '../../service/body.ts';
import { reach } from './json-call.ts';

/** A key list of 100,000 registers is ~14 MB; a prepare or accept reply is a few kB. */
const MAX_PEER_REPLY_BYTES = 16 * 1024 * 1024;

export class HttpPeerTransport implements PeerTransport {
  readonly replicas: readonly string[];
  readonly #self: string;
  readonly #urls: Map<string, string>;
  #blocked = new Set<string>();

  readonly #latency: PeerLatency | undefined;

  constructor(self: string, replicas: readonly string[], urls: Map<string, string> = new Map(), latency?: PeerLatency) {
    this.#self = self;
    this.replicas = replicas;
    this.#urls = urls;
    this.#latency = latency;
  }

  #leg(from: string, to: string): Promise<void> | undefined {
    const l = this.#latency;
    if (!l) return undefined;
    const region = (id: string): string => (id === this.#self ? l.region : (l.regions.get(id) ?? l.region));
    return sleep(l.model.oneWayMs(region(from), region(to)));
  }

  block(peers: readonly string[]): void {
    this.#blocked = new Set(peers.filter((p) => p !== this.#self));
  }

  isBlocked(peer: string): boolean {
    return this.#blocked.has(peer);
  }

  async send(to: string, request: PeerRequest): Promise<PeerReply> {
    const url = this.#urls.get(to);
    if (!url || this.#blocked.has(to))
      throw new FleetlogError('unavailable', `${to} is unreachable from ${this.#self}`);
    await this.#leg(this.#self, to);
    const response = await reach(
      `${url}/peer`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-fleetlog-peer': this.#self },
        body: JSON.stringify(request),
      },
      // Generous: the proposer stops waiting once a majority answered, so a slow peer costs little.
      { timeoutMs: 10_000, who: to },
    );
    if (!response.ok) throw new FleetlogError('unavailable', `${to} answered HTTP ${response.status}`);
    // Whoever answers at a peer's address may not be the peer: the reply is read up to a cap (the
    // HSM then checks its MAC), so an endless body cannot exhaust this HSM's memory.
    const body = response.body ? await readStreamCapped(response.body, MAX_PEER_REPLY_BYTES) : new Uint8Array();
    if (body === undefined)
      throw new FleetlogError('unavailable', `${to} answered more than ${MAX_PEER_REPLY_BYTES} bytes`);
    let reply: PeerReply;
    try {
      reply = JSON.parse(new TextDecoder().decode(body)) as PeerReply;
    } catch {
      throw new FleetlogError('unavailable', `${to} answered a body that is not JSON`);
    }
    await this.#leg(to, this.#self);
    return reply;
  }
}
