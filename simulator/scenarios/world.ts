/**
 * The world scenarios run in: a real log-server and three witnesses on localhost (temporary
 * SQLite), and in-process fleets deployed through the real ceremony and logged for real. Each
 * scenario deploys its own fleet, so scenarios do not depend on one another.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../service/logger.ts';
import { BackupClient, FAST_KEY_STRETCHING } from '../client/backup-client.ts';
import {
  MemoryStateStore,
  OverTheAirTrust,
  type ClientStateStore,
  type LogReader,
} from '../client/fleet-trust-source.ts';
import { deployFleet, type Deployment } from '../deploy/deploy-fleet.ts';
import { HttpLogReader } from '../deploy/log-http.ts';
import { startStack, type Stack } from '../deploy/stack.ts';
import { SimFleet } from '../fleet.ts';
import { firmwareImage } from '../hsm/firmware.ts';
import type { HsmEndpoint } from '../hsm/endpoint.ts';

export interface DeployedFleet {
  readonly fleet: SimFleet;
  readonly deployment: Deployment;
}

export interface OtaClientOptions {
  readonly userId?: string;
  readonly state?: ClientStateStore;
  /** What the client fetches from "the log": the real one, or an attacker in the middle. */
  readonly log?: LogReader;
  readonly bundleSource?: 'log' | 'hsm';
  readonly endpoints?: readonly HsmEndpoint[];
  /** The client's clock, seconds since the epoch (default: now). */
  readonly now?: () => number;
}

export class ScenarioWorld {
  readonly stack: Stack;
  readonly log: HttpLogReader;
  readonly #dir: string;
  readonly #keep: boolean;

  private constructor(stack: Stack, dir: string, keep: boolean) {
    this.stack = stack;
    this.log = new HttpLogReader(stack.log.url);
    this.#dir = dir;
    this.#keep = keep;
  }

  static async start(dataDir?: string): Promise<ScenarioWorld> {
    const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'fleetlog-scenarios-'));
    return new ScenarioWorld(await startStack({ dataDir: dir, logger: silentLogger }), dir, dataDir !== undefined);
  }

  now(): number {
    return Math.floor(Date.now() / 1000);
  }

  /** Deploys new HSMs as fleet `fleetId` and publishes key set `version` (default 1) for them. */
  async deploy(fleetId: string, o: { version?: number; validitySeconds?: number } = {}): Promise<DeployedFleet> {
    const fleet = SimFleet.create({ fleetId, vendor: this.stack.vendor });
    const deployment = await deployFleet({
      stack: this.stack,
      fleetId,
      hsms: fleet.hsms,
      firmware: firmwareImage(),
      now: this.now(),
      ...o,
      installBundle: (b) => {
        for (const h of fleet.hsms) h.installBundle(b);
      },
    });
    return { fleet, deployment };
  }

  /** An over-the-air backup client of fleet `f`. */
  client(f: DeployedFleet, o: OtaClientOptions = {}): BackupClient {
    const trust = new OverTheAirTrust({
      policy: this.stack.policy,
      state: o.state ?? new MemoryStateStore(),
      log: o.log ?? this.log,
      bundleSource: o.bundleSource ?? 'log',
      ...(o.now ? { now: o.now } : {}),
    });
    return new BackupClient({
      userId: o.userId ?? 'alice',
      fleetId: f.fleet.fleetId,
      endpoints: o.endpoints ?? f.fleet.endpoints(),
      trust,
      keyStretching: FAST_KEY_STRETCHING,
    });
  }

  async close(): Promise<void> {
    await this.stack.close();
    if (!this.#keep) rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A LogReader that lets an attacker answer some requests. */
export function interceptedLog(real: LogReader, fleetBundle: (fleetId: string) => Promise<string>): LogReader {
  return { fleetBundle, consistencyProof: (a, b) => real.consistencyProof(a, b) };
}
