/**
 * Recovery latency with real HSM processes on loopback (process-fleet.ts), with the latency model
 * injected into every HSM-to-HSM message (http/peer-transport.ts) and into the client's calls
 * (here). Unlike the in-process model this is wall time: CPU, HTTP, SQLite with synchronous=FULL
 * and the machine's load all count. Recoveries run one at a time.
 */
import { KEY_TYPE_ED25519, generateKey } from '../../core/note/keys.ts';
import { HsmVendor } from '../hsm/vendor.ts';
import { delayedEndpoint } from '../net/delayed-endpoint.ts';
import { seededRandom, type LatencyModel } from '../net/latency.ts';
import { ProcessFleet } from '../process-fleet.ts';
import { percentile } from './measure.ts';
import { coordinatorOrder, recoveryBound, type RecoveryBound } from './round-trip-bound.ts';
import { ceremonyKeys, placement, studyClient } from './study-fleet.ts';

export interface ProcessCell {
  readonly size: number;
  readonly regions: number;
  readonly placement: readonly string[];
  readonly clientRegion: string;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly bound: RecoveryBound;
  readonly ratioP50: number;
  readonly ratioP99: number;
  /** The same recoveries through a fleet of processes without injected delay: CPU and I/O alone. */
  readonly noDelayP50Ms: number;
}

/** p50/p99 of `samples` sequential recoveries per client region of a process fleet. */
async function timeRecoveries(o: {
  model: LatencyModel;
  places: readonly string[];
  regions: readonly string[];
  samples: number;
  seed: number;
  delay: boolean;
}): Promise<Map<string, number[]>> {
  const vendorSkey = generateKey('hsm-vendor.example', KEY_TYPE_ED25519).skey;
  const vendor = new HsmVendor(vendorSkey);
  const fleet = await ProcessFleet.start({
    fleetId: 'study-procs',
    vendorSkey,
    size: o.places.length,
    regions: o.regions,
    ...(o.delay ? { latency: o.model.matrix } : {}),
  });
  try {
    const keys = await ceremonyKeys('study-procs', fleet.ceremonyHsms(), vendor);
    const endpoints = fleet.endpoints();
    const model = o.model.scaled(1, seededRandom(o.seed));
    const out = new Map<string, number[]>();
    for (const clientRegion of o.regions) {
      const order = coordinatorOrder(o.model, o.places, clientRegion);
      const client = studyClient(
        'study-procs',
        keys,
        `p-${clientRegion}`,
        order.map((i) => (o.delay ? delayedEndpoint(endpoints[i]!, model, clientRegion, o.places[i]!) : endpoints[i]!)),
      );
      await client.register('the password');
      const times: number[] = [];
      for (let i = 0; i < o.samples; i++) {
        const t0 = performance.now();
        await client.recover('the password');
        times.push(performance.now() - t0);
      }
      out.set(
        clientRegion,
        times.sort((a, b) => a - b),
      );
    }
    return out;
  } finally {
    await fleet.close();
  }
}

export async function measureProcesses(o: {
  model: LatencyModel;
  regions: readonly string[];
  size: number;
  regionCount: number;
  samples: number;
  seed: number;
}): Promise<ProcessCell[]> {
  const regions = o.regions.slice(0, o.regionCount);
  const places = placement(o.size, regions);
  const common = { model: o.model, places, regions, samples: o.samples, seed: o.seed };
  const delayed = await timeRecoveries({ ...common, delay: true });
  const bare = await timeRecoveries({ ...common, delay: false });
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  return regions.map((clientRegion) => {
    const times = delayed.get(clientRegion)!;
    const bound = recoveryBound(o.model, places, clientRegion);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    return {
      size: o.size,
      regions: o.regionCount,
      placement: places,
      clientRegion,
      samples: times.length,
      p50Ms: r1(p50),
      p99Ms: r1(p99),
      bound: {
        ...bound,
        majorityRttMs: r1(bound.majorityRttMs),
        clientRttMs: r1(bound.clientRttMs),
        boundMs: r1(bound.boundMs),
      },
      ratioP50: Math.round((p50 / bound.boundMs) * 1000) / 1000,
      ratioP99: Math.round((p99 / bound.boundMs) * 1000) / 1000,
      noDelayP50Ms: r1(percentile(bare.get(clientRegion)!, 50)),
    };
  });
}
