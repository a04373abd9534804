/**
 * A fleet whose HSMs are separate processes on localhost (`fleetlog sim hsm serve`), driven over
 * their HTTP admin and client APIs. Faults: an HSM is stopped by killing its process; regions are
 * partitioned through each HSM's peer filter. A killed HSM can be restarted on its acceptor
 * database: its keys died with it, so it comes back as a new device that a live fleet HSM enrols
 * again (attestation and firmware checked, secrets sealed to it), and it catches up on every
 * register before it answers (specs/consensus.md §2.1). With a latency matrix, every HSM delays
 * its HSM-to-HSM messages by the model (http/peer-transport.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetlogError } from '../core/errors.ts';
import { writeFileSync } from 'node:fs';
import { writeKeyFile } from '../service/key-file.ts';
import { fleetLayout, type HsmPlace } from './fleet-members.ts';
import { randomId } from './hsm/crypto.ts';
import type { HsmEndpoint } from './hsm/endpoint.ts';
import type { ReplicaStatus } from './hsm/messages.ts';
import { HttpCeremonyHsm, httpEndpoint } from './http/hsm-client.ts';
import type { LatencyMatrix } from './net/latency.ts';
import { acrossPartition, type RegionGroups } from './net/partition.ts';
import { FLEETLOG_EXECUTABLE } from '../service/executable.ts';

const BIN = FLEETLOG_EXECUTABLE;

export interface ProcessFleetOptions {
  readonly fleetId: string;
  readonly vendorSkey: string;
  readonly size?: number;
  readonly regions?: readonly string[];
  readonly guessLimit?: number;
  /** Delay HSM-to-HSM messages by this model (the regions are the HSMs' regions). */
  readonly latency?: LatencyMatrix;
}

interface Member extends HsmPlace {
  readonly url: string;
  child: ChildProcess | undefined;
  output: string;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

export class ProcessFleet {
  readonly fleetId: string;
  readonly #members: Member[];
  readonly #token: string;
  readonly #dir: string;

  private constructor(fleetId: string, members: Member[], token: string, dir: string) {
    this.fleetId = fleetId;
    this.#members = members;
    this.#token = token;
    this.#dir = dir;
  }

  static async start(o: ProcessFleetOptions): Promise<ProcessFleet> {
    const places = fleetLayout(o.fleetId, o.size, o.regions);
    const dir = mkdtempSync(join(tmpdir(), 'fleetlog-sim-procs-'));
    const token = randomId();
    writeKeyFile(join(dir, 'vendor.key'), o.vendorSkey);
    writeKeyFile(join(dir, 'admin.token'), token);
    const members: Member[] = [];
    for (const place of places)
      members.push({ ...place, url: `http://127.0.0.1:${await freePort()}`, child: undefined, output: '' });
    const fleet = new ProcessFleet(o.fleetId, members, token, dir);
    const replicas = members.map((m) => `${m.id}=${m.url}`).join(',');
    const extra = o.guessLimit !== undefined ? ['--guess-limit', String(o.guessLimit)] : [];
    if (o.latency) {
      writeFileSync(join(dir, 'latency.json'), JSON.stringify(o.latency));
      extra.push('--latency', join(dir, 'latency.json'));
      extra.push('--peer-regions', members.map((m) => `${m.id}=${m.region}`).join(','));
    }
    fleet.#args = (m) => [
      BIN,
      'sim',
      'hsm',
      'serve',
      '--id',
      m.id,
      '--region',
      m.region,
      '--index',
      String(m.index),
      '--listen',
      m.url.slice(7),
      '--replicas',
      replicas,
      '--vendor-key',
      join(dir, 'vendor.key'),
      '--admin-token-file',
      join(dir, 'admin.token'),
      '--data',
      join(dir, m.id),
      '--exit-with-parent',
      ...extra,
    ];
    try {
      for (const m of members) fleet.#spawn(m);
      for (const m of members) await fleet.#waitHealthy(m);
    } catch (e) {
      await fleet.close();
      throw e;
    }
    return fleet;
  }

  #args: (m: Member) => string[] = () => [];

