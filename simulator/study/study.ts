/**
 * `fleetlog sim study` (`npm run study`): the fleet's trade-off, measured. Writes
 *   study.json                        every figure, with the model that produced it
 *   latency-<R>-regions.svg           latency vs fleet size for each placement, limit drawn in
 *   availability-<R>-regions.svg      recoveries that succeed vs HSMs down
 *   processes.svg                     real processes on loopback vs the model vs the limit
 * and, in study.json and the page, the cost of a fleet rotation (rotation.ts).
 *   README.md                         the operator's page, generated from study.json (page.ts)
 * The default run is sized for a couple of minutes on 2 cores; --full takes more samples.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LATENCY_MATRIX, DEFAULT_STUDY_REGIONS } from '../net/default-latency.ts';
import { LatencyModel, type LatencyMatrix } from '../net/latency.ts';
import { loadLatencyMatrix } from '../net/latency-file.ts';
import { VirtualClock } from '../net/virtual-clock.ts';
import { measureAvailability, type AvailabilityCell } from './availability.ts';
import { measureComputeFloor, measureLatency, type ComputeFloor, type LatencyCell } from './measure.ts';
import { measureProcesses, type ProcessCell } from './measure-processes.ts';
import { renderStudyPage } from './page.ts';
import { measureRotation, type RotationResult } from './rotation.ts';
import { availabilitySpec, latencySpec, processSpec, renderSvg } from './plots.ts';
import {
  CLIENT_ROUND_TRIPS,
  OPERATIONS_PER_RECOVERY,
  QUORUM_ROUND_TRIPS,
  ROUND_TRIPS_PER_OPERATION,
} from './round-trip-bound.ts';

export const IN_PROCESS_MODEL =
  'in-process model: simulated time on the latency model; network time only, CPU counts as zero';
export const PROCESS_MODEL =
  'real processes on loopback with injected delay: wall time, CPU, HTTP and SQLite (synchronous=FULL) included';

export interface StudyOptions {
  readonly out: string;
  readonly full?: boolean;
  /** A latency matrix file instead of the default (net/default-latency.ts). */
  readonly latencyFile?: string;
  readonly seed?: number;
  /** Run the real-process measurement (default true). */
  readonly processes?: boolean;
  /** Overrides for a small, fast run (tests). */
  readonly sizes?: readonly number[];
  readonly maxRegions?: number;
  readonly samples?: number;
  readonly trials?: number;
  /** New fleets to publish for the rotation cost (0 = skip). */
  readonly rotations?: number;
  readonly log?: (line: string) => void;
}

export interface StudyResults {
  readonly generatedBy: string;
  readonly generatedAt: string;
  readonly run: 'default' | 'full' | 'custom';
  readonly seed: number;
  readonly machine: {
    readonly cpus: number;
    readonly node: string;
    readonly loadAverageAtStart: number;
    readonly loadAverageAtEnd: number;
    readonly wallSeconds: number;
    readonly cpuSeconds: number;
  };
  readonly latencyModel: LatencyMatrix & { readonly regions: readonly string[] };
  readonly protocol: {
    readonly roundTripsPerOperation: number;
    readonly operationsPerRecovery: number;
    readonly quorumRoundTrips: number;
    readonly clientRoundTrips: number;
    readonly onePhaseOptimisation: boolean;
  };
  readonly latency: {
    readonly model: string;
    readonly samplesPerCell: number;
    readonly eventLoopDelayP99Ms: number;
    readonly cells: readonly LatencyCell[];
  };
  readonly computeFloor: { readonly model: string; readonly rows: readonly ComputeFloor[] };
  readonly processes: { readonly model: string; readonly cells: readonly ProcessCell[] } | null;
  readonly processesError?: string;
  readonly availability: {
    readonly model: string;
    readonly trials: number;
    readonly cells: readonly AvailabilityCell[];
  };
  readonly rotation: RotationResult | null;
  readonly rotationError?: string;
}

