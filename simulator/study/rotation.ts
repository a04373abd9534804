/**
 * The cost of fleet rotation: from the moment a new fleet's key set is submitted for publication
 * until an over-the-air client uses the new fleet. Runs a real log-server and three witnesses on
 * loopback (deploy/stack.ts, no injected delay: their time is sequencing, SQLite and cosigning),
 * and each new fleet in-process with the latency model between the client and the HSMs (real
 * timers). Per rotation:
 *   publishMs   submission of evidence and key set → a quorum-cosigned, verified bundle on the HSMs
 *               (publisher library: submitKeyset with wait, the path `fleetlog fleet submit --wait` runs);
 *   firstUseMs  the client's first operation on the new fleet: it takes the bundle from an HSM's
 *               reply, verifies it (audit steps 1-8, with a consistency proof from the log) and
 *               registers its backup there.
 * A client that only looks for a new fleet every P seconds adds up to P; this one acts at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../service/logger.ts';
import { ceremonyWithKeyset } from '../ceremony.ts';
import { BackupClient, FAST_KEY_STRETCHING } from '../client/backup-client.ts';
import { MemoryStateStore, OverTheAirTrust } from '../client/fleet-trust-source.ts';
import { publishKeyset } from '../deploy/deploy-fleet.ts';
import { HttpLogReader } from '../deploy/log-http.ts';
import { startStack } from '../deploy/stack.ts';
import { SimFleet } from '../fleet.ts';
import { firmwareImage } from '../hsm/firmware.ts';
import { seededRandom, type LatencyModel } from '../net/latency.ts';
import { SimNetwork } from '../net/sim-network.ts';
import { percentile } from './measure.ts';
import { coordinatorOrder } from './round-trip-bound.ts';
import { placement } from './study-fleet.ts';

export interface RotationResult {
  readonly model: string;
  readonly size: number;
  readonly placement: readonly string[];
  readonly clientRegion: string;
  readonly rotations: number;
  readonly publishP50Ms: number;
  readonly publishMaxMs: number;
  readonly firstUseP50Ms: number;
  readonly firstUseMaxMs: number;
  readonly totalP50Ms: number;
}

export const ROTATION_MODEL =
  'log-server and 3 witnesses as real servers on loopback (no injected delay); the new fleet in-process with the latency model between client and HSMs, real time';

export async function measureRotation(o: {
  model: LatencyModel;
  regions: readonly string[];
  rotations: number;
  seed: number;
}): Promise<RotationResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlog-study-rotation-'));
  const stack = await startStack({ dataDir: dir, logger: silentLogger });
  const regions = o.regions.slice(0, 3);
  const places = placement(5, regions);
  const clientRegion = regions[0]!;
  const publish: number[] = [];
  const firstUse: number[] = [];
  const total: number[] = [];
  try {
    const log = new HttpLogReader(stack.log.url);
    // One client across rotations: its state (the checkpoint it last saw) carries over, as on a device.
    const state = new MemoryStateStore();
    for (let i = 0; i < o.rotations; i++) {
      const fleetId = `rotation-${i + 1}`;
      const network = new SimNetwork({ latency: o.model.scaled(1, seededRandom(o.seed + i)) });
      const fleet = SimFleet.create({ fleetId, vendor: stack.vendor, size: 5, regions, network });
      const now = Math.floor(Date.now() / 1000);
      // The ceremony comes before publication and is not counted.
      const { ceremony, keyset } = await ceremonyWithKeyset({
        fleetId,
        hsms: fleet.hsms,
        firmware: firmwareImage(),
        vendorKeys: [stack.vendor.vkey],
        now,
        publisher: stack.publisher,
        countersigner: stack.countersigner,
        validitySeconds: 86_400,
      });
      const t0 = performance.now();
      await publishKeyset({
        stack,
        fleetId,
        hsms: fleet.hsms,
        firmware: firmwareImage(),
        now,
        ceremony,
        keyset,
        installBundle: (b) => {
          for (const h of fleet.hsms) h.installBundle(b);
        },
      });
      const t1 = performance.now();
      const client = new BackupClient({
        userId: 'rotating-user',
        fleetId,
        endpoints: coordinatorOrder(o.model, places, clientRegion).map((k) =>
          fleet.endpoint(fleet.hsms[k]!.id, clientRegion),
        ),
        trust: new OverTheAirTrust({ policy: stack.policy, state, log, bundleSource: 'hsm' }),
        keyStretching: FAST_KEY_STRETCHING,
      });
      await client.register('the password');
      const t2 = performance.now();
      publish.push(t1 - t0);
      firstUse.push(t2 - t1);
      total.push(t2 - t0);
    }
  } finally {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  return {
    model: ROTATION_MODEL,
    size: 5,
    placement: places,
    clientRegion,
    rotations: o.rotations,
    publishP50Ms: r1(percentile(sorted(publish), 50)),
    publishMaxMs: r1(Math.max(...publish)),
    firstUseP50Ms: r1(percentile(sorted(firstUse), 50)),
    firstUseMaxMs: r1(Math.max(...firstUse)),
    totalP50Ms: r1(percentile(sorted(total), 50)),
  };
}
