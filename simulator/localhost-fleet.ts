/**
 * A fleet whose HSMs each listen on their own localhost port and replicate over HTTP (the demo's
 * fleet). The HSM objects live in this process; everything between them, and between clients and
 * them, goes over real sockets. With a data directory, each HSM's acceptor state is an SQLite file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FleetlogError } from '../core/errors.ts';
import type { RunningServer } from '../service/serve.ts';
import { MemoryAcceptorStore, type AcceptorStore } from './consensus/acceptor.ts';
import { SqliteAcceptorStore } from './consensus/sqlite-store.ts';
import { DEFAULT_FLEET_SIZE, DEFAULT_REGIONS } from './fleet.ts';
import { randomId } from './hsm/crypto.ts';
import type { HsmEndpoint } from './hsm/endpoint.ts';
import { firmwareImage, type FirmwareImage } from './hsm/firmware.ts';
import { Hsm } from './hsm/hsm.ts';
import type { HsmVendor } from './hsm/vendor.ts';
import { HttpCeremonyHsm, httpEndpoint } from './http/hsm-client.ts';
import { startHsmServer } from './http/hsm-server.ts';
import { HttpPeerTransport } from './http/peer-transport.ts';

export interface LocalhostFleetOptions {
  readonly fleetId: string;
  readonly vendor: HsmVendor;
  readonly size?: number;
  readonly regions?: readonly string[];
  readonly firmware?: FirmwareImage;
  readonly guessLimit?: number;
  /** Keep each HSM's acceptor state in DIR/<hsmId>.db. */
  readonly dataDir?: string;
}

interface Member {
  readonly hsm: Hsm;
  readonly transport: HttpPeerTransport;
  readonly store: AcceptorStore;
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
    const size = o.size ?? DEFAULT_FLEET_SIZE;
    const regions = o.regions ?? DEFAULT_REGIONS;
    const ids = Array.from({ length: size }, (_, i) => `${o.fleetId}-hsm-${i + 1}`);
    if (o.dataDir) mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    const adminToken = randomId();
    const urls = new Map<string, string>();
    const members: Member[] = ids.map((id, i) => {
      const transport = new HttpPeerTransport(id, ids, urls);
      const store = o.dataDir ? new SqliteAcceptorStore(join(o.dataDir, `${id}.db`)) : new MemoryAcceptorStore();
      const hsm = new Hsm({
        id,
        region: regions[i % regions.length]!,
        index: i + 1,
        firmware: o.firmware ?? firmwareImage(),
        vendor: o.vendor,
        trustedVendors: [o.vendor.vkey],
        peers: transport,
        store,
        ...(o.guessLimit !== undefined ? { guessLimit: o.guessLimit } : {}),
      });
      return { hsm, transport, store, port: 0, url: '', server: undefined };
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

  get hsms(): readonly Hsm[] {
    return this.#members.map((m) => m.hsm);
  }

  urls(): { hsmId: string; region: string; url: string; up: boolean }[] {
    return this.#members.map((m) => ({ hsmId: m.hsm.id, region: m.hsm.region, url: m.url, up: m.server !== undefined }));
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

  /** HSMs talk only within their group of regions. */
  partition(groups: readonly (readonly string[])[]): void {
    const groupOf = (region: string): number => {
      const i = groups.findIndex((g) => g.includes(region));
      return i < 0 ? groups.length : i;
    };
    for (const m of this.#members) {
      m.transport.block(this.#members.filter((x) => groupOf(x.hsm.region) !== groupOf(m.hsm.region)).map((x) => x.hsm.id));
    }
  }

  heal(): void {
    for (const m of this.#members) m.transport.block([]);
  }

  async close(): Promise<void> {
    for (const m of this.#members) {
      await m.server?.close();
      m.server = undefined;
      if (m.store instanceof SqliteAcceptorStore) m.store.close();
    }
  }
}
