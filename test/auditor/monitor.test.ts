// `audit monitor`: one round at a time against a synthetic log and fake witnesses, then the loop
// with a hook command.
import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../core/bytes.ts';
import { sha256 } from '../../core/crypto/sha256.ts';
import {
  formatSplitViewEvidenceList,
  makeSplitViewEvidence,
  type SplitViewEvidence,
} from '../../core/split-view-evidence.ts';
import { monitorOnce, runMonitor, type MonitorOptions } from '../../auditor-cli/monitor.ts';
import { deployment, keyset, policyText } from './support/fleet-fixtures.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { rewrite, serve, type Served } from './support/log-http.ts';
import { enc, fleetScenario, serveScenario } from './support/scenario.ts';
import { SyntheticLog } from './support/synthetic-log.ts';
import { tempDir } from '../support/process.ts';

interface FakeWitness {
  served: Served;
  /** The checkpoint note it says it last cosigned for the origin. */
  checkpoint?: string;
  evidence: SplitViewEvidence[];
}

async function fakeWitness(origin: string): Promise<FakeWitness> {
  const w: FakeWitness = { evidence: [], served: undefined as unknown as Served };
  const path = `${toHex(sha256(utf8(origin)))}/checkpoint`;
  w.served = await serve((p) => {
    if (p === path)
      return w.checkpoint
        ? { status: 200, body: w.checkpoint, contentType: 'text/plain; charset=utf-8' }
        : { status: 404, body: 'unknown log' };
    if (p === 'evidence')
      return { status: 200, body: formatSplitViewEvidenceList(w.evidence), contentType: 'application/json' };
    return undefined;
  });
  return w;
}

