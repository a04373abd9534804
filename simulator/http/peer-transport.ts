/**
 * HSM-to-HSM messages over HTTP. Peer URLs may be filled in after the servers start (ports are
 * picked by the OS). A blocked peer is treated as unreachable in both directions: that is how the
 * simulator partitions HSMs that run as separate processes.
 */
import { FleetlogError } from '../../core/errors.ts';
import type { PeerTransport } from '../hsm/hsm.ts';
import type { PeerReply, PeerRequest } from '../hsm/messages.ts';
import { reach } from './json-call.ts';

export class HttpPeerTransport implements PeerTransport {
  readonly replicas: readonly string[];
  readonly #self: string;
  readonly #urls: Map<string, string>;
  #blocked = new Set<string>();

  constructor(self: string, replicas: readonly string[], urls: Map<string, string> = new Map()) {
    this.#self = self;
    this.replicas = replicas;
    this.#urls = urls;
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
    return (await response.json()) as PeerReply;
  }
}
