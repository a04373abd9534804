/**
 * A fleet whose HSMs each listen on their own localhost port and replicate over HTTP (the demo's
 * fleet). The HSM objects live in this process; everything between them, and between clients and
 * them, goes over real sockets. With a data directory, each HSM's acceptor state is an SQLite file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FleetlogError } from '../core/errors.ts';
import type { RunningServer } from '../service/serve.ts';
import { SqliteAcceptorStore } from './consensus/sqlite-store.ts';
import { fleetHsm, fleetLayout, type FleetHsmOptions } from './fleet-members.ts';
import { randomId } from './hsm/crypto.ts';
import type { HsmEndpoint } from './hsm/endpoint.ts';
import type { Hsm } from './hsm/hsm.ts';
import { HttpCeremonyHsm, httpEndpoint } from './http/hsm-client.ts';
import { startHsmServer } from './http/hsm-server.ts';
import { HttpPeerTransport } from './http/peer-transport.ts';

export interface LocalhostFleetOptions extends FleetHsmOptions {
  readonly fleetId: string;
  readonly size?: number;
  readonly regions?: readonly string[];
  /** Keep each HSM's acceptor state in DIR/<hsmId>.db (default: memory). */
  readonly dataDir?: string;
}

interface Member {
  readonly hsm: Hsm;
  readonly transport: HttpPeerTransport;
  readonly store: SqliteAcceptorStore | undefined;
  port: number;
  url: string;
  server: RunningServer | undefined;
}

export class LocalhostFleet {
  readonly fleetId: string;
  readonly adminToken: string;
  readonly #members: Member[];

  private constructor(fleetId: string, adminToken: string, members: Member[]) {
    this.fleetId = fleetId;
    this.adminToken = adminToken;
    this.#members = members;
  }

  static async start(o: LocalhostFleetOptions): Promise<LocalhostFleet> {
    const places = fleetLayout(o.fleetId, o.size, o.regions);
    const ids = places.map((p) => p.id);
    if (o.dataDir) mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    const adminToken = randomId();
    const urls = new Map<string, string>();
    const members: Member[] = places.map((place) => {
      const transport = new HttpPeerTransport(place.id, ids, urls);
      const store = o.dataDir ? new SqliteAcceptorStore(join(o.dataDir, `${place.id}.db`)) : undefined;
      return { hsm: fleetHsm(place, o, transport, store), transport, store, port: 0, url: '', server: undefined };
    });
    const fleet = new LocalhostFleet(o.fleetId, adminToken, members);
    for (const m of members) {
      await fleet.#serve(m);
      urls.set(m.hsm.id, m.url);
    }
    return fleet;
  }

  async #serve(m: Member): Promise<void> {
    m.server = await startHsmServer({ hsm: m.hsm, adminToken: this.adminToken, transport: m.transport, port: m.port });
    m.port = m.server.port;
    m.url = m.server.url;
  }

  urls(): { hsmId: string; region: string; url: string; up: boolean }[] {
    return this.#members.map((m) => ({
      hsmId: m.hsm.id,
      region: m.hsm.region,
      url: m.url,
      up: m.server !== undefined,
    }));
  }

  endpoints(): HsmEndpoint[] {
    return this.#members.map((m) => httpEndpoint(m.hsm.id, m.url));
  }

  /** The ceremony talks to each HSM through its admin API, as an operator would. */
  ceremonyHsms(): HttpCeremonyHsm[] {
    return this.#members.map((m) => new HttpCeremonyHsm(m.url, this.adminToken));
  }

  async installBundle(bundle: string): Promise<void> {
    for (const c of this.ceremonyHsms()) await c.installBundle(bundle);
  }

  #member(id: string): Member {
    const m = this.#members.find((x) => x.hsm.id === id);
    if (!m) throw new FleetlogError('not_found', `no HSM ${id} in fleet ${this.fleetId}`);
    return m;
  }

  /** Stops an HSM's server (its port stops answering); its state and keys stay for a restart. */
  async stop(...ids: string[]): Promise<void> {
    for (const id of ids) {
      const m = this.#member(id);
      await m.server?.close();
      m.server = undefined;
    }
  }

  async start(...ids: string[]): Promise<void> {
    for (const id of ids) {
      const m = this.#member(id);
      if (!m.server) await this.#serve(m);
    }
  }

  async close(): Promise<void> {
    for (const m of this.#members) {
      await m.server?.close();
      m.server = undefined;
      m.store?.close();
    }
  }
}
