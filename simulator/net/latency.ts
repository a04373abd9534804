/**
 * The latency model between regions: a matrix of round-trip times (RTT) plus jitter. The in-process
 * network (net/sim-network.ts) and the HSM-to-HSM HTTP transport of HSM processes
 * (http/peer-transport.ts) both delay each message leg by one draw of `oneWayMs`, so the two ways
 * of running a fleet share one model.
 *
 * A matrix file is JSON:
 *
 *   { "source": "…", "date": "YYYY-MM-DD", "note": "…",
 *     "sameRegionRttMs": 1, "jitter": 0.05,
 *     "rttMs": { "eu-west-1": { "us-east-1": 80.5, … }, … } }
 *
 * `rttMs[a][b]` is a round trip measured from a to b; every pair of distinct regions needs one
 * direction at least, and where both are given the model uses their mean (a round trip is one
 * path walked twice). `sameRegionRttMs` is the RTT between two hosts of one region (and from a
 * client to an HSM in its own region). `jitter` is the mean extra delay per leg, as a fraction of
 * that leg's base delay, drawn from an exponential distribution: jitter only ever adds, because
 * the matrix is the path's typical time and nothing travels faster than the path allows.
 */
import { FleetlogError } from '../../core/errors.ts';

export interface LatencyMatrix {
  /** Where the figures come from (a citation), and the date of that source. */
  readonly source: string;
  readonly date: string;
  readonly note?: string;
  readonly sameRegionRttMs: number;
  /** Mean extra delay per leg as a fraction of the leg's base delay (0 = none). */
  readonly jitter: number;
  readonly rttMs: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

const MAX_RTT_MS = 10_000;
const MAX_REGIONS = 64;
const REGION = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** A seeded uniform random source in [0, 1) (mulberry32): runs of the study repeat exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export class LatencyModel {
  readonly matrix: LatencyMatrix;
  readonly regions: readonly string[];
  readonly #rtt = new Map<string, number>();
  readonly #random: () => number;

  /** Checks the matrix (see parseLatencyMatrix); `random` draws the jitter (default: seeded, 1). */
  constructor(matrix: LatencyMatrix, random: () => number = seededRandom(1)) {
    checkMatrix(matrix);
    this.matrix = matrix;
    const regions = new Set<string>();
    for (const [a, row] of Object.entries(matrix.rttMs)) {
      regions.add(a);
      for (const b of Object.keys(row)) regions.add(b);
    }
    this.regions = [...regions];
    for (const a of this.regions)
      for (const b of this.regions) {
        if (a === b) continue;
        const there = matrix.rttMs[a]?.[b];
        const back = matrix.rttMs[b]?.[a];
        const both = [there, back].filter((x): x is number => x !== undefined);
        if (both.length === 0)
          throw new FleetlogError('usage', `latency matrix: no round-trip time between ${a} and ${b}`);
        this.#rtt.set(`${a}\n${b}`, both.reduce((s, x) => s + x, 0) / both.length);
      }
    this.#random = random;
  }

  /** The typical round-trip time between two regions (no jitter); same region: sameRegionRttMs. */
  rttMs(a: string, b: string): number {
    if (a === b) return this.matrix.sameRegionRttMs;
    const rtt = this.#rtt.get(`${a}\n${b}`);
    if (rtt === undefined)
      throw new FleetlogError(
        'usage',
        `latency matrix has no region ${this.#rtt.size === 0 || this.regions.includes(a) ? b : a} (it has ${this.regions.join(', ')})`,
      );
    return rtt;
  }

  /** One message leg: half the RTT plus an exponential jitter draw (mean `jitter` × that half). */
  oneWayMs(a: string, b: string): number {
    const base = this.rttMs(a, b) / 2;
    if (this.matrix.jitter === 0) return base;
    // 1 - u is in (0, 1], so the log is finite.
    return base * (1 + this.matrix.jitter * -Math.log(1 - this.#random()));
  }

  /** The same matrix with every time multiplied by `factor` (tests run the real shape, faster). */
  scaled(factor: number, random: () => number = this.#random): LatencyModel {
    const rttMs: Record<string, Record<string, number>> = {};
    for (const [a, row] of Object.entries(this.matrix.rttMs))
      rttMs[a] = Object.fromEntries(Object.entries(row).map(([b, v]) => [b, v * factor]));
    return new LatencyModel({ ...this.matrix, sameRegionRttMs: this.matrix.sameRegionRttMs * factor, rttMs }, random);
  }
}

/** Parses and checks a matrix file's text; bad input is a one-line `usage` error. */
export function parseLatencyMatrix(text: string): LatencyMatrix {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FleetlogError('usage', `latency matrix is not JSON: ${(e as Error).message}`);
  }
  checkMatrix(value);
  return value;
}

function checkMatrix(m: unknown): asserts m is LatencyMatrix {
  const bad = (why: string): never => {
    throw new FleetlogError('usage', `latency matrix: ${why}`);
  };
  if (typeof m !== 'object' || m === null || Array.isArray(m)) bad('expected a JSON object');
  const o = m as Record<string, unknown>;
  if (typeof o.source !== 'string' || o.source.length === 0) bad('"source" must name where the figures come from');
  if (typeof o.date !== 'string' || !/^[0-9]{4}(-[0-9]{2}){0,2}$/.test(o.date))
    bad('"date" must be the date of the source (YYYY, YYYY-MM or YYYY-MM-DD)');
  const time = (v: unknown, what: string): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_RTT_MS)
      bad(`${what} must be a number of milliseconds from 0 to ${MAX_RTT_MS}`);
  };
  time(o.sameRegionRttMs, '"sameRegionRttMs"');
  if (typeof o.jitter !== 'number' || !Number.isFinite(o.jitter) || o.jitter < 0 || o.jitter > 10)
    bad('"jitter" must be a fraction from 0 to 10');
  if (typeof o.rttMs !== 'object' || o.rttMs === null || Array.isArray(o.rttMs))
    bad('"rttMs" must be an object of objects');
  const rows = Object.entries(o.rttMs as Record<string, unknown>);
  if (rows.length > MAX_REGIONS) bad(`at most ${MAX_REGIONS} regions`);
  for (const [a, row] of rows) {
    if (!REGION.test(a)) bad(`region name ${JSON.stringify(a)} is not a-z 0-9 . _ - (1-64 characters)`);
    if (typeof row !== 'object' || row === null || Array.isArray(row)) bad(`"rttMs"."${a}" must be an object`);
    for (const [b, v] of Object.entries(row as Record<string, unknown>)) {
      if (!REGION.test(b)) bad(`region name ${JSON.stringify(b)} is not a-z 0-9 . _ - (1-64 characters)`);
      if (a === b) bad(`"rttMs"."${a}"."${b}": give the same-region time as "sameRegionRttMs"`);
      time(v, `"rttMs"."${a}"."${b}"`);
    }
  }
}