export async function runStudy(o: StudyOptions): Promise<StudyResults> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const load0 = loadavg()[0]!;
  const seed = o.seed ?? 1;
  const matrix = o.latencyFile ? loadLatencyMatrix(o.latencyFile) : DEFAULT_LATENCY_MATRIX;
  const model = new LatencyModel(matrix);
  const regions = o.latencyFile ? model.regions : DEFAULT_STUDY_REGIONS;
  const sizes = o.sizes ?? [3, 5, 7, 9];
  const maxRegions = Math.min(o.maxRegions ?? 5, regions.length);
  const samples = o.samples ?? (o.full ? 200 : 20);
  const trials = o.trials ?? (o.full ? 25 : 5);
  const custom =
    o.sizes !== undefined || o.maxRegions !== undefined || o.samples !== undefined || o.trials !== undefined;

  log(
    `latency: ${sizes.length} fleet sizes x ${maxRegions} placements x ${regions.length} client regions, ${samples} recoveries each (simulated time)`,
  );
  const latency = await measureLatency({
    model,
    regions,
    sizes,
    maxRegions,
    samples,
    concurrency: 64,
    seed,
    clock: new VirtualClock(),
  });
  log('compute floor and throughput (real time, no network delay)');
  const floor = await measureComputeFloor({
    sizes,
    regions,
    samples: o.full ? 50 : 10,
    throughputMs: o.full ? 3000 : 1000,
    concurrency: 16,
  });
  log(`availability: ${trials} trials per (size, placement, k)`);
  const availability = await measureAvailability({ sizes, regions, maxRegions, trials, seed });
  let rotation: RotationResult | null = null;
  let rotationError: string | undefined;
  if (o.rotations !== 0) {
    const rotations = o.rotations ?? (o.full ? 10 : 3);
    log(`fleet rotation: ${rotations} new fleets published through a real log and witnesses, then used over the air`);
    try {
      rotation = await measureRotation({ model, regions, rotations, seed });
    } catch (e) {
      rotationError = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      log(`rotation measurement failed: ${rotationError}`);
    }
  }
  let processes: StudyResults['processes'] = null;
  let processesError: string | undefined;
  if (o.processes !== false && regions.length >= 3) {
    log('real processes on loopback, with injected delay and without: 5 HSMs over 3 regions');
    try {
      const cells = await measureProcesses({
        model,
        regions,
        size: 5,
        regionCount: 3,
        samples: o.full ? 40 : 6,
        seed,
      });
      processes = { model: PROCESS_MODEL, cells };
    } catch (e) {
      // Keep the rest of the study; the page says this part failed and why.
      processesError = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      log(`real-process measurement failed: ${processesError}`);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const results: StudyResults = {
    generatedBy: 'fleetlog sim study',
    generatedAt: new Date().toISOString(),
    run: custom ? 'custom' : o.full ? 'full' : 'default',
    seed,
    machine: {
      cpus: cpus().length,
      node: process.version,
      loadAverageAtStart: Math.round(load0 * 100) / 100,
      loadAverageAtEnd: Math.round(loadavg()[0]! * 100) / 100,
      wallSeconds: Math.round((performance.now() - started) / 100) / 10,
      // This process only; the HSM processes of the real-process run are not included.
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    },
    latencyModel: { ...matrix, regions },
    protocol: {
      roundTripsPerOperation: ROUND_TRIPS_PER_OPERATION,
      operationsPerRecovery: OPERATIONS_PER_RECOVERY,
      quorumRoundTrips: QUORUM_ROUND_TRIPS,
      clientRoundTrips: CLIENT_ROUND_TRIPS,
      onePhaseOptimisation: false,
    },
    latency: {
      model: IN_PROCESS_MODEL,
      samplesPerCell: samples,
      eventLoopDelayP99Ms: latency.eventLoopDelayP99Ms,
      cells: latency.cells,
    },
    computeFloor: {
      model: 'in-process fleet in real time with no network delay: what the bound leaves out',
      rows: floor,
    },
    processes,
    ...(processesError ? { processesError } : {}),
    availability: {
      model: `${IN_PROCESS_MODEL} (trials without delay: delay does not decide success)`,
      trials,
      cells: availability,
    },
    rotation,
    ...(rotationError ? { rotationError } : {}),
  };
  await writeStudy(o.out, results);
  return results;
}

/** Writes study.json, the SVG figures and the page into `dir`. */
export async function writeStudy(dir: string, results: StudyResults): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string): void => {
    writeFileSync(join(dir, name), text);
    written.push(name);
  };
  put('study.json', `${JSON.stringify(results, null, 2)}\n`);
  const placements = [...new Set(results.latency.cells.map((c) => c.regions))].sort((a, b) => a - b);
  const source = `${results.latencyModel.date} ${results.latencyModel.source.split(',')[0]}`;
  for (const r of placements)
    put(`latency-${r}-regions.svg`, await renderSvg(latencySpec(results.latency.cells, r, source)));
  for (const r of [...new Set(results.availability.cells.map((c) => c.regions))].sort((a, b) => a - b))
    put(`availability-${r}-regions.svg`, await renderSvg(availabilitySpec(results.availability.cells, r)));
  if (results.processes)
    put('processes.svg', await renderSvg(processSpec(results.processes.cells, results.latency.cells)));
  put('README.md', renderStudyPage(results, written));
  return written;
}
