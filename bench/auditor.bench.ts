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
 * The log is served by a synthetic tlog-tiles server (in-memory tiles) in a child process on the
 * same machine, so the HTTP path is real and the auditor's CPU can be measured on its own. The
 * generic audit figure is the second of two runs (the first warms up the JIT); raw rates are
 * measured just before and after each audit and averaged, since the machine is shared.
 */
import { hash as nodeHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { loadavg } from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decideFleetTrust } from '../core/audit/fleet-trust.ts';
import { parseFleetBundle } from '../core/audit/fleet-bundle.ts';
import { EMPTY_STATE } from '../core/audit/client-state.ts';
import { parsePolicy } from '../core/policy/policy.ts';
import { TILE_WIDTH } from '../core/merkle/tiles.ts';
import { auditLog, type AuditProgress } from '../auditor-cli/log-audit/audit-log.ts';
import { genericEntry, makeLogKeys, SyntheticLog } from '../test/auditor/support/synthetic-log.ts';
import type { SyntheticServerInfo } from '../test/auditor/support/synthetic-server-worker.ts';
import {
  deployment,
  fleetBundleFor,
  keyset,
  makeFleetKeys,
  policyText,
  TEST_NOW,
} from '../test/auditor/support/fleet-fixtures.ts';
import { figure, percentile, type Figure } from './harness.ts';

const GENERIC_ENTRIES = Number(process.env.FLEETLOG_BENCH_AUDIT_ENTRIES ?? 1_000_000);
const FLEET_ENTRIES = Number(process.env.FLEETLOG_BENCH_AUDIT_FLEET_ENTRIES ?? 20_000);

/** Forces a full GC, so heap samples show what is live rather than when the collector last ran. */
const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

interface ServedLog extends SyntheticServerInfo {
  stop(): Promise<void>;
}

/** Builds and serves a synthetic log in a child process (test/auditor/support/synthetic-server-worker.ts). */
async function serveInProcess(kind: 'generic' | 'fleet', entries: number): Promise<ServedLog> {
  const script = fileURLToPath(new URL('../test/auditor/support/synthetic-server-worker.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, kind, String(entries)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await new Promise<SyntheticServerInfo>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as SyntheticServerInfo);
    });
    child.once('exit', (code) => reject(new Error(`synthetic log server exited (${code})`)));
  });
  return {
    ...info,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The hashing an audit of these entries must do, with node:crypto on one core and nothing else:
 * one leaf hash per entry, the interior nodes of every tile, one more node per tile for the levels
 * above. Measured with both digest outputs ('buffer' and 'binary', the faster on Node 20), taking
 * the faster: the baseline is the best raw rate, not a straw man.
 */
function rawHashRate(count: number): { wall: number; cpu: number } {
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
      for (let i = t; i < Math.min(prefixed.length, t + TILE_WIDTH); i++)
        level.push(nodeHash('sha256', prefixed[i]!, 'buffer') as unknown as Buffer);
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
      for (let i = t; i < Math.min(prefixed.length, t + TILE_WIDTH); i++)
        level.push(nodeHash('sha256', prefixed[i]!, 'binary'));
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
  const rate = (f: () => void): { wall: number; cpu: number } => {
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    f();
    const cpu = process.cpuUsage(cpu0);
    return { wall: count / ((performance.now() - start) / 1000), cpu: count / ((cpu.user + cpu.system) / 1e6) };
  };
  const a = rate(viaBuffer);
  const b = rate(viaBinary);
  return a.wall > b.wall ? a : b;
}

async function auditRun(
  served: ServedLog,
  heap?: number[],
): Promise<{ rate: number; cpuRate: number; workers: number }> {
  const marks = [0.25, 0.5, 0.75, 1];
  let gcMs = 0;
  const onProgress = (p: AuditProgress): void => {
    while (marks.length > 0 && p.done >= marks[0]! * p.total) {
      marks.shift();
      if (heap) {
        const t = performance.now();
        gc();
        heap.push(process.memoryUsage().heapUsed);
        gcMs += performance.now() - t;
      }
    }
  };
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const r = await auditLog({
    log: served.url,
    policy: parsePolicy(served.policyText),
    policyText: served.policyText,
    workers: 'auto',
    onProgress,
  });
  const seconds = (performance.now() - start - gcMs) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (!r.ok) throw new Error(`benchmark log did not verify: ${JSON.stringify(r.checks)}`);
  // The server runs in another process, so this CPU is the auditor's alone (main thread and workers).
  return { rate: r.newEntries / seconds, cpuRate: r.newEntries / ((cpu.user + cpu.system) / 1e6), workers: r.workers };
}

async function genericLogFigures(): Promise<Figure[]> {
  const served = await serveInProcess('generic', GENERIC_ENTRIES);
  try {
    // Raw rate before and after the audit: the machine is shared, so average the two.
    const before = rawHashRate(Math.min(GENERIC_ENTRIES, 300_000));
    // One warm-up audit first (JIT, HTTP keep-alive sockets), as the raw loop is warm too.
    await auditRun(served);
    const heap: number[] = [];
    const run = await auditRun(served, heap);
    const after = rawHashRate(Math.min(GENERIC_ENTRIES, 300_000));
    const mb = (b: number | undefined): number => (b ?? NaN) / 1e6;
    return [
      figure(
        `audit log: ${GENERIC_ENTRIES} generic entries over local HTTP (${run.workers} hashing worker + main thread)`,
        run.rate,
        'entries/s',
        {
          name: 'raw node:crypto SHA-256 of the same leaves and tile nodes, one core',
          value: (before.wall + after.wall) / 2,
        },
      ),
      figure(
        'audit log: generic entries per CPU-second of the auditor (all its threads; load-independent)',
        run.cpuRate,
        'entries/CPU-s',
        { name: 'raw node:crypto SHA-256, entries per CPU-second', value: (before.cpu + after.cpu) / 2 },
      ),
      figure('audit log: auditor heap after GC at 100% of the log', mb(heap[heap.length - 1]), 'MB', {
        name: 'auditor heap after GC at 25% of the log',
        value: mb(heap[0]),
      }),
    ];
  } finally {
    await served.stop();
  }
}

/** node:crypto Ed25519 verifies per second (wall and CPU) on one core, for `size`-byte messages. */
function rawVerifyRate(size: number): { wall: number; cpu: number } {
  const signer = makeFleetKeys().publisher.signer;
  const message = new Uint8Array(size);
  const signature = signer.sign(message);
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(signer.publicKey.bytes)]),
    format: 'der',
    type: 'spki',
  });
  const n = 3000;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i++) nodeVerify(null, message, key, signature);
  const cpu = process.cpuUsage(cpu0);
  return { wall: n / ((performance.now() - start) / 1000), cpu: n / ((cpu.user + cpu.system) / 1e6) };
}

