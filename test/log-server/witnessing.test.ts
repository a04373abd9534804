// Witnessing per C2SP tlog-witness against in-test fake witnesses on real sockets: cosignatures
// are verified and attached, the quorum gates /checkpoint, a 409 makes the log resend from the
// witness's size, a slow witness does not stall the others, and a 422 shows in /health.
import { afterEach, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../core/checkpoint.ts';
import { openCheckpointWithPolicy, requireQuorum } from '../../core/policy/checkpoint-trust.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { silentLogger } from '../../service/logger.ts';
import type { RunningServer } from '../../service/serve.ts';
import { startLogServer } from '../../log-server/index.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { startFakeWitness, type FakeWitness } from './fake-witness.ts';
import { freshLog, KEYS, POLICY } from './helpers.ts';

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function serve(dataDir: string, policyText: string): Promise<RunningServer> {
  const server = await startLogServer({
    dataDir,
    policyText,
    logger: silentLogger,
    witnessTimeoutMs: 2000,
    witnessRetryBaseMs: 20,
    witnessRetryMaxMs: 100,
    batchMaxWaitMs: 1,
  });
  running.push(server);
  return server;
}

async function append(url: string, token: string, count: number): Promise<void> {
  for (const p of generatePairs(KEYS, count)) {
    for (const body of [p.evidence, p.keyset]) {
      const res = await fetch(`${url}/add-entry`, {
        method: 'POST',
        body: body as BodyInit,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  }
}

async function checkpointSize(url: string): Promise<number | undefined> {
  const res = await fetch(`${url}/checkpoint`);
  if (res.status !== 200) {
    await res.arrayBuffer();
    return undefined;
  }
  return Number((await res.text()).split('\n')[1]);
}

interface Health {
  size: number;
  publishedSize: number | null;
  status: string;
  witnesses: Array<{ name: string; status: string; lastError?: string; acknowledgedSize?: number }>;
}

async function health(url: string): Promise<Health> {
  return (await (await fetch(`${url}/health`)).json()) as Health;
}

function witnessLine(w: FakeWitness): string {
  return `witness ${w.name} ${w.vkey} ${w.url}`;
}

describe('witnessing', () => {
  it('resends from the size a 409 reports, and publishes only checkpoints that meet the quorum', async () => {
    const log = await freshLog();
    // First run without witnesses (fail-open): the log reaches size 6.
    const first = await serve(log.dataDir, POLICY);
    await append(first.url, log.token, 3);
    const note = await (await fetch(`${first.url}/checkpoint`)).text();
    await first.close();
    running.pop();
    // The witness already holds size 6 (say it cosigned via another path); the log does not know.
    const w1 = await startFakeWitness('witness.test/w1', log.vkey);
    running.push(w1);
    const cp6 = openCheckpoint(note, [ed25519NoteVerifier(log.vkey)]).checkpoint;
    w1.state = { size: cp6.size, root: cp6.rootHash };
    const policyText = `${POLICY.replace('quorum none\n', '')}${witnessLine(w1)}\nquorum ${w1.name}\n`;
    const server = await serve(log.dataDir, policyText);
    const size6 = await eventually(() => checkpointSize(server.url), 'a cosigned checkpoint');
    expect(size6).toBe(6);
    expect(w1.requests.slice(0, 2)).toEqual([
      { old: 0, size: 6, status: 409 },
      { old: 6, size: 6, status: 200 },
    ]);
    const policy = parsePolicy(`log ${log.vkey}\n${policyText}`);
    requireQuorum(openCheckpointWithPolicy(policy, await (await fetch(`${server.url}/checkpoint`)).text()));

    // Hold the witness: new entries are signed and served as tiles, but /checkpoint stays put.
    let release!: () => void;
    w1.gate = new Promise<void>((r) => (release = r));
    await append(server.url, log.token, 2);
    const held = await health(server.url);
    expect(held.size).toBe(10);
    expect(held.publishedSize).toBe(6);
    expect(await checkpointSize(server.url)).toBe(6);
    expect((await fetch(`${server.url}/tile/0/000.p/10`)).status).toBe(200);
    w1.gate = undefined;
    release();
    await eventually(
      async () => ((await checkpointSize(server.url)) === 10 ? true : undefined),
      'checkpoint 10 published',
    );
    const trusted = requireQuorum(
      openCheckpointWithPolicy(policy, await (await fetch(`${server.url}/checkpoint`)).text()),
    );
    expect([...trusted.cosigners.keys()]).toEqual([w1.name]);
    expect((await health(server.url)).witnesses[0]).toMatchObject({
      name: w1.name,
      status: 'ok',
      acknowledgedSize: 10,
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const conflicts = new RegExp(
      `fleetlog_log_witness_requests_total\\{outcome="conflict",witness="${w1.name}"\\} ([0-9]+)`,
    ).exec(metrics);
    expect(Number(conflicts?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('does not let a hanging witness stall a quorum the others can meet, and shows a 422 loudly', async () => {
    const log = await freshLog();
    const fast = await startFakeWitness('witness.test/fast', log.vkey);
    const slow = await startFakeWitness('witness.test/slow', log.vkey);
    const broken = await startFakeWitness('witness.test/broken', log.vkey);
    running.push(fast, slow, broken);
    slow.mode = 'hang';
    broken.mode = 'reject422';
    const policyText = `${POLICY.replace('quorum none\n', '')}${[fast, slow, broken].map(witnessLine).join('\n')}\ngroup any-one 1 ${fast.name} ${slow.name} ${broken.name}\nquorum any-one\n`;
    const server = await serve(log.dataDir, policyText);
    await append(server.url, log.token, 2);
    await eventually(
      async () => ((await checkpointSize(server.url)) === 4 ? true : undefined),
      'checkpoint 4 published by the fast witness',
    );
    const h = await eventually(async () => {
      const x = await health(server.url);
      return x.witnesses.find((w) => w.name === broken.name)?.status === 'rejected' ? x : undefined;
    }, 'the 422 in /health');
    expect(h.status).toBe('degraded');
    expect(h.witnesses.find((w) => w.name === broken.name)!.lastError).toMatch(/422/);
    expect(h.witnesses.find((w) => w.name === fast.name)!.status).toBe('ok');
    expect(['pending', 'retrying']).toContain(h.witnesses.find((w) => w.name === slow.name)!.status);
  });

  it('serves no checkpoint until a quorum that needs a silent witness is met', async () => {
    const log = await freshLog();
    const w = await startFakeWitness('witness.test/silent', log.vkey);
    running.push(w);
    w.mode = 'reject422';
    const server = await serve(
      log.dataDir,
      `${POLICY.replace('quorum none\n', '')}${witnessLine(w)}\nquorum ${w.name}\n`,
    );
    await append(server.url, log.token, 1);
    const res = await fetch(`${server.url}/checkpoint`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('unavailable');
    expect((await fetch(`${server.url}/proof/0`)).status).toBe(503);
    // The tree itself is readable: entries are signed and durable, just not yet witnessed.
    expect((await health(server.url)).size).toBe(2);
  });
});
