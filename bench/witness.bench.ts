/**
 * Witness throughput: add-checkpoint requests per second over real HTTP to a `fleetlog witness
 * serve` process, with consistency proofs between successive sizes just above 1,000,000 leaves,
 * and the p99 latency. Goal: >= 2,000 requests/s on the 2-core machine.
 *
 * The tree is synthetic but real: 1M random leaf hashes folded into every perfect subtree, so the
 * proofs (about 20 hashes) are exactly what a 1M-entry log would send. 96 logs (origins, each with
 * its own key) run their chains in parallel, one request in flight per log, as real logs do. The
 * first third of every chain is an untimed warm-up: a witness is a long-running service, and
 * before that its four isolates (main, two checkers, writer) are still compiling hot code.
 *
 * Baselines measured in the same run, which bound the figure: native Ed25519 verify (one per
 * request, the log's signature) and sign (one per request, the cosignature), and the durable
 * SQLite commit rate (WAL, synchronous=FULL). The witness batches commits (group commit), so the
 * fsync rate is shared by all requests in flight; the crypto is not.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCheckpoint } from '../core/checkpoint.ts';
import { HASH_SIZE, type Hash } from '../core/merkle/hash.ts';
import { consistencyProof, type SyncHashReader } from '../core/merkle/proof-plan.ts';
import type { NodeId } from '../core/merkle/subtree.ts';
import { Frontier } from '../core/merkle/tree.ts';
import { KEY_TYPE_ED25519, generateKey, parseSignerKey } from '../core/note/keys.ts';
import { ed25519NoteSigner } from '../core/note/verifiers.ts';
import { formatAddCheckpoint } from '../core/witness-request.ts';
import { silentLogger } from '../service/logger.ts';
import { openDatabase } from '../service/sqlite.ts';
import { REPO_ROOT, freePort, startFleetlogServer } from '../test/support/process.ts';
import { addLog, initWitness, openWitness } from '../witness/index.ts';
import { figure, percentile, type Figure } from './harness.ts';

const BASE_SIZE = 1_000_000;
const LOGS = 96;
const STEPS = 100; // per log, after the first (old 0) request
/** Requests per log sent before timing starts: the JIT of every thread warms up, as in a long-running witness. */
const WARMUP = 34;
const MAX_STEP = 40;

/** Every perfect-subtree hash of a synthetic tree, level by level in flat buffers. */
class FlatHashStore implements SyncHashReader {
  readonly levels: Buffer[] = [];
  readonly frontier = Frontier.empty();

  constructor(readonly capacity: number) {
    for (let n = capacity; n >= 1; n = Math.floor(n / 2)) this.levels.push(Buffer.alloc(n * HASH_SIZE));
  }

  append(leaf: Hash): void {
    this.frontier.append(leaf, (node, hash) => this.levels[node.level]!.set(hash, node.index * HASH_SIZE));
  }

  readNodes(nodes: readonly NodeId[]): Hash[] {
    return nodes.map(
      (n) => new Uint8Array(this.levels[n.level]!.subarray(n.index * HASH_SIZE, (n.index + 1) * HASH_SIZE)),
    );
  }

  rootAt(size: number): Hash {
    // Roots at past sizes: the fold of the range [0, size), read back from the stored subtrees.
    const hashes = this.readNodes(Frontier.nodes(size));
    return Frontier.restore(size, hashes).root();
  }
}

function buildTree(capacity: number): FlatHashStore {
  const store = new FlatHashStore(capacity);
  const leaves = randomBytes(capacity * HASH_SIZE);
  for (let i = 0; i < capacity; i++) store.append(leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return store;
}

/** Per log: the request bodies of its chain, old 0 at 1M first, then successive sizes. */
function buildChains(tree: FlatHashStore): { vkeys: Array<{ origin: string; vkey: string }>; chains: Buffer[][] } {
  const vkeys: Array<{ origin: string; vkey: string }> = [];
  const chains: Buffer[][] = [];
  for (let l = 0; l < LOGS; l++) {
    const origin = `bench.example/log-${l}`;
    const key = parseSignerKey(generateKey(origin, KEY_TYPE_ED25519).skey);
    const signer = ed25519NoteSigner(key);
    vkeys.push({ origin, vkey: key.vkey });
    const chain: Buffer[] = [];
    let size = BASE_SIZE - l; // different sizes per log, so proofs take different shapes
    chain.push(
      Buffer.from(
        formatAddCheckpoint({
          oldSize: 0,
          proof: [],
          checkpoint: signCheckpoint({ origin, size, rootHash: tree.rootAt(size) }, [signer]),
        }),
      ),
    );
    for (let s = 0; s < STEPS; s++) {
      const next = size + 1 + ((l * 7919 + s * 104729) % MAX_STEP);
      const checkpoint = signCheckpoint({ origin, size: next, rootHash: tree.rootAt(next) }, [signer]);
      chain.push(
        Buffer.from(formatAddCheckpoint({ oldSize: size, proof: consistencyProof(tree, size, next), checkpoint })),
      );
      size = next;
    }
    chains.push(chain);
  }
  return { vkeys, chains };
}

async function makeWitness(vkeys: Array<{ origin: string; vkey: string }>): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetlog-bench-witness-'));
  await initWitness({ dataDir, name: 'bench.example/witness' });
  for (const { origin, vkey } of vkeys) addLog({ dataDir, origin, vkey });
  return dataDir;
}