describe('audit monitor', () => {
  const s = fleetScenario();
  let current = s.log;
  let log: Served;
  let witness: FakeWitness;
  beforeAll(async () => {
    log = await serveScenario(() => current);
    witness = await fakeWitness(s.keys.origin);
  });
  afterAll(async () => {
    await log.close();
    await witness.served.close();
  });
  const options = (extra: Partial<MonitorOptions> = {}): MonitorOptions => ({
    log: log.url,
    policy: s.policy,
    policyText: s.policyText,
    witnesses: [`w1=${witness.served.url}`],
    maxAgeSeconds: 3600,
    workers: 0,
    retries: 0,
    ...extra,
  });

  it('alerts on every new key set for review, then stays quiet while a consistent witness is behind or level', async () => {
    witness.checkpoint = s.log.checkpoint({ size: 3 });
    const first = await monitorOnce(options());
    expect(first.alerts.map((a) => a.kind)).toEqual(['new_keyset', 'new_keyset', 'new_keyset']);
    expect(first.witnesses[0]).toMatchObject({ size: 3, relation: 'behind' });

    const d = deployment(s.fleet, 'fleet-c');
    s.log.append(d.bytes);
    s.log.append(keyset(s.fleet, 'fleet-c', 1, d));
    s.log.publish();
    witness.checkpoint = s.log.published;
    const second = await monitorOnce(options({ state: first.state! }));
    expect(second.alerts.map((a) => a.message)).toEqual([
      expect.stringContaining('new key set for fleet fleet-c: version 1'),
    ]);
    expect(second.witnesses[0]).toMatchObject({ relation: 'same' });
    const third = await monitorOnce(options({ state: second.state! }));
    expect(third.alerts).toEqual([]);
    expect(third.warnings).toEqual([]);
    // What the witness serves must carry its own cosignature, or it is not what the witness cosigned.
    witness.checkpoint = s.log.checkpoint({ cosignWith: [1, 2] });
    const unsigned = await monitorOnce(options({ state: second.state! }));
    expect(unsigned.alerts.map((a) => a.message).join('\n')).toContain('no valid cosignature by witness w1');
    witness.checkpoint = s.log.published;
  });

  it('alerts on a split view: the witness cosigned a tree the log does not show us', async () => {
    const state = (await monitorOnce(options())).state!;
    const other = new SyntheticLog(s.keys);
    for (let i = 0; i < 3; i++) other.append(s.log.entry(i));
    other.append(enc('what the witness was shown'));
    witness.checkpoint = other.checkpoint();
    const r = await monitorOnce(options({ state }));
    expect(r.alerts.map((a) => a.kind)).toEqual(['split_view']);
    const sameSize = new SyntheticLog(s.keys);
    for (let i = 0; i < s.log.size - 1; i++) sameSize.append(s.log.entry(i));
    sameSize.append(enc('last entry differs'));
    witness.checkpoint = sameSize.checkpoint();
    expect((await monitorOnce(options({ state }))).alerts.map((a) => a.kind)).toEqual(['split_view']);
    witness.checkpoint = s.log.published;
  });

  it("re-verifies a witness's split-view evidence: proof of a fork alerts, a consistent pair is only a warning", async () => {
    const state = (await monitorOnce(options())).state!;
    const fork = new SyntheticLog(s.keys);
    for (let i = 0; i < s.log.size; i++) fork.append(i === 1 ? enc('forked') : s.log.entry(i));
    witness.evidence = [
      makeSplitViewEvidence({
        origin: s.keys.origin,
        witness: s.keys.witnesses[0]!.vkey,
        observed: 1,
        cosigned: s.log.published,
        presented: fork.checkpoint(),
        proof: [],
      }),
    ];
    const r = await monitorOnce(options({ state }));
    expect(r.alerts.map((a) => a.kind)).toEqual(['split_view']);
    expect(r.alerts[0]!.message).toContain('two different roots');
    witness.evidence = [
      makeSplitViewEvidence({
        origin: s.keys.origin,
        witness: s.keys.witnesses[0]!.vkey,
        observed: 1,
        cosigned: s.log.published,
        presented: s.log.published,
        proof: [],
      }),
    ];
    const benign = await monitorOnce(options({ state }));
    expect(benign.alerts).toEqual([]);
    expect(benign.warnings.join('\n')).toContain('does not verify');
    witness.evidence = [];
  });

  it('alerts on a rollback, a stale checkpoint, and a failed verification', async () => {
    const state = (await monitorOnce(options())).state!;
    s.log.append(deployment(s.fleet, 'fleet-x').bytes);
    const older = s.log.published;
    s.log.publish();
    const grown = (await monitorOnce(options({ state }))).state!;
    log.tamper = rewrite('checkpoint', () => older);
    try {
      expect((await monitorOnce(options({ state: grown }))).alerts.map((a) => a.kind)).toContain('rollback');
    } finally {
      log.tamper = undefined;
    }
    const old = s.log.checkpoint({ time: Math.floor(Date.now() / 1000) - 7200 });
    log.tamper = rewrite('checkpoint', () => old);
    try {
      expect((await monitorOnce(options({ state: grown }))).alerts.map((a) => a.kind)).toEqual(['stale']);
    } finally {
      log.tamper = undefined;
    }
    log.tamper = rewrite('checkpoint', () => s.log.checkpoint({ cosignWith: [0] }));
    try {
      const r = await monitorOnce(options({ state: grown }));
      expect(r.alerts.map((a) => `${a.rule} ${a.kind}`)).toEqual(['M1 invalid_checkpoint']);
      expect(r.alerts[0]!.message).toContain('step 4');
    } finally {
      log.tamper = undefined;
    }
  });

  it('with quorum none, calls a checkpoint stale when it has not changed for longer than the maximum age', async () => {
    const text = policyText(s.keys, { quorum: 'none', fleet: s.fleet });
    const noWitnesses = options({ policy: parsePolicy(text), policyText: text, witnesses: [] });
    const t0 = 2_000_000_000;
    const first = await monitorOnce({ ...noWitnesses, now: () => t0 });
    expect(first.alerts.filter((a) => a.kind === 'stale')).toEqual([]);
    const later = await monitorOnce({ ...noWitnesses, state: first.state!, now: () => t0 + 3000 });
    expect(later.alerts).toEqual([]);
    const stale = await monitorOnce({ ...noWitnesses, state: later.state!, now: () => t0 + 4000 });
    expect(stale.alerts.map((a) => `${a.rule} ${a.kind}`)).toEqual(['M6 stale']);
    expect(stale.alerts[0]!.message).toContain('has not changed for 4000 s');
  });

  it('runs a hook once per alert and keeps going; without a hook the first alert ends it with exit 1', async () => {
    current = fleetScenario(s.keys, s.fleet).log;
    const dir = tempDir('fleetlog-monitor-');
    const out = join(dir, 'alerts');
    const stop = new AbortController();
    let rounds = 0;
    const code = await runMonitor(options({ witnesses: [] }), {
      intervalSeconds: 0.05,
      once: false,
      hook: `cat >> ${out}; echo "$FLEETLOG_ALERT_KIND" >> ${out}`,
      signal: stop.signal,
      onRound: () => {
        if (++rounds === 3) stop.abort();
      },
    });
    expect(code).toBe(0);
    expect(rounds).toBe(3);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    // Three key sets, each alerted once (JSON on stdin, kind in the environment), not once per round.
    expect(lines.filter((l) => l === 'new_keyset')).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'new_keyset', origin: s.keys.origin });

    expect(await runMonitor(options({ witnesses: [] }), { intervalSeconds: 1, once: false })).toBe(1);
    current = s.log;
  });

  it('leaves no listener on its signal per round (a long-running monitor would pile them up)', async () => {
    const stop = new AbortController();
    const listeners: number[] = [];
    const code = await runMonitor(options({ witnesses: [] }), {
      intervalSeconds: 0.01,
      once: false,
      hook: 'cat > /dev/null',
      signal: stop.signal,
      onRound: () => {
        listeners.push(getEventListeners(stop.signal, 'abort').length);
        if (listeners.length === 12) stop.abort();
      },
    });
    expect(code).toBe(0);
    expect(listeners).toHaveLength(12);
    // Whatever a round itself listens with, the count is the same at every round.
    expect(new Set(listeners).size).toBe(1);
  });
});
