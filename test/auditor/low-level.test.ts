// The low-level commands' programmatic forms: audit checkpoint, inclusion, consistency,
// export-proof and proof, each with the proof path it used.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_STATE } from '../../core/audit/client-state.ts';
import { toHex } from '../../core/bytes.ts';
import { parseTlogProof, formatTlogProof } from '../../core/tlog-proof.ts';
import { auditCheckpoint, auditConsistency, auditInclusion } from '../../auditor-cli/low-level.ts';
import { exportProof } from '../../auditor-cli/export-proof.ts';
import { auditProof } from '../../auditor-cli/proof-audit.ts';
import { fleetBundleFor, TEST_NOW } from './support/fleet-fixtures.ts';
import { rewrite, type Served } from './support/log-http.ts';
import {
  enc,
  failedAt,
  fleetScenario,
  flipBit,
  genericScenario,
  serveScenario,
  tamperSignatureLine,
} from './support/scenario.ts';
import { SyntheticLog } from './support/synthetic-log.ts';

describe('audit checkpoint, inclusion, consistency', () => {
  const s = genericScenario(900);
  const current = s.log;
  let served: Served;
  beforeAll(async () => {
    served = await serveScenario(() => current);
  });
  afterAll(() => served.close());
  const o = () => ({ log: served.url, policy: s.policy, retries: 0 });

  it('checkpoint: trusts on first use, then proves growth from tiles, and refuses a rollback', async () => {
    const first = await auditCheckpoint({ ...o(), state: EMPTY_STATE });
    expect(first.ok).toBe(true);
    expect(first.checks.map((c) => c.step)).toEqual([3, 4, 5]);
    for (let i = 900; i < 1000; i++) s.log.append(enc(`entry number ${i}`));
    const older = s.log.checkpoint({ size: 900 });
    s.log.publish();
    const grown = await auditCheckpoint({ ...o(), state: first.state });
    expect(grown.ok).toBe(true);
    expect(grown.proof.length).toBeGreaterThan(0);
    expect(grown.proof[0]!.nodes[0]!.tile).toMatch(/^tile\/0\//);
    expect(grown.state.checkpoint!.size).toBe(1000);
    served.tamper = rewrite('checkpoint', () => older);
    try {
      const back = await auditCheckpoint({ ...o(), state: grown.state });
      expect(failedAt(back)).toBe(5);
      expect(back.checks[2]!.reason).toContain('rollback');
      expect(back.state).toBe(grown.state);
    } finally {
      served.tamper = undefined;
    }
  });

  it('inclusion: proves an entry from its bundle or from given bytes, and fails at step 2 on a wrong entry or a tampered tile', async () => {
    const r = await auditInclusion({ ...o(), index: 300 });
    expect(r.ok).toBe(true);
    expect(r.leafHash).toBe(toHex(s.log.leafHash(300)));
    expect(r.proof.flatMap((p) => p.nodes.map((n) => n.tile))).toContain('tile/0/001');
    const given = await auditInclusion({ ...o(), index: 300, entry: enc('entry number 300') });
    expect(given.ok).toBe(true);
    const wrong = await auditInclusion({ ...o(), index: 300, entry: enc('entry number 301') });
    expect(failedAt(wrong)).toBe(2);
    const beyond = await auditInclusion({ ...o(), index: 5000 });
    expect(failedAt(beyond)).toBe(2);
    // The proof for entry 300 reads the subtree [0, 256) from the level-1 tile.
    served.tamper = rewrite(
      (p) => p.startsWith('tile/1/'),
      (b) => flipBit(b, 0),
    );
    try {
      expect(failedAt(await auditInclusion({ ...o(), index: 300 }))).toBe(2);
    } finally {
      served.tamper = undefined;
    }
  });

  it('consistency: proves the current tree extends an earlier one, and names a fork', async () => {
    const old = { origin: s.keys.origin, size: 500, rootHash: toHex(s.log.root(500)) };
    const r = await auditConsistency({ ...o(), old });
    expect(r.ok).toBe(true);
    expect(r.proof.length).toBeGreaterThan(0);
    const other = new SyntheticLog(s.keys);
    for (let i = 0; i < 500; i++) other.append(enc(`other ${i}`));
    const fork = await auditConsistency({ ...o(), old: { ...old, rootHash: toHex(other.root()) } });
    expect(failedAt(fork)).toBe(5);
    expect(fork.checks[2]!.reason).toContain('fork');
  });
});

describe('export-proof and proof', () => {
  const s = fleetScenario();
  let served: Served;
  beforeAll(async () => {
    served = await serveScenario(() => s.log);
  });
  afterAll(() => served.close());

  it('exports a tlog-proof that verifies offline, with the entry checks for a key set', async () => {
    const exported = await exportProof({ log: served.url, index: 4, policy: s.policy, retries: 0 });
    expect(exported.ok).toBe(true);
    const p = parseTlogProof(exported.text!);
    expect(p.index).toBe(4);
    expect(p.extra).toEqual(s.log.entry(4));
    const r = await auditProof({ text: exported.text!, policy: s.policy, now: TEST_NOW });
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => `${c.step}:${c.status}`)).toEqual(['2:pass', '3:pass', '4:pass', '1:pass', '8:pass']);

    const tamperedEntry = formatTlogProof({ ...p, extra: flipBit(p.extra!, 30) });
    expect(failedAt(await auditProof({ text: tamperedEntry, policy: s.policy, now: TEST_NOW }))).toBe(2);
    const tamperedProof = formatTlogProof({ ...p, proof: p.proof.map((h) => flipBit(h)) });
    expect(failedAt(await auditProof({ text: tamperedProof, policy: s.policy, now: TEST_NOW }))).toBe(2);
    const badCheckpoint = formatTlogProof({ ...p, checkpoint: tamperSignatureLine(p.checkpoint, s.keys.origin) });
    expect(failedAt(await auditProof({ text: badCheckpoint, policy: s.policy, now: TEST_NOW }))).toBe(3);
    const expired = await auditProof({ text: exported.text!, policy: s.policy, now: TEST_NOW + 5 * 365 * 86400 });
    expect(failedAt(expired)).toBe(8);
  });

  it('verifies a proof without an extra line given the entry, and a fleet bundle with the full decision', async () => {
    const exported = await exportProof({ log: served.url, index: 0, retries: 0 });
    expect(exported.checkpointVerified).toBe(false);
    const p = parseTlogProof(exported.text!);
    const bare = formatTlogProof({ index: p.index, proof: p.proof, checkpoint: p.checkpoint });
    expect(failedAt(await auditProof({ text: bare, policy: s.policy }))).toBe(2);
    const withEntry = await auditProof({ text: bare, policy: s.policy, entry: s.log.entry(0) });
    expect(withEntry.ok).toBe(true);
    expect(withEntry.checks.map((c) => c.step)).toEqual([2, 3, 4, 6]);
    const bundle = await auditProof({ text: fleetBundleFor(s.log, 'fleet-b')!, policy: s.policy, now: TEST_NOW });
    expect(bundle.kind).toBe('fleet-bundle');
    expect(bundle.ok).toBe(true);
    expect(bundle.checks.map((c) => c.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
