/**
 * Talking to a fleetlog log-server over HTTP: submit an entry (POST /add-entry, bearer token),
 * and read what clients and scenarios need: a fleet bundle (GET /fleet-bundle/<fleetId>), a
 * consistency proof, an entry, the checkpoint. Every failure to reach the log is `unavailable`.
 */
import { fromBase64 } from '../../core/bytes.ts';
import { FleetlogError } from '../../core/errors.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import type { LogReader } from '../client/fleet-trust-source.ts';
import { errorBody, reach } from '../http/json-call.ts';

export interface SubmitResult {
  readonly index: number;
  readonly leafHash: string;
  readonly checkpoint: string;
  readonly duplicate?: boolean;
}

async function request(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await reach(url, init, { timeoutMs: 30_000, who: `the log at ${new URL(url).host}` });
  if (!response.ok) {
    const body = await errorBody(response);
    throw new FleetlogError(
      body.code ?? 'unavailable',
      `${init.method ?? 'GET'} ${new URL(url).pathname}: ${body.message ?? `HTTP ${response.status}`}`,
    );
  }
  return response;
}

export async function submitEntry(logUrl: string, token: string, entry: Uint8Array): Promise<SubmitResult> {
  const r = await request(`${logUrl}/add-entry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: entry as Uint8Array<ArrayBuffer>,
  });
  return (await r.json()) as SubmitResult;
}

export class HttpLogReader implements LogReader {
  constructor(readonly url: string) {}

  async fleetBundle(fleetId: string): Promise<string> {
    return (await request(`${this.url}/fleet-bundle/${encodeURIComponent(fleetId)}`)).text();
  }

  async consistencyProof(oldSize: number, newSize: number): Promise<Hash[]> {
    const body = (await (await request(`${this.url}/proof/consistency?old=${oldSize}&new=${newSize}`)).json()) as {
      proof: string[];
    };
    return body.proof.map((h) => fromBase64(h, 32, 'consistency proof hash'));
  }

  async entry(index: number): Promise<Uint8Array> {
    return new Uint8Array(await (await request(`${this.url}/entry/${index}`)).arrayBuffer());
  }

  async checkpoint(): Promise<string> {
    return (await request(`${this.url}/checkpoint`)).text();
  }
}
