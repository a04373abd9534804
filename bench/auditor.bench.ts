/**
 * Auditor benchmarks (issue 5):
 *   1. `audit log` over a locally served 1M-entry tlog-tiles log (generic entries), entries/s, against
 *      the raw native rate of the hashing it must do (node:crypto SHA-256 on one core: one leaf hash
 *      per entry plus the interior hashes of every tile). Goal: >= 70%. Also the audit's heap at
 *      25% / 100% of the log: memory stays flat as the log grows.
 *   2. `audit log` over a fleetlog log (key sets and deployment evidence), entries/s, against the raw
 *      native rate of its hashing AND signature checks (node:crypto Ed25519 verify on one core).
 *   3. One fleet trust decision (decideFleetTrust): CPU time per decision (goal < 2 ms), against the
 *      raw native cost of the signatures it must verify.
 * The log is served by an in-process HTTP server over in-memory tiles, so the HTTP path is real.
 */
import { hash as nodeHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { loadavg } from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { decideFleetTrust } from '../core/audit/fleet-trust.ts';
import { parseFleetBundle } from '../core/audit/fleet-bundle.ts';
import { EMPTY_STATE } from '../core/audit/client-state.ts';
import { parsePolicy } from '../core/policy/policy.ts';
import { TILE_WIDTH } from '../core/merkle/tiles.ts';
import { auditLog, type AuditProgress } from '../auditor-cli/log-audit/audit-log.ts';
import { genericEntry, makeLogKeys, SyntheticLog } from '../test/auditor/support/synthetic-log.ts';
import { deployment, fleetBundleFor, keyset, makeFleetKeys, policyText, TEST_NOW } from '../test/auditor/support/fleet-fixtures.ts';
import { figure, percentile, type Figure } from './harness.ts';

const GENERIC_ENTRIES = Number(process.env.FLEETLOG_BENCH_AUDIT_ENTRIES ?? 1_000_000);
const FLEET_ENTRIES = Number(process.env.FLEETLOG_BENCH_AUDIT_FLEET_ENTRIES ?? 20_000);

/** Forces a full GC, so heap samples show what is live rather than when the collector last ran. */
const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

interface ServedLog {
  readonly url: string;
  readonly policyText: string;
  readonly size: number;
  readonly verifies: number;
  readonly bytes: number;
  stop(): Promise<void>;
}

/** Builds and serves a synthetic log on its own thread (test/auditor/support/synthetic-server-worker.ts). */
async function serveOnThread(kind: 'generic' | 'fleet', entries: number): Promise<ServedLog> {
  const worker = new Worker(new URL('../auditor-cli/log-audit/worker-boot.mjs', import.meta.url), {
    workerData: { entry: new URL('../test/auditor/support/synthetic-server-worker.ts', import.meta.url).href, kind, entries },
  });
  const info = await new Promise<Omit<ServedLog, 'stop'>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { ...info, stop: async () => void (await worker.terminate()) };
}

/**
 * The hashing an audit of these entries must do, with node:crypto on one core and nothing else:
 * one leaf hash per entry, the interior nodes of every tile, one more node per tile for the levels
 * above. Measured with both digest outputs ('buffer' and 'binary', the faster on Node 20), taking
 * the faster: the baseline is the best raw rate, not a straw man.
 */
function rawHashRate(count: number): number {
  const prefixed = Array.from({ length: count }, (_, i) => {
    const e = genericEntry(i);
    const b = Buffer.alloc(e.length + 1);
    b.set(e, 1);
    return b;
  });
  const node = Buffer.alloc(65);
  node[0] = 1;
  const viaBuffer = (): void => {
    for (let t = 0; t < prefixed.length; t += TILE_WIDTH) {
      let level: Buffer[] = [];
      for (let i = t; i < Math.min(prefixed.length, t + TILE_WIDTH); i++) level.push(nodeHash('sha256', prefixed[i]!, 'buffer') as unknown as Buffer);
      while (level.length > 1) {
        const next: Buffer[] = [];
        for (let i = 0; i + 1 < level.length; i += 2) {
          node.set(level[i]!, 1);
          node.set(level[i + 1]!, 33);
          next.push(nodeHash('sha256', node, 'buffer') as unknown as Buffer);
        }
        if (level.length % 2) next.push(level[level.length - 1]!);
        level = next;
      }
      nodeHash('sha256', node, 'buffer');
    }
  };
  const viaBinary = (): void => {
    for (let t = 0; t < prefixed.length; t += TILE_WIDTH) {
      let level: string[] = [];
      for (let i = t; i < Math.min(prefixed.length, t + TILE_WIDTH); i++) level.push(nodeHash('sha256', prefixed[i]!, 'binary'));
      while (level.length > 1) {
        const next: string[] = [];
        for (let i = 0; i + 1 < level.length; i += 2) {
          node.write(level[i]!, 1, 'latin1');
          node.write(level[i + 1]!, 33, 'latin1');
          next.push(nodeHash('sha256', node, 'binary'));
        }
        if (level.length % 2) next.push(level[level.length - 1]!);
        level = next;
      }
      nodeHash('sha256', node, 'binary');
    }
  };
  const rate = (f: () => void): number => {
    const start = performance.now();
    f();
    return count / ((performance.now() - start) / 1000);
  };
  return Math.max(rate(viaBuffer), rate(viaBinary));
}

async function auditRun(served: ServedLog, heap?: number[]): Promise<{ rate: number; workers: number }> {
  const marks = [0.25, 0.5, 0.75, 1];
  const onProgress = (p: AuditProgress): void => {
    while (marks.length > 0 && p.done >= marks[0]! * p.total) {
      marks.shift();
      if (heap) {
        gc();
        heap.push(process.memoryUsage().heapUsed);
      }
    }
  };
  const start = performance.now();
  const r = await auditLog({ log: served.url, policy: parsePolicy(served.policyText), policyText: served.policyText, workers: 'auto', onProgress });
  const seconds = (performance.now() - start) / 1000;
  if (!r.ok) throw new Error(`benchmark log did not verify: ${JSON.stringify(r.checks)}`);
  return { rate: r.newEntries / seconds, workers: r.workers };
}

async function genericLogFigures(): Promise<Figure[]> {
  const served = await serveOnThread('generic', GENERIC_ENTRIES);
  try {
    // Raw rate before and after the audit: the machine is shared, so average the two.
    const rawBefore = rawHashRate(Math.min(GENERIC_ENTRIES, 300_000));
    const heap: number[] = [];
    const run = await auditRun(served, heap);
    const raw = (rawBefore + rawHashRate(Math.min(GENERIC_ENTRIES, 300_000))) / 2;
    const mb = (b: number | undefined): number => (b ?? NaN) / 1e6;
    return [
      figure(`audit log: ${GENERIC_ENTRIES} generic entries over local HTTP (${run.workers} hashing workers)`, run.rate, 'entries/s', { name: 'raw node:crypto SHA-256 of the same leaves and tile nodes, one core', value: raw }),
      figure('audit log: auditor heap after GC at 100% of the log', mb(heap[heap.length - 1]), 'MB', { name: 'auditor heap after GC at 25% of the log', value: mb(heap[0]) }),
    ];
  } finally {
    await served.stop();
  }
}

/** node:crypto Ed25519 verifies per second on one core, for `size`-byte messages. */
function rawVerifyRate(size: number): number {
  const signer = makeFleetKeys().publisher.signer;
  const message = new Uint8Array(size);
  const signature = signer.sign(message);
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(signer.publicKey.bytes)]), format: 'der', type: 'spki' });
  const n = 3000;
  const start = performance.now();
  for (let i = 0; i < n; i++) nodeVerify(null, message, key, signature);
  return n / ((performance.now() - start) / 1000);
}