interface Run {
  readonly perSecond: number;
  readonly latenciesMs: number[];
}

/**
 * Runs every chain to the end, all chains concurrently, one request in flight per chain. The first
 * `warmup` requests of every chain run before the clock starts (and before `onTimed`); only the
 * rest are timed.
 */
async function runChains(
  chains: Buffer[][],
  send: (body: Buffer, log: number) => Promise<number>,
  warmup = 0,
  onTimed?: () => void,
): Promise<Run> {
  const sendAll = async (
    chain: Buffer[],
    log: number,
    from: number,
    to: number,
    latencies?: number[],
  ): Promise<void> => {
    for (let i = from; i < to; i++) {
      const t0 = performance.now();
      const status = await send(chain[i]!, log);
      latencies?.push(performance.now() - t0);
      if (status !== 200) throw new Error(`add-checkpoint answered ${status}`);
    }
  };
  await Promise.all(chains.map((chain, log) => sendAll(chain, log, 0, Math.min(warmup, chain.length))));
  onTimed?.();
  const latenciesMs: number[] = [];
  const start = performance.now();
  await Promise.all(
    chains.map((chain, log) => sendAll(chain, log, Math.min(warmup, chain.length), chain.length, latenciesMs)),
  );
  const seconds = (performance.now() - start) / 1000;
  latenciesMs.sort((a, b) => a - b);
  return { perSecond: latenciesMs.length / seconds, latenciesMs };
}

/**
 * A lean HTTP/1.1 load generator: one keep-alive socket per log, one request in flight on each,
 * responses parsed just enough (status line and Content-Length). Like wrk, it keeps the client's
 * own cost small, since on two cores it competes with the witness for CPU.
 */
class RawConnection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: ((status: number) => void) | undefined;
  #failed: ((e: Error) => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    socket.on('error', (e) => this.#failed?.(e));
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failed = reject;
      this.#socket.write(request);
    });
  }

  #parse(): void {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.#buffer.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.#buffer.length < end + 4 + length) return;
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    const done = this.#waiting;
    this.#waiting = undefined;
    done?.(Number(head.slice(9, 12)));
  }

  close(): void {
    this.#socket.destroy();
  }
}

function httpRequest(body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`POST /add-checkpoint HTTP/1.1\r\nHost: witness\r\nContent-Length: ${body.length}\r\n\r\n`),
    body,
  ]);
}

function rate(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    fn();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

function baselines(): { verifyPerSec: number; signPerSec: number; commitsPerSec: number } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const message = randomBytes(110); // about a checkpoint note's text
  const signature = sign(null, message, privateKey);
  const verifyPerSec = rate(() => verify(null, message, publicKey, signature));
  const signPerSec = rate(() => sign(null, message, privateKey));

  const dir = mkdtempSync(join(tmpdir(), 'fleetlog-bench-fsync-'));
  const db = openDatabase(join(dir, 'fsync.db'));
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL, v BLOB NOT NULL)');
  db.prepare('INSERT INTO t VALUES (?, 0, ?)').run('log', Buffer.alloc(400));
  const update = db.prepare('UPDATE t SET n = n + 1, v = ? WHERE k = ?');
  const row = Buffer.alloc(400, 1);
  const commitsPerSec = rate(() => update.run(row, 'log'));
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { verifyPerSec, signPerSec, commitsPerSec };
}

/** CPU seconds (user + system, all threads) a process has used so far; Linux /proc only. */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

async function scrapeBatchMean(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = Number(/^fleetlog_witness_commit_batch_size_sum (\S+)$/m.exec(text)?.[1]);
  const count = Number(/^fleetlog_witness_commit_batch_size_count (\S+)$/m.exec(text)?.[1]);
  return sum / count;
}

/**
 * The HTTP floor: the same stack (@hono/node-server, Hono, the same body read) answering every
 * add-checkpoint with a fixed line and doing nothing else, in its own process like the witness.
 * No witness on this machine can answer faster than this.
 */
const ECHO_SERVER = `
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
const app = new Hono();
app.get('/health', (c) => c.text('ok'));
app.post('/add-checkpoint', async (c) => {
  await c.req.arrayBuffer();
  return c.body('\\u2014 witness.example/w1 AAAA\\n', 200, { 'Content-Type': 'text/plain; charset=utf-8' });
});
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) });
`;