  #spawn(m: Member): void {
    m.output = '';
    const child = spawn(process.execPath, this.#args(m), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, FLEETLOG_LOG_LEVEL: 'warn' },
    });
    child.stdout!.on('data', (d: Buffer) => (m.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (m.output += d.toString()));
    m.child = child;
  }

  /**
   * Starts killed HSMs again on their data directories (same id, port and region): each keeps its
   * acceptor state and its identity key, so the pinned key set still names it. It comes back
   * without the fleet secrets, so a live HSM of the fleet enrols it (the ceremony's secret
   * transfer, attestation and firmware checked); then it catches up on every register before it
   * answers. Resolves once each has caught up.
   */
  async restart(...ids: string[]): Promise<void> {
    for (const id of ids) {
      const m = this.#members.find((x) => x.id === id);
      if (!m) throw new FleetlogError('not_found', `no HSM ${id} in fleet ${this.fleetId}`);
      if (m.child) continue;
      const sponsor = this.#members.find((x) => x.child && x !== m);
      if (!sponsor) throw new FleetlogError('unavailable', `no live HSM of ${this.fleetId} can enrol ${id} again`);
      this.#spawn(m);
      await this.#waitHealthy(m);
      const fresh = new HttpCeremonyHsm(m.url, this.#token);
      const from = new HttpCeremonyHsm(sponsor.url, this.#token);
      const [device, sender] = await Promise.all([fresh.describe(), from.describe()]);
      await fresh.importFleetSecrets(await from.exportFleetSecrets(device), sender);
      await fresh.sync();
    }
  }

  async #waitHealthy(m: Member): Promise<void> {
    // Generous: five processes starting at once on a loaded 2-core machine can take tens of seconds.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (m.child?.exitCode !== null && m.child?.exitCode !== undefined)
        throw new FleetlogError('internal', `${m.id} exited early:\n${m.output}`);
      try {
        if ((await fetch(`${m.url}/health`, { signal: AbortSignal.timeout(1000) })).ok) return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new FleetlogError('unavailable', `${m.id} did not start:\n${m.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get hsmIds(): string[] {
    return this.#members.map((m) => m.id);
  }

  regions(): string[] {
    return [...new Set(this.#members.map((m) => m.region))];
  }

  describe(): { hsmId: string; region: string; url: string; pid: number | undefined; up: boolean }[] {
    return this.#members.map((m) => ({
      hsmId: m.id,
      region: m.region,
      url: m.url,
      pid: m.child?.pid,
      up: m.child !== undefined,
    }));
  }

  ceremonyHsms(): HttpCeremonyHsm[] {
    return this.#members.map((m) => new HttpCeremonyHsm(m.url, this.#token));
  }

  endpoints(): HsmEndpoint[] {
    return this.#members.map((m) => httpEndpoint(m.id, m.url));
  }

  async status(userId: string): Promise<(ReplicaStatus | { hsmId: string; kind: 'down' })[]> {
    return Promise.all(
      this.#members.map(async (m) =>
        m.child
          ? new HttpCeremonyHsm(m.url, this.#token).status(userId).catch(() => ({ hsmId: m.id, kind: 'down' as const }))
          : { hsmId: m.id, kind: 'down' as const },
      ),
    );
  }

  /** Kills the HSM processes (SIGKILL: a power cut, not a clean shutdown). */
  async stop(...ids: string[]): Promise<void> {
    for (const id of ids) {
      const m = this.#members.find((x) => x.id === id);
      if (!m) throw new FleetlogError('not_found', `no HSM ${id} in fleet ${this.fleetId}`);
      const child = m.child;
      m.child = undefined;
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    }
  }

  /** HSMs talk only within their group of regions (net/partition.ts). */
  async partition(groups: RegionGroups): Promise<void> {
    for (const m of this.#members) {
      if (m.child)
        await new HttpCeremonyHsm(m.url, this.#token).partition(acrossPartition(groups, m.region, this.#members));
    }
  }

  async close(): Promise<void> {
    await this.stop(...this.#members.filter((m) => m.child).map((m) => m.id));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