async function fleetLogFigures(): Promise<Figure[]> {
  const served = await serveOnThread('fleet', FLEET_ENTRIES);
  try {
    const before = rawVerifyRate(500);
    const run = await auditRun(served);
    const verifyRate = (before + rawVerifyRate(500)) / 2;
    // Raw: the same number of verifies, plus one SHA-256 per entry (negligible next to them).
    const raw = served.size / (served.verifies / verifyRate);
    return [
      figure(`audit log: ${served.size} fleetlog entries (${(served.verifies / served.size).toFixed(2)} signatures each) over local HTTP (${run.workers} workers)`, run.rate, 'entries/s', { name: 'raw node:crypto Ed25519 verifies of the same signatures, one core', value: raw }),
    ];
  } finally {
    await served.stop();
  }
}

function trustDecisionFigures(): Figure[] {
  const keys = makeLogKeys('bench.test/fleetlog', ['w1', 'w2']);
  const fleet = makeFleetKeys();
  const log = new SyntheticLog(keys);
  for (let i = 0; i < 1000; i++) log.append(genericEntry(i));
  const d = deployment(fleet, 'fleet-a');
  log.append(d.bytes);
  for (let i = 0; i < 1000; i++) log.append(genericEntry(10_000 + i));
  log.append(keyset(fleet, 'fleet-a', 1, d));
  log.publish();
  const policy = parsePolicy(policyText(keys, { quorum: 2, fleet }));
  const bundle = parseFleetBundle(fleetBundleFor(log, 'fleet-a')!);
  const cpu: number[] = [];
  for (let i = 0; i < 300; i++) {
    const before = process.cpuUsage();
    const decision = decideFleetTrust({ policy, bundle, now: TEST_NOW, state: EMPTY_STATE, fleetId: 'fleet-a' });
    const used = process.cpuUsage(before);
    if (!decision.trusted) throw new Error('benchmark bundle not trusted');
    cpu.push((used.user + used.system) / 1000);
  }
  cpu.sort((a, b) => a - b);
  // The signatures it must check: 2 on the key set, 3 HSM attestations, the log's, 2 cosignatures.
  const sigs = 8;
  const message = new Uint8Array(400);
  const signature = fleet.publisher.signer.sign(message);
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(fleet.publisher.signer.publicKey.bytes)]), format: 'der', type: 'spki' });
  const n = 2000;
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) nodeVerify(null, message, key, signature);
  const used = process.cpuUsage(start);
  const rawMs = ((used.user + used.system) / 1000 / n) * sigs;
  return [figure('trust decision for one fleet (decideFleetTrust), median CPU', percentile(cpu, 50), 'ms', { name: `raw node:crypto CPU for its ${sigs} Ed25519 verifies`, value: rawMs })];
}

export async function run(): Promise<Figure[]> {
  // The machine is shared: its load says how much of the two cores the auditor actually had.
  const load = figure('auditor benchmarks: machine load average (1 min) at the start', loadavg()[0]!, 'runnable processes');
  return [load, ...trustDecisionFigures(), ...(await fleetLogFigures()), ...(await genericLogFigures())];
}