async function measureEcho(wire: Buffer[][]): Promise<Run> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--input-type=module', '-e', ECHO_SERVER], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  });
  try {
    for (let i = 0; ; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/health`);
        break;
      } catch {
        if (i > 100) throw new Error('the echo server did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const connections = await Promise.all(wire.map(() => RawConnection.open(port)));
    try {
      return await runChains(wire, (body, log) => connections[log]!.send(body), WARMUP);
    } finally {
      for (const c of connections) c.close();
    }
  } finally {
    child.kill('SIGKILL');
  }
}

export async function run(): Promise<Figure[]> {
  const base = baselines();
  process.stderr.write('  building a 1M-entry tree and the request chains...\n');
  const tree = buildTree(BASE_SIZE + STEPS * MAX_STEP + 1);
  const { vkeys, chains } = buildChains(tree);
  const requests = chains.reduce((n, c) => n + c.length - WARMUP, 0);

  // Over HTTP, to a separate witness process: the figure the goal is about.
  const wire = chains.map((chain) => chain.map(httpRequest));
  const echo = await measureEcho(wire);
  const httpDir = await makeWitness(vkeys);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startFleetlogServer(
    ['witness', 'serve', '--data', httpDir, '--listen', `127.0.0.1:${port}`],
    url,
    { env: { FLEETLOG_LOG_LEVEL: 'warn' } },
  );
  let connections: RawConnection[] = [];
  let http: Run;
  let batchMean: number;
  let serverCpu: number | undefined;
  let clientCpu: number;
  try {
    connections = await Promise.all(chains.map(() => RawConnection.open(port)));
    let serverBefore: number | undefined;
    let clientBefore = process.cpuUsage();
    http = await runChains(
      wire,
      (body, log) => connections[log]!.send(body),
      WARMUP,
      () => {
        serverBefore = processCpuSeconds(server.child.pid!);
        clientBefore = process.cpuUsage();
      },
    );
    const clientUsed = process.cpuUsage(clientBefore);
    clientCpu = (clientUsed.user + clientUsed.system) / 1e6;
    const serverAfter = processCpuSeconds(server.child.pid!);
    serverCpu = serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore;
    batchMean = await scrapeBatchMean(url);
  } finally {
    for (const c of connections) c.close();
    await server.stop('SIGTERM');
    rmSync(httpDir, { recursive: true, force: true });
  }

  // The same chains in-process (app.request, no sockets), to show what HTTP costs.
  const localDir = await makeWitness(vkeys);
  const local = openWitness({ dataDir: localDir, logger: silentLogger });
  let inProcess: Run;
  try {
    inProcess = await runChains(
      chains,
      async (body) =>
        (await local.app.request('/add-checkpoint', { method: 'POST', body: new Uint8Array(body) })).status,
      WARMUP,
    );
  } finally {
    await local.close();
    rmSync(localDir, { recursive: true, force: true });
  }

  const cryptoCeiling = 1 / (1 / base.verifyPerSec + 1 / base.signPerSec);
  const n = http.latenciesMs.length;
  const cpuFigures: Figure[] =
    serverCpu === undefined
      ? []
      : [
          figure(
            'witness server CPU per request (all threads: HTTP, judging, commits, GC)',
            (serverCpu * 1e6) / n,
            'us/request',
            {
              name: 'Ed25519 verify + sign alone (1/verify + 1/sign)',
              value: 1e6 / cryptoCeiling,
            },
          ),
          figure('load generator CPU per request', (clientCpu * 1e6) / n, 'us/request'),
          figure(
            '2-core CPU ceiling for this run: 2 cores / (server + client CPU per request)',
            2 / ((serverCpu + clientCpu) / n),
            'requests/s',
            {
              name: 'measured over HTTP',
              value: http.perSecond,
            },
          ),
        ];
  const serialCeiling = 1 / (1 / base.verifyPerSec + 1 / base.signPerSec + 1 / base.commitsPerSec);
  return [
    figure(
      `witness add-checkpoint over HTTP (1M-entry tree, ${LOGS} logs, ${requests} timed requests after ${LOGS * WARMUP} warm-up)`,
      http.perSecond,
      'requests/s',
      {
        name: 'HTTP floor: same server stack and load, handler does nothing',
        value: echo.perSecond,
      },
    ),
    figure('witness add-checkpoint over HTTP, against the crypto alone', http.perSecond, 'requests/s', {
      name: 'one-core crypto ceiling: 1 / (1/verify + 1/sign)',
      value: cryptoCeiling,
    }),
    figure('witness add-checkpoint p50 latency over HTTP', percentile(http.latenciesMs, 50), 'ms'),
    figure('witness add-checkpoint p99 latency over HTTP', percentile(http.latenciesMs, 99), 'ms'),
    figure('witness requests made durable per fsync (group commit, mean)', batchMean, 'requests/commit'),
    ...cpuFigures,
    figure('witness add-checkpoint in-process (app.request, no sockets)', inProcess.perSecond, 'requests/s', {
      name: 'one-core ceiling without group commit: 1 / (1/verify + 1/sign + 1/commit)',
      value: serialCeiling,
    }),
    figure('ed25519 verify, node:crypto (1 per request)', base.verifyPerSec, 'verifies/s'),
    figure('ed25519 sign, node:crypto (1 per request)', base.signPerSec, 'signs/s'),
    figure('sqlite durable commit, WAL + synchronous=FULL', base.commitsPerSec, 'commits/s'),
  ];
}
