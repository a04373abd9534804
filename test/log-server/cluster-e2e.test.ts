// Several `log serve` processes on one real PostgreSQL database, with a real witness and a quorum:
//   - kill -9 of the leader under load: another process takes over within 5 s, no acknowledged
//     entry is lost or moved, no two served checkpoints of one size differ, every served
//     checkpoint is consistent with the newest, and the quorum gate keeps publishing;
//   - SIGSTOP of the leader past its lease: the paused process's signed batch is refused by the
//     fencing token when it wakes up, and it rejoins as a follower that forwards.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, toHex } from '../../core/bytes.ts';
import { openCheckpoint, type Checkpoint } from '../../core/checkpoint.ts';
import { cosignatureVerifier } from '../../core/cosignature.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { verifyConsistency } from '../../core/merkle/verify.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { addLog, initWitness, startWitness, type RunningWitness } from '../../witness/index.ts';
import { freshPgUrl, pgQuery } from '../support/postgres.ts';
import { freePort, runFleetlog, startFleetlogServer, tempDir, type ServerProcess } from '../support/process.ts';
import { checkAnswer, KEYS, POLICY, type AddEntryAnswer } from './helpers.ts';

const ORIGIN = 'cluster.example/log';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Cluster {
  database: string;
  dataDir: string;
  policyFile: string;
  vkey: string;
  token: string;
  witness: RunningWitness;
  witnessName: string;
}

const started: ServerProcess[] = [];
const witnesses: RunningWitness[] = [];
afterAll(async () => {
  for (const p of started) {
    p.child.kill('SIGCONT');
    await p.stop('SIGKILL');
  }
  for (const w of witnesses) await w.close();
});

async function setUp(): Promise<Cluster> {
  const database = await freshPgUrl();
  const dir = tempDir('fleetlog-cluster-');
  const dataDir = join(dir, 'log');
  const init = await runFleetlog(['log', 'init', '--data', dataDir, '--origin', ORIGIN, '--database', database]);
  expect(init.code, init.stderr).toBe(0);
  const token = await runFleetlog(['log', 'token', 'add', '--data', dataDir, '--name', 'e2e', '--database', database]);
  expect(token.code, token.stderr).toBe(0);
  const vkey = init.stdout.trim();
  const witnessDir = join(dir, 'witness');
  const witnessName = 'witness.example/w1';
  const { vkey: witnessVkey } = await initWitness({ dataDir: witnessDir, name: witnessName });
  addLog({ dataDir: witnessDir, origin: ORIGIN, vkey });
  const witness = await startWitness({ dataDir: witnessDir, threads: 0 });
  witnesses.push(witness);
  const policyFile = join(dir, 'policy.txt');
  writeFileSync(
    policyFile,
    `${POLICY.replace('quorum none\n', '')}witness w1 ${witnessVkey} ${witness.url}\nquorum w1\n`,
  );
  return { database, dataDir, policyFile, vkey, token: token.stdout.trim(), witness, witnessName: 'w1' };
}

async function serve(c: Cluster, extra: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const p = await startFleetlogServer(
    [
      'log',
      'serve',
      '--data',
      c.dataDir,
      '--database',
      c.database,
      '--policy',
      c.policyFile,
      '--listen',
      `127.0.0.1:${port}`,
      ...extra,
    ],
    `http://127.0.0.1:${port}`,
    { env: { FLEETLOG_LOG_LEVEL: 'warn' } },
  );
  started.push(p);
  return p;
}

