/**
 * Availability under faults, on the in-process model: the share of recoveries that succeed
 *   - with k HSMs down, k = 0..N, over seeded random choices of which k;
 *   - with each single region lost (all its HSMs unreachable);
 *   - with each single region cut off from the others (a partition; clients still reach it).
 * Each trial is one real recovery by a client that tries every HSM. Network delay does not change
 * which recoveries can succeed (no timeouts in the model), so the trials run without delay. After
 * each trial the fleet heals and every HSM catches up (Hsm.sync) before the next.
 */
import { isFleetlogError } from '../../core/errors.ts';
import { seededRandom } from '../net/latency.ts';
import { SimNetwork } from '../net/sim-network.ts';
import { deployStudyFleet, placement } from './study-fleet.ts';

export interface AvailabilityCell {
  readonly size: number;
  readonly regions: number;
  readonly placement: readonly string[];
  /** Share of successful recoveries per number of HSMs down (index k), and trials per k. */
  readonly hsmsDown: readonly { readonly k: number; readonly trials: number; readonly successRate: number }[];
  readonly regionLost: readonly { readonly region: string; readonly hsms: number; readonly recovered: boolean }[];
  readonly regionCut: readonly { readonly region: string; readonly hsms: number; readonly recovered: boolean }[];
}

export async function measureAvailability(o: {
  sizes: readonly number[];
  regions: readonly string[];
  maxRegions: number;
  trials: number;
  seed: number;
}): Promise<AvailabilityCell[]> {
  const out: AvailabilityCell[] = [];
  for (const size of o.sizes)
    for (let r = 1; r <= Math.min(o.maxRegions, size); r++) {
      const regions = o.regions.slice(0, r);
      const places = placement(size, regions);
      const f = await deployStudyFleet({ fleetId: `avail-${size}-${r}`, size, regions, network: new SimNetwork() });
      const ids = f.fleet.hsms.map((h) => h.id);
      const client = f.client(
        'avail',
        undefined,
        ids.map((_, i) => i),
      );
      await client.register('the password');
      const attempt = async (): Promise<boolean> => {
        try {
          await client.recover('the password');
          return true;
        } catch (e) {
          if (!isFleetlogError(e, 'unavailable')) throw e;
          return false;
        }
      };
      const restore = async (): Promise<void> => {
        f.fleet.heal();
        await f.fleet.rejoin(...ids);
      };
      const random = seededRandom(o.seed + size * 100 + r);
      const hsmsDown: AvailabilityCell['hsmsDown'][number][] = [];
      for (let k = 0; k <= size; k++) {
        let ok = 0;
        for (let t = 0; t < o.trials; t++) {
          const down = shuffle(ids, random).slice(0, k);
          f.fleet.stop(...down);
          if (await attempt()) ok++;
          await restore();
        }
        hsmsDown.push({ k, trials: o.trials, successRate: ok / o.trials });
      }
      const regionLost: AvailabilityCell['regionLost'][number][] = [];
      const regionCut: AvailabilityCell['regionCut'][number][] = [];
      for (const region of regions) {
        const inside = ids.filter((_, i) => places[i] === region);
        f.fleet.stop(...inside);
        regionLost.push({ region, hsms: inside.length, recovered: await attempt() });
        await restore();
        f.fleet.partition([[region], regions.filter((x) => x !== region)]);
        regionCut.push({ region, hsms: inside.length, recovered: await attempt() });
        await restore();
      }
      out.push({ size, regions: r, placement: places, hsmsDown, regionLost, regionCut });
    }
  return out;
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