async function fleetLogFigures(): Promise<Figure[]> {
  const served = await serveInProcess('fleet', FLEET_ENTRIES);
  try {
    const before = rawVerifyRate(500);
    const run = await auditRun(served);
    const after = rawVerifyRate(500);
    // Raw: the same number of verifies, plus one SHA-256 per entry (negligible next to them).
    const perEntry = served.verifies / served.size;
    return [
      figure(
        `audit log: ${served.size} fleetlog entries (${perEntry.toFixed(2)} signatures each) over local HTTP (${run.workers} worker + main thread)`,
        run.rate,
        'entries/s',
        {
          name: 'raw node:crypto Ed25519 verifies of the same signatures, one core',
          value: (before.wall + after.wall) / 2 / perEntry,
        },
      ),
      figure(
        'audit log: fleetlog entries per CPU-second of the auditor (all its threads; load-independent)',
        run.cpuRate,
        'entries/CPU-s',
        {
          name: 'raw node:crypto Ed25519 verifies, entries per CPU-second',
          value: (before.cpu + after.cpu) / 2 / perEntry,
        },
      ),
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
  const rawMs = (1000 / rawVerifyRate(400).cpu) * sigs;
  return [
    figure('trust decision for one fleet (decideFleetTrust), median CPU', percentile(cpu, 50), 'ms', {
      name: `raw node:crypto CPU for its ${sigs} Ed25519 verifies`,
      value: rawMs,
    }),
  ];
}

export async function run(): Promise<Figure[]> {
  // The machine is shared: its load says how much of the two cores the auditor actually had.
  const load = figure(
    'auditor benchmarks: machine load average (1 min) at the start',
    loadavg()[0]!,
    'runnable processes',
  );
  return [load, ...trustDecisionFigures(), ...(await fleetLogFigures()), ...(await genericLogFigures())];
}