async function role(p: ServerProcess): Promise<string | undefined> {
  try {
    const h = (await (await fetch(`${p.url}/health`, { signal: AbortSignal.timeout(500) })).json()) as {
      cluster?: { role: string };
    };
    return h.cluster?.role;
  } catch {
    return undefined;
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
  return performance.now() - t0;
}

interface Acked {
  leafHash: string;
  entry: Uint8Array;
}

/** Records every acknowledged entry and every checkpoint anyone was served. */
class Observer {
  readonly acked = new Map<number, Acked>();
  readonly served: Checkpoint[] = [];
  lastAckAt = 0;
  constructor(
    readonly c: Cluster,
    readonly vkey: string,
  ) {}

  async submit(url: string, entry: Uint8Array): Promise<number> {
    let res: Response;
    try {
      res = await fetch(`${url}/add-entry`, {
        method: 'POST',
        body: entry as BodyInit,
        headers: { authorization: `Bearer ${this.c.token}` },
        signal: AbortSignal.timeout(20_000),
      });
    } catch {
      return 0; // no answer: not acknowledged
    }
    if (res.status !== 200) {
      await res.arrayBuffer().catch(() => {});
      return res.status;
    }
    const answer = (await res.json()) as AddEntryAnswer;
    this.served.push(checkAnswer(answer, entry, this.vkey));
    const previous = this.acked.get(answer.index);
    if (previous) expect(previous.leafHash).toBe(answer.leafHash);
    this.acked.set(answer.index, { leafHash: answer.leafHash, entry });
    this.lastAckAt = performance.now();
    return 200;
  }

  /** Every acknowledged entry is stored at its index; every served checkpoint is consistent with the newest. */
  async verify(url: string): Promise<Checkpoint> {
    const verifier = ed25519NoteVerifier(this.vkey);
    // The published checkpoint follows the witness quorum (and, on a follower, its poll): wait for it.
    const needed = Math.max(...this.acked.keys()) + 1;
    let newest!: Checkpoint;
    await until(`a published checkpoint of size ${needed}`, async () => {
      const res = await fetch(`${url}/checkpoint`);
      if (res.status !== 200) return false;
      newest = openCheckpoint(await res.text(), [verifier]).checkpoint;
      return newest.size >= needed;
    });
    for (const [index, { leafHash: hash, entry }] of this.acked) {
      expect(index).toBeLessThan(newest.size);
      const res = await fetch(`${url}/entry/${index}`);
      expect(res.status).toBe(200);
      const stored = new Uint8Array(await res.arrayBuffer());
      expect(toHex(leafHash(stored))).toBe(hash);
      expect(stored).toEqual(entry);
    }
    const bySize = new Map<number, string>();
    for (const cp of this.served) {
      const root = toHex(cp.rootHash);
      expect(bySize.get(cp.size) ?? root, `two checkpoints of size ${cp.size}`).toBe(root);
      bySize.set(cp.size, root);
      if (cp.size > newest.size) continue; // newer than the published one: checked against the stored tree below
      const res = (await (await fetch(`${url}/proof/consistency?old=${cp.size}&new=${newest.size}`)).json()) as {
        proof: string[];
      };
      const proof = res.proof.map((h) => fromBase64(h, 32));
      expect(verifyConsistency(cp.size, newest.size, cp.rootHash, newest.rootHash, proof), `cp ${cp.size}`).toBe(true);
    }
    // And against what the database stores: one root per size, the same as served.
    const rows = await pgQuery<{ size: number; root: Buffer }>(
      this.c.database,
      'SELECT size, root FROM log_checkpoints',
    );
    const stored = new Map(rows.map((r) => [Number(r.size), toHex(r.root)]));
    for (const [size, root] of bySize) expect(stored.get(size), `stored checkpoint ${size}`).toBe(root);
    return newest;
  }
}

describe('several log-server processes on PostgreSQL', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await setUp();
  }, 60_000);

  it('fails over within 5 s after kill -9 of the leader under load, losing nothing', { timeout: 120_000 }, async () => {
    const a = await serve(c);
    await until('A to lead', async () => (await role(a)) === 'leader');
    const b = await serve(c);
    expect(await role(b)).toBe('follower');
    const o = new Observer(c, c.vkey);
    const pairs = generatePairs(KEYS, 400);
    let next = 0;
    let stop = false;
    const targets = [a.url, b.url];
    const worker = async (n: number): Promise<void> => {
      while (!stop && next < pairs.length) {
        const pair = pairs[next++]!;
        // Retry on 503 / no answer, as a client would: entries are deduplicated, so this is safe.
        for (const entry of [pair.evidence, pair.keyset]) {
          for (let attempt = 0; attempt < 100 && !stop; attempt++) {
            const url = targets[(n + attempt) % targets.length]!;
            if ((await o.submit(url, entry)) === 200) break;
            await sleep(20);
          }
        }
      }
    };
    const work = Promise.all(Array.from({ length: 8 }, (_, n) => worker(n)));
    await until('load to be acknowledged', async () => o.acked.size >= 24);
    const sizeAtKill = Math.max(...o.served.map((cp) => cp.size));

    const killedAt = performance.now();
    expect(await a.stop('SIGKILL')).toBeNull();
    targets.splice(0, 1); // the clients move to the survivor
    const takeover = await until('B to lead', async () => (await role(b)) === 'leader');
    const ackedBefore = o.acked.size;
    await until('appends after failover', async () => o.acked.size >= ackedBefore + 12);
    const firstAckAfterKill = o.lastAckAt - killedAt;
    stop = true;
    await work;
    console.log(`failover: B led ${takeover.toFixed(0)} ms after kill -9; acknowledged ${o.acked.size} entries`);
    expect(takeover).toBeLessThan(5000);
    expect(firstAckAfterKill).toBeGreaterThan(0);

    // The quorum gate keeps working: B publishes, cosigned by the witness, past the size at the kill.
    const final = Math.max(...o.served.map((cp) => cp.size));
    await until('the newest checkpoint to be cosigned and published', async () => {
      const h = (await (await fetch(`${b.url}/health`)).json()) as { publishedSize: number | null };
      return (h.publishedSize ?? 0) >= final;
    });
    const publishedNote = await (await fetch(`${b.url}/checkpoint`)).text();
    const witnessKey = c.witness.vkey;
    const opened = openCheckpoint(publishedNote, [ed25519NoteVerifier(c.vkey)], [cosignatureVerifier(witnessKey)]);
    expect(opened.checkpoint.size).toBeGreaterThan(sizeAtKill);
    expect(opened.note.verified.map((v) => v.verifier.name)).toContain('witness.example/w1');
    o.served.push(opened.checkpoint);
    await o.verify(b.url);

    expect(await b.stop('SIGTERM')).toBe(0);
  });

  it('refuses the commit of a leader paused past its lease (SIGSTOP), which then rejoins as a follower', {
    timeout: 120_000,
  }, async () => {
    const lease = ['--lease', '1500ms'];
    const a = await serve(c, [...lease, '--batch-max-wait', '3s']);
    await until('A to lead', async () => (await role(a)) === 'leader');
    const b = await serve(c, lease);
    expect(await role(b)).toBe('follower');
    const o = new Observer(c, c.vkey);
    const [before] = await pgQuery<{ n: string }>(c.database, 'SELECT count(*) AS n FROM log_entries');
    const pairs = generatePairs(KEYS, 3);
    // Queued at A, waiting for its batch timer, when A stops.
    const atA = pairs.map((p) => o.submit(a.url, p.evidence));
    await until('A to queue them', async () => {
      const h = (await (await fetch(`${a.url}/health`)).json()) as { pendingSubmissions: number };
      return h.pendingSubmissions === pairs.length;
    });
    a.child.kill('SIGSTOP');
    await until('B to lead', async () => (await role(b)) === 'leader');
    const fresh = generatePairs(KEYS, 2);
    for (const p of fresh) expect(await o.submit(b.url, p.evidence)).toBe(200);
    a.child.kill('SIGCONT');
    // A signs its queued batch on waking, and the fencing token refuses it: no 200, nothing stored.
    expect(await Promise.all(atA)).toEqual([503, 503, 503]);
    await until('A to log the refused commit', async () => /fencing token \d+\) is lost or expired/.test(a.output()));
    const [after] = await pgQuery<{ n: string }>(c.database, 'SELECT count(*) AS n FROM log_entries');
    expect(Number(after!.n) - Number(before!.n)).toBe(2);
    await until('A to follow', async () => (await role(a)) === 'follower');
    // Resubmitted through A, the entries go to B and are stored.
    for (const p of pairs) expect(await o.submit(a.url, p.evidence)).toBe(200);
    await o.verify(b.url);
    expect(await a.stop('SIGTERM')).toBe(0);
    expect(await b.stop('SIGTERM')).toBe(0);
  });
});
