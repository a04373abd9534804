/**
 * The read-flood bench's flood, in its own process: FLOOD_CONNECTIONS keep-alive connections send
 * GETs of one route, each connection its share of a fixed rate on a schedule (catching up when
 * behind), or back to back when the rate is unbounded. 'sample' reports the count so far, so the
 * orchestrator can take the rate over exactly the appenders' window.
 */
import { Agent, get } from 'node:http';
import { serveRequests } from './child.ts';
import { type FilledLog, floodRoutes } from './routes.ts';

export const FLOOD_CONNECTIONS = 16;

export interface FloodSample {
  /** Answers received so far, and how many had another status than the route's. */
  readonly done: number;
  readonly unexpected: number;
  readonly atMs: number;
  /** This process's CPU milliseconds so far (user + system). */
  readonly cpuMs: number;
  /** One unexpected status seen, to name in a warning. */
  readonly sampleStatus?: number;
}

const base = new URL(process.env.FLEETLOG_BENCH_URL!);
let current: { sample(): FloodSample; stop(): Promise<FloodSample> } | undefined;

function start(log: FilledLog, routeName: string, rate: number) {
  const route = floodRoutes(log).find((r) => r.name === routeName);
  if (!route) throw new Error(`no route ${routeName}`);
  const expected = route.status ?? 200;
  const agent = new Agent({ keepAlive: true, maxSockets: FLOOD_CONNECTIONS });
  let done = 0;
  let unexpected = 0;
  let sampleStatus: number | undefined;
  let stopped = false;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      get({ agent, hostname: base.hostname, port: base.port, path: route.path(), headers: route.headers }, (res) => {
        if (res.statusCode !== expected) {
          unexpected += 1;
          sampleStatus = res.statusCode;
        }
        res.resume();
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      }).on('error', () => {
        unexpected += 1;
        resolve();
      });
    });
  const started = performance.now();
  const interval = (FLOOD_CONNECTIONS * 1000) / rate;
  const connections = Array.from({ length: FLOOD_CONNECTIONS }, async (_, c) => {
    for (let k = 0; !stopped; k++) {
      const wait = started + (k + c / FLOOD_CONNECTIONS) * interval - performance.now();
      if (Number.isFinite(wait) && wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopped) break;
      await one();
      done += 1;
    }
  });
  const sample = (): FloodSample => {
    const cpu = process.cpuUsage();
    return { done, unexpected, atMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, sampleStatus };
  };
  return {
    sample,
    stop: async () => {
      stopped = true;
      await Promise.all(connections);
      agent.destroy();
      return sample();
    },
  };
}

serveRequests(async (r) => {
  if (r.type === 'start') {
    if (current) throw new Error('a flood is already running');
    // JSON over IPC has no Infinity: null means as fast as the server answers.
    current = start(r.log as FilledLog, r.route as string, (r.rate as number | null) ?? Infinity);
    return current.sample();
  }
  if (r.type === 'sample') return current!.sample();
  if (r.type === 'stop') {
    const last = await current!.stop();
    current = undefined;
    return last;
  }
  throw new Error(`unknown request ${JSON.stringify(r.type)}`);
});
