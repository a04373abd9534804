/**
 * A follower's /health on PostgreSQL reports the witnesses as the leader left them in the
 * database (cluster-node.ts): a witness whose cosignature is on the published checkpoint is 'ok',
 * one that never cosigned is 'not_cosigned' once the leader has had a witness timeout, so /health
 * is 'degraded' on the follower too, and the `cluster` block names the role and the leader's URL.
 * Before, a follower showed every witness as 'pending' and said 'ok' while the leader was degraded.
 *
 * Two log servers in this process on one real PostgreSQL schema, a real witness (w1, the quorum)
 * and one whose URL answers nothing (w2).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addToken, initLog, startLogServer } from '../../log-server/index.ts';
import { syntheticPair } from '../../log-server/load/synthetic.ts';
import type { RunningServer } from '../../service/serve.ts';
import { silentLogger } from '../../service/logger.ts';
import { addLog, initWitness, startWitness, type RunningWitness } from '../../witness/index.ts';
import { freshPgUrl } from '../support/postgres.ts';
import { tempDir } from '../support/process.ts';
import { KEYS, POLICY } from './helpers.ts';

const ORIGIN = 'follower-health.example/log';
const WITNESS_TIMEOUT_MS = 1500;
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});

interface Health {
  status: string;
  publishedSize: number | null;
  cluster?: { role: string; leaderUrl?: string };
  witnesses: Array<{
    name: string;
    status: string;
    acknowledgedSize?: number;
    lastCosignedSize?: number;
    lastSuccessAt?: string;
    lastError?: string;
  }>;
}

async function health(server: RunningServer): Promise<Health> {
  return (await (await fetch(`${server.url}/health`)).json()) as Health;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a follower log server on PostgreSQL', () => {
  it("reports the leader's cosigning state from the database, and which leader it follows", async () => {
    const database = await freshPgUrl();
    const dir = tempDir('fleetlog-follower-health-');
    const dataDir = join(dir, 'log');
    const { vkey } = await initLog({ dataDir, origin: ORIGIN, database });
    const token = await addToken({ dataDir, database, name: 'tests' });
    const witnessDir = join(dir, 'w1');
    const { vkey: w1 } = await initWitness({ dataDir: witnessDir, name: 'witness.example/w1' });
    addLog({ dataDir: witnessDir, origin: ORIGIN, vkey });
    const witness: RunningWitness = await startWitness({ dataDir: witnessDir, threads: 0, logger: silentLogger });
    closers.push(() => witness.close());
    const { vkey: w2 } = await initWitness({ dataDir: join(dir, 'w2'), name: 'witness.example/w2' });
    const policyText = `${POLICY.replace('quorum none\n', '')}witness w1 ${w1} ${witness.url}\nwitness w2 ${w2} http://127.0.0.1:1\nquorum w1\n`;

    const serve = async (): Promise<RunningServer> => {
      const s = await startLogServer({
        dataDir,
        database,
        policyText,
        logger: silentLogger,
        leaseMs: 2000,
        witnessTimeoutMs: WITNESS_TIMEOUT_MS,
        witnessRetryBaseMs: 100,
        witnessRetryMaxMs: 500,
        batchMaxWaitMs: 1,
      });
      closers.push(() => s.close());
      return s;
    };
    const leader = await serve();
    await until(
      'the first server to lead',
      () => health(leader),
      (h) => h.cluster?.role === 'leader',
    );
    const follower = await serve();
    const following = await until(
      'the follower',
      () => health(follower),
      (h) => h.cluster?.leaderUrl !== undefined,
    );
    expect(following.cluster).toMatchObject({ role: 'follower', leaderUrl: leader.url });

    const pair = syntheticPair(KEYS, 'fleet-follower');
    const added = await fetch(`${leader.url}/add-entry`, {
      method: 'POST',
      body: pair.evidence as BodyInit,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(added.status, await added.clone().text()).toBe(200);

    // The leader: w1 cosigned, w2 fails; degraded.
    const led = await until(
      'the leader to publish size 1 and give up on w2 for now',
      () => health(leader),
      (h) => h.publishedSize === 1 && h.witnesses.find((w) => w.name === 'w2')?.status === 'retrying',
    );
    expect(led.status).toBe('degraded');
    expect(led.witnesses.find((w) => w.name === 'w1')).toMatchObject({ status: 'ok', lastCosignedSize: 1 });

    // The follower says the same, from the database, once the witness timeout has passed.
    const followed = await until(
      'the follower to see w2 missing from the published checkpoint',
      () => health(follower),
      (h) => h.publishedSize === 1 && h.witnesses.find((w) => w.name === 'w2')?.status === 'not_cosigned',
    );
    expect(followed.status).toBe('degraded');
    expect(followed.cluster).toMatchObject({ role: 'follower', leaderUrl: leader.url });
    const w1Seen = followed.witnesses.find((w) => w.name === 'w1')!;
    expect(w1Seen).toMatchObject({ status: 'ok', acknowledgedSize: 1, lastCosignedSize: 1 });
    expect(Date.parse(w1Seen.lastSuccessAt!)).toBeGreaterThan(Date.now() - 60_000);
    const w2Seen = followed.witnesses.find((w) => w.name === 'w2')!;
    expect(w2Seen.lastCosignedSize).toBeUndefined();
    expect(w2Seen.lastError).toMatch(/published checkpoint \(size 1\) has no cosignature from this witness/);
    const metrics = await (await fetch(`${follower.url}/metrics`)).text();
    expect(metrics).toMatch(/^fleetlog_log_witness_last_cosignature_age_seconds\{witness="w1"\} /m);
  }, 90_000);
});
