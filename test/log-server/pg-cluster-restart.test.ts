import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../core/bytes.ts';
import { openCheckpoint } from '../../core/checkpoint.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { PrivatePostgres } from '../support/private-postgres.ts';
import { initPgLog, servePgLog } from '../support/pg-log.ts';
import type { ServerProcess } from '../support/process.ts';
import { checkAnswer, KEYS, type AddEntryAnswer } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DB = 'fleetlog';

let pgs: PrivatePostgres;
let token: string;
let vkey: string;
const procs: ServerProcess[] = [];

afterAll(async () => {
  for (const p of procs) await p.stop('SIGKILL');
});

beforeAll(async () => {
  pgs = await PrivatePostgres.start();
  const made = await initPgLog(pgs, DB, 'restart.example/log');
  vkey = made.vkey;
  token = made.token;
  for (let i = 0; i < 2; i++) procs.push(await servePgLog(made));
}, 60_000);

interface Role {
  role: string;
  fencingToken?: number;
}

async function roleOf(p: ServerProcess): Promise<Role | undefined> {
  try {
    const h = (await (await fetch(`${p.url}/health`, { signal: AbortSignal.timeout(2000) })).json()) as {
      cluster: Role;
    };
    return h.cluster;
  } catch {
    return undefined;
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Exactly one leader; returns its fencing token. */
async function oneLeader(): Promise<number> {
  let token = 0;
  await until('exactly one leader', async () => {
    const roles = await Promise.all(procs.map(roleOf));
    const leaders = roles.filter((r) => r?.role === 'leader');
    if (leaders.length !== 1 || roles.some((r) => r === undefined)) return false;
    token = leaders[0]!.fencingToken!;
    return true;
  });
  return token;
}

describe('two log processes on PostgreSQL while PostgreSQL restarts', () => {
  it('one leader resumes, fencing holds, nothing acknowledged is lost, one root per size', {
    timeout: 120_000,
  }, async () => {
    const acked = new Map<number, string>();
    const served = new Map<number, string>();
    const serve = (size: number, root: string): void => {
      expect(served.get(size) ?? root, `two checkpoints of size ${size}`).toBe(root);
      served.set(size, root);
    };
    const pairs = generatePairs(KEYS, 500);
    let next = 0;
    let stop = false;
    const appender = async (n: number): Promise<void> => {
      while (!stop && next < pairs.length) {
        const entry = pairs[next++]!.evidence;
        for (let attempt = 0; !stop; attempt++) {
          const p = procs[(n + attempt) % procs.length]!;
          const res = await fetch(`${p.url}/add-entry`, {
            method: 'POST',
            body: entry as BodyInit,
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(20_000),
          }).catch(() => undefined);
          if (res?.status === 200) {
            const answer = (await res.json()) as AddEntryAnswer;
            const cp = checkAnswer(answer, entry, vkey);
            serve(cp.size, toHex(cp.rootHash));
            acked.set(answer.index, answer.leafHash);
            break;
          }
          if (res) expect([503], await res.text()).toContain(res.status);
          await sleep(50);
        }
      }
    };
    const reader = async (): Promise<void> => {
      const verifier = ed25519NoteVerifier(vkey);
      while (!stop) {
        for (const p of procs) {
          const res = await fetch(`${p.url}/checkpoint`).catch(() => undefined);
          if (res?.status === 200) {
            const cp = openCheckpoint(await res.text(), [verifier]).checkpoint;
            serve(cp.size, toHex(cp.rootHash));
          } else await res?.arrayBuffer();
        }
        await sleep(50);
      }
    };
    const loops = [0, 1, 2, 3].map(appender).concat(reader());
    const moreAcked = (n: number) => {
      const target = acked.size + n;
      return until(`${n} more acknowledged entries`, async () => acked.size >= target);
    };

    let token0 = await oneLeader();
    await moreAcked(20);
    for (const restart of ['fast', 'kill -9'] as const) {
      if (restart === 'fast') await pgs.stopFast();
      else await pgs.killPostmaster();
      await sleep(2500); // longer than the 1 s lease: both processes see their polls fail
      for (const p of procs) expect(p.child.exitCode, p.output()).toBeNull();
      await pgs.resume();
      const token1 = await oneLeader();
      expect(token1).toBeGreaterThanOrEqual(token0);
      token0 = token1;
      await moreAcked(20);
    }
    // Appends go through both processes (the follower forwards to the leader).
    stop = true;
    await Promise.all(loops);

    const rows = await pgs.query<{ idx: string; leaf_hash: Buffer }>('SELECT idx, leaf_hash FROM log_entries', [], DB);
    const stored = new Map(rows.map((r) => [Number(r.idx), toHex(r.leaf_hash)]));
    for (const [index, hash] of acked) expect(stored.get(index), `acknowledged entry ${index}`).toBe(hash);
    const cps = await pgs.query<{ size: string; root: Buffer }>('SELECT size, root FROM log_checkpoints', [], DB);
    const roots = new Map(cps.map((r) => [Number(r.size), toHex(r.root)]));
    for (const [size, root] of served) expect(roots.get(size), `served checkpoint ${size}`).toBe(root);
    // The lease changed hands (or was re-taken) across the restarts: the token only grew.
    const [lease] = await pgs.query<{ token: string }>('SELECT token FROM log_lease', [], DB);
    expect(Number(lease!.token)).toBe(token0);
    for (const p of procs) expect(await p.stop('SIGTERM')).toBe(0);
  });
});
