/**
 * The study's measurements on the in-process model: recovery latency per (fleet size, placement,
 * client region) against the round-trip bound, throughput per fleet size, and availability under
 * faults. Every latency here is wall time of `BackupClient.recover` with the right password: the
 * two OPAQUE round trips to the HSM, the guess and reset commits, and the CPU of both ends.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type LatencyModel, seededRandom } from '../net/latency.ts';
import { SimNetwork } from '../net/sim-network.ts';
import type { VirtualClock } from '../net/virtual-clock.ts';
import { coordinatorOrder, recoveryBound, type RecoveryBound } from './round-trip-bound.ts';
import { deployStudyFleet, placement, type StudyFleet } from './study-fleet.ts';

export interface LatencyCell {
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
  /** Which HSM answered most of the recoveries (the client tries the best coordinator first). */
  readonly coordinatorRegion: string;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Runs `tasks` with at most `limit` at once. */
export async function pool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

export interface LatencyPlan {
  readonly model: LatencyModel;
  /** Regions in placement order; placements use the first 1..maxRegions. */
  readonly regions: readonly string[];
  readonly sizes: readonly number[];
  readonly maxRegions: number;
  readonly samples: number;
  /** Recoveries in flight at once across the whole run (bounded so CPU queueing stays small). */
  readonly concurrency: number;
  readonly seed: number;
  /** Simulated time (the default in the study): latency is network time only, CPU counts as zero. */
  readonly clock?: VirtualClock;
}

/**
 * Latency of every (size, placement, client region). One fleet per (size, placement); each client
 * region has its own user, whose recoveries run one after another (a user's recoveries would
 * otherwise compete for the same register).
 */
export async function measureLatency(
  plan: LatencyPlan,
): Promise<{ cells: LatencyCell[]; eventLoopDelayP99Ms: number }> {
  const jobs: { size: number; r: number; f: StudyFleet; places: string[] }[] = [];
  // More regions than HSMs would place the same fleet again.
  for (const size of plan.sizes)
    for (let r = 1; r <= Math.min(plan.maxRegions, size); r++) {
      const regions = plan.regions.slice(0, r);
      const network = new SimNetwork({
        latency: plan.model.scaled(1, seededRandom(plan.seed + size * 100 + r)),
        clock: plan.clock,
      });
      const f = await deployStudyFleet({ fleetId: `study-${size}-${r}`, size, regions, network });
      jobs.push({ size, r, f, places: placement(size, regions) });
    }
  const cells: { job: (typeof jobs)[number]; clientRegion: string; user: string; times: number[]; via: string[] }[] =
    [];
  for (const job of jobs)
    for (const clientRegion of plan.regions) {
      const user = `u-${clientRegion}`;
      cells.push({ job, clientRegion, user, times: [], via: [] });
    }
  // Register every user first (not measured).
  await pool(
    cells.map((c) => async () => {
      const order = coordinatorOrder(plan.model, c.job.places, c.clientRegion);
      await c.job.f.client(c.user, c.clientRegion, order).register('the password');
    }),
    plan.concurrency,
  );
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  // Interleave: sample k of every cell before sample k+1 of any, so slow phases of the machine
  // spread over all cells instead of landing on a few.
  const tasks: (() => Promise<void>)[] = [];
  const busy = new Map<(typeof cells)[number], Promise<void>>();
  for (let k = 0; k < plan.samples; k++)
    for (const c of cells)
      tasks.push(async () => {
        // One recovery at a time per user: wait for this user's previous one.
        const previous = busy.get(c) ?? Promise.resolve();
        let release = (): void => undefined;
        const mine = new Promise<void>((r) => (release = r));
        busy.set(c, mine);
        await previous;
        try {
          const order = coordinatorOrder(plan.model, c.job.places, c.clientRegion);
          const client = c.job.f.client(c.user, c.clientRegion, order);
          const now = (): number => (plan.clock ? plan.clock.now() : performance.now());
          const t0 = now();
          const out = await client.recover('the password');
          c.times.push(now() - t0);
          c.via.push(out.hsmId);
        } finally {
          release();
        }
      });
  await pool(tasks, plan.concurrency);
  delay.disable();
  return {
    eventLoopDelayP99Ms: round1(delay.percentile(99) / 1e6),
    cells: cells.map((c) => {
      const sorted = [...c.times].sort((a, b) => a - b);
      const bound = recoveryBound(plan.model, c.job.places, c.clientRegion);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      const hsmIds = c.job.f.fleet.hsms.map((h) => h.id);
      const counts = new Map<string, number>();
      for (const v of c.via) counts.set(v, (counts.get(v) ?? 0) + 1);
      const top = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
      return {
        size: c.job.size,
        regions: c.job.r,
        placement: c.job.places,
        clientRegion: c.clientRegion,
        samples: sorted.length,
        p50Ms: round1(p50),
        p99Ms: round1(p99),
        bound: {
          ...bound,
          majorityRttMs: round1(bound.majorityRttMs),
          clientRttMs: round1(bound.clientRttMs),
          boundMs: round1(bound.boundMs),
        },
        ratioP50: round3(p50 / bound.boundMs),
        ratioP99: round3(p99 / bound.boundMs),
        coordinatorRegion: c.job.places[hsmIds.indexOf(top)] ?? '',
      };
    }),
  };
}

export interface ComputeFloor {
  readonly size: number;
  readonly samples: number;
  readonly p50Ms: number;
  /** CPU time of this process per recovery (both ends and every HSM run in it). */
  readonly cpuMsPerRecovery: number;
  /** Recoveries per second with `concurrency` clients and no network delay: the CPU-bound rate. */
  readonly throughputPerSecond: number;
  readonly concurrency: number;
}

/**
 * What a recovery costs without any network delay, per fleet size: its latency (the compute floor
 * that the round-trip bound leaves out) and the CPU-bound throughput of the in-process fleet.
 */
export async function measureComputeFloor(o: {
  sizes: readonly number[];
  regions: readonly string[];
  samples: number;
  throughputMs: number;
  concurrency: number;
}): Promise<ComputeFloor[]> {
  const out: ComputeFloor[] = [];
  for (const size of o.sizes) {
    const f = await deployStudyFleet({
      fleetId: `floor-${size}`,
      size,
      regions: o.regions.slice(0, 3),
      network: new SimNetwork(),
    });
    const order = f.fleet.hsms.map((_, i) => i);
    const lone = f.client('floor', undefined, order);
    await lone.register('the password');
    // Warm up (JIT, WASM) before timing.
    for (let i = 0; i < 5; i++) await lone.recover('the password');
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < o.samples; i++) {
      const t0 = performance.now();
      await lone.recover('the password');
      times.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    const users = Array.from({ length: o.concurrency }, (_, i) => f.client(`t${i}`, undefined, order));
    for (const u of users) await u.register('the password');
    let done = 0;
    const end = performance.now() + o.throughputMs;
    const t0 = performance.now();
    await Promise.all(
      users.map(async (u) => {
        while (performance.now() < end) {
          await u.recover('the password');
          done++;
        }
      }),
    );
    const elapsed = performance.now() - t0;
    out.push({
      size,
      samples: o.samples,
      p50Ms: round1(
        percentile(
          [...times].sort((a, b) => a - b),
          50,
        ),
      ),
      cpuMsPerRecovery: round1((cpu.user + cpu.system) / 1000 / o.samples),
      throughputPerSecond: round1((done / elapsed) * 1000),
      concurrency: o.concurrency,
    });
  }
  return out;
}
