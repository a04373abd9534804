/** Client and ceremony connections to HSMs that run behind HTTP (http/hsm-server.ts). */
import type { HsmRecord } from '../../core/entries/deployment-evidence.ts';
import type { CeremonyHsm } from '../ceremony.ts';
import type { HsmEndpoint } from '../hsm/endpoint.ts';
import type { DeviceDescription, SealedFleetSecrets } from '../hsm/device.ts';
import type { ClientRequest, ReplicaStatus } from '../hsm/messages.ts';
import { postJson } from './json-call.ts';

export function httpEndpoint(hsmId: string, url: string): HsmEndpoint {
  return { hsmId, call: <T>(request: ClientRequest) => postJson<T>(`${url}/client`, request, { timeoutMs: 30_000 }) };
}

export class HttpCeremonyHsm implements CeremonyHsm {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}
  #post<T>(path: string, body: unknown = {}): Promise<T> {
    return postJson<T>(`${this.url}/admin/${path}`, body, { token: this.token, timeoutMs: 30_000 });
  }
  describe(): Promise<DeviceDescription> {
    return this.#post('describe');
  }
  async createFleet(fleetId: string): Promise<void> {
    await this.#post('create-fleet', { fleetId });
  }
  exportFleetSecrets(peer: DeviceDescription): Promise<SealedFleetSecrets> {
    return this.#post('export-secrets', peer);
  }
  async importFleetSecrets(sealed: SealedFleetSecrets, sender: DeviceDescription): Promise<void> {
    await this.#post('import-secrets', { sealed, sender });
  }
  fleetRecord(): Promise<HsmRecord> {
    return this.#post('fleet-record');
  }
  async installBundle(bundle: string): Promise<void> {
    await this.#post('install-bundle', { bundle });
  }
  status(userId: string): Promise<ReplicaStatus> {
    return this.#post('status', { userId });
  }
  /** Catch up on every register now (Hsm.sync); fails `unavailable` without a majority. */
  sync(): Promise<{ registers: number; repaired: number }> {
    return this.#post('sync');
  }
  async partition(blocked: readonly string[]): Promise<void> {
    await this.#post('partition', { blocked });
  }
}
