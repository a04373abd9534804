// `audit log` against a synthetic honest log served over HTTP, then against each kind of malicious
// log or proxy: every one must fail, and at the right step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry } from '../../core/entries/entry.ts';
import type { FleetKey } from '../../core/entries/fleet-keyset.ts';
import { isFleetlogError } from '../../core/errors.ts';
import { encodeEntryBundle } from '../../core/entry-bundle.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import {
  AuditInterrupted,
  auditLog,
  type AuditLogOptions,
  type AuditLogResult,
} from '../../auditor-cli/log-audit/audit-log.ts';
import {
  parseLogAuditState,
  parsePartialAudit,
  serializeLogAuditState,
  serializePartialAudit,
  type PartialAudit,
} from '../../auditor-cli/log-audit/log-state.ts';
import { replace, rewrite, type Served } from './support/log-http.ts';
import { deployment, keyset, policyText } from './support/fleet-fixtures.ts';
import {
  dropSignatureLines,
  enc,
  failedAt,
  fleetScenario,
  flipBit,
  genericScenario,
  serveScenario,
  tamperSignatureLine,
  type Scenario,
} from './support/scenario.ts';
import { SyntheticLog } from './support/synthetic-log.ts';

function stepOf(r: AuditLogResult, step: number) {
  return r.checks.find((c) => c.step === step);
}

async function run(s: Scenario, served: Served, extra: Partial<AuditLogOptions> = {}): Promise<AuditLogResult> {
  return auditLog({
    log: served.url,
    policy: s.policy,
    policyText: s.policyText,
    workers: 0,
    retries: 0,
    timeoutMs: 5000,
    ...extra,
  });
}

describe('audit log on an honest generic log', () => {
  const s = genericScenario(1000);
  const current = s.log;
  let served: Served;
  beforeAll(async () => {
    served = await serveScenario(() => current);
  });
  afterAll(() => served.close());

  it('passes, then resumes fetching only what is new, then fetches only the checkpoint', async () => {
    const first = await run(s, served);
    expect(first.ok).toBe(true);
    expect(first.checks.map((c) => [c.step, c.status])).toEqual([
      [3, 'pass'],
      [4, 'pass'],
      [5, 'pass'],
      [2, 'pass'],
    ]);
    expect(first.newEntries).toBe(1000);
    // The state survives a round trip through its file format.
    const state = parseLogAuditState(serializeLogAuditState(first.state!));
    expect(state.checkpoint.size).toBe(1000);

    for (let i = 1000; i < 1600; i++) s.log.append(enc(`entry number ${i}`));
    s.log.publish();
    served.requests.length = 0;
    const second = await run(s, served, { state });
    expect(second.ok).toBe(true);
    expect(second.previousSize).toBe(1000);
    expect(second.newEntries).toBe(600);
    expect(stepOf(second, 5)!.reason).toContain('grew from 1000 to 1600');
    // Tiles 0..2 were audited in the first run; the partial tile 3 is re-read (it grew); nothing before it.
    const bundles = served.requests.filter((p) => p.startsWith('tile/entries/'));
    expect(bundles).toEqual(['tile/entries/003', 'tile/entries/004', 'tile/entries/005', 'tile/entries/006.p/64']);

    served.requests.length = 0;
    const third = await run(s, served, { state: second.state! });
    expect(third.ok).toBe(true);
    expect(third.newEntries).toBe(0);
    expect(served.requests).toEqual(['checkpoint']);
  });

  it('fails a fresh audit at step 2 when one level-0 tile is tampered', async () => {
    served.tamper = rewrite('tile/0/001', (b) => flipBit(b, 100));
    try {
      const r = await run(s, served);
      expect(r.ok).toBe(false);
      expect(failedAt(r)).toBe(2);
      expect(stepOf(r, 2)!.reason).toMatch(/tile 0\/1 holds/);
      expect(r.state).toBeUndefined();
    } finally {
      served.tamper = undefined;
    }
  });

  it('fails at step 2 when one entry in a bundle is tampered', async () => {
    served.tamper = rewrite('tile/entries/002', () => {
      const entries = Array.from({ length: 256 }, (_, i) => current.entry(512 + i));
      entries[7] = enc('entry number 519 (edited)');
      return encodeEntryBundle(entries);
    });
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(2);
      expect(stepOf(r, 2)!.reason).toContain('entry 519 hashes to');
    } finally {
      served.tamper = undefined;
    }
  });

  it('fails at step 2 when the log serves a tile or bundle reaching beyond the tree', async () => {
    const size = current.size;
    const partial = `tile/0/${String(Math.floor(size / 256)).padStart(3, '0')}.p/${size % 256}`;
    served.tamper = rewrite(partial, () => new Uint8Array(8192));
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(2);
      expect(stepOf(r, 2)!.reason).toMatch(/malformed tile.*longer than/);
    } finally {
      served.tamper = undefined;
    }
    const bundle = partial.replace('tile/0/', 'tile/entries/');
    served.tamper = rewrite(bundle, () => encodeEntryBundle(Array.from({ length: 256 }, () => enc('extra'))));
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(2);
      expect(stepOf(r, 2)!.reason).toMatch(/more than the \d+ entries/);
    } finally {
      served.tamper = undefined;
    }
  });

  it('fails at step 2 on a truncated body, and with a network error (exit 2) on a dropped connection', async () => {
    served.tamper = rewrite('tile/0/000', (b) => b.subarray(0, 4000));
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(2);
      expect(stepOf(r, 2)!.reason).toContain('4000 bytes');
    } finally {
      served.tamper = undefined;
    }
    served.tamper = replace('tile/0/000', {
      kind: 'truncate',
      body: current.tile({ level: 0, index: 0, width: 256 })!.subarray(0, 4000),
      declared: 8192,
    });
    try {
      const e = await run(s, served).catch((x: unknown) => x);
      expect(isFleetlogError(e, 'network')).toBe(true);
      expect((e as Error).message).toMatch(/interrupted/);
    } finally {
      served.tamper = undefined;
    }
  });

  it('cuts off endless and oversized responses (step 2 or 3) and times out a server that never answers (exit 2)', async () => {
    served.tamper = replace('tile/entries/001', { kind: 'endless' });
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(2);
      expect(stepOf(r, 2)!.reason).toMatch(/longer than the \d+ bytes/);
    } finally {
      served.tamper = undefined;
    }
    served.tamper = replace('checkpoint', { kind: 'endless' });
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(3);
      expect(stepOf(r, 3)!.reason).toMatch(/larger than/);
    } finally {
      served.tamper = undefined;
    }
    served.tamper = replace('tile/0/002', { kind: 'hang' });
    try {
      const e = await run(s, served, { timeoutMs: 300 }).catch((x: unknown) => x);
      expect(isFleetlogError(e, 'network')).toBe(true);
      expect((e as Error).message).toMatch(/within 300 ms/);
    } finally {
      served.tamper = undefined;
    }
  });

  it('fails at step 3 on a tampered checkpoint signature or cosignature, at step 4 without a quorum', async () => {
    const note = current.published;
    served.tamper = rewrite('checkpoint', () => tamperSignatureLine(note, s.keys.origin));
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(3);
      expect(stepOf(r, 4)!.status).toBe('skip');
    } finally {
      served.tamper = undefined;
    }
    // A known witness key whose signature fails rejects the whole note (signed-note rules).
    served.tamper = rewrite('checkpoint', () => tamperSignatureLine(note, s.keys.witnesses[1]!.name));
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(3);
      expect(stepOf(r, 3)!.reason).toContain('bad_signature');
    } finally {
      served.tamper = undefined;
    }
    served.tamper = rewrite('checkpoint', () =>
      dropSignatureLines(note, [s.keys.witnesses[1]!.name, s.keys.witnesses[2]!.name]),
    );
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(4);
      expect(stepOf(r, 4)!.reason).toContain('quorum not met');
    } finally {
      served.tamper = undefined;
    }
  });
});

describe('audit log when a partial tile is gone', () => {
  it('falls back to the full tile and bundle and cuts them to the width the checkpoint covers', async () => {
    // Checkpoint at 300 (tile 1 is partial, width 44); the log has since grown past 512, and, as
    // tlog-tiles allows, no longer serves the partial tile or bundle.
    const s = genericScenario(300);
    for (let i = 300; i < 600; i++) s.log.append(enc(`entry number ${i}`));
    const served = await serveScenario(() => s.log);
    try {
      const gone = new Set(['tile/0/001.p/44', 'tile/entries/001.p/44']);
      served.tamper = (path) =>
        gone.has(path) ? { status: 404, body: 'not found\n', contentType: 'text/plain' } : undefined;
      const r = await run(s, served);
      expect(r.ok, JSON.stringify(r.checks)).toBe(true);
      expect(r.newEntries).toBe(300);
      expect(served.requests).toContain('tile/entries/001');
    } finally {
      await served.close();
    }
  });
});

describe('audit log across runs: fork, rollback, split view', () => {
  const honest = genericScenario(600);
  // The same log key signs a second history that agrees on the first 300 entries only.
  const forked = new SyntheticLog(honest.keys);
  for (let i = 0; i < 700; i++) forked.append(enc(i < 300 ? `entry number ${i}` : `forked entry ${i}`));
  forked.publish();
  const sameSize = new SyntheticLog(honest.keys);
  for (let i = 0; i < 600; i++) sameSize.append(enc(i === 599 ? 'other' : `entry number ${i}`));
  sameSize.publish();
  let current = honest.log;
  let served: Served;
  beforeAll(async () => {
    served = await serveScenario(() => current);
  });
  afterAll(() => served.close());

  it('fails at step 5 on a fork, a split view and a rollback', async () => {
    current = honest.log;
    const base = await run(honest, served);
    expect(base.ok).toBe(true);

    current = forked;
    const fork = await run(honest, served, { state: base.state! });
    expect(failedAt(fork)).toBe(5);
    expect(fork.consistency).toBe('fork');
    expect(stepOf(fork, 5)!.reason).toContain('fork');

    current = sameSize;
    const split = await run(honest, served, { state: base.state! });
    expect(failedAt(split)).toBe(5);
    expect(split.consistency).toBe('split-view');

    current = honest.log;
    for (let i = 600; i < 900; i++) honest.log.append(enc(`entry number ${i}`));
    const older = honest.log.checkpoint({ size: 600 });
    honest.log.publish();
    const grown = await run(honest, served, { state: base.state! });
    expect(grown.ok).toBe(true);
    // The log now serves its old checkpoint again.
    served.tamper = rewrite('checkpoint', () => older);
    try {
      const back = await run(honest, served, { state: grown.state! });
      expect(failedAt(back)).toBe(5);
      expect(back.consistency).toBe('rollback');
      expect(stepOf(back, 5)!.reason).toContain('a stale prefix');
    } finally {
      served.tamper = undefined;
    }
  });

  it('blames the tiles (step 2), not the log history, when the tiles used for the consistency proof are tampered', async () => {
    current = honest.log;
    const base = await run(honest, served);
    for (let i = honest.log.size; i < 1300; i++) honest.log.append(enc(`entry number ${i}`));
    honest.log.publish();
    served.tamper = rewrite(
      (p) => p.startsWith('tile/0/'),
      (b) => flipBit(b, 5),
    );
    try {
      const r = await run(honest, served, { state: base.state! });
      expect(failedAt(r)).toBe(2);
      expect(stepOf(r, 5)!.status).toBe('skip');
      expect(r.consistency).toBe('bad-tiles');
    } finally {
      served.tamper = undefined;
    }
  });
});

describe('audit log interrupted and continued', () => {
  it('continues from the progress an interrupted run saved, fetching only the rest', async () => {
    const s = genericScenario(3000);
    const served = await serveScenario(() => s.log);
    try {
      const saved: PartialAudit[] = [];
      served.tamper = replace('tile/entries/008', { kind: 'hang' });
      const broken = await run(s, served, {
        timeoutMs: 300,
        concurrency: 1,
        partialEveryMs: 0,
        onPartial: (p) => saved.push(parsePartialAudit(serializePartialAudit(p))),
      }).catch((e: unknown) => e);
      expect(isFleetlogError(broken, 'network')).toBe(true);
      const last = saved[saved.length - 1]!;
      expect(last.size).toBe(8 * 256);
      served.tamper = undefined;
      served.requests.length = 0;
      const r = await run(s, served, { partial: last });
      expect(r.ok).toBe(true);
      expect(r.resumedFrom).toBe(2048);
      expect(r.newEntries).toBe(3000 - 2048);
      expect(served.requests.filter((p) => p.startsWith('tile/entries/'))).toEqual([
        'tile/entries/008',
        'tile/entries/009',
        'tile/entries/010',
        'tile/entries/011.p/184',
      ]);
      // Progress that does not match what the log serves fails at step 2, and says where it came from.
      const bogus = { ...last, frontier: last.frontier.map(() => '00'.repeat(32)) };
      const bad = await run(s, served, { partial: bogus });
      expect(failedAt(bad)).toBe(2);
      expect(stepOf(bad, 2)!.reason).toContain('continued an interrupted one from entry 2048');
    } finally {
      await served.close();
    }
  });
});

describe('audit log stopped by a signal', () => {
  it('saves its progress at once (not only every 10 s), stops, and the next run continues from it', async () => {
    const s = genericScenario(3000);
    const served = await serveScenario(() => s.log);
    try {
      const saved: PartialAudit[] = [];
      const stop = new AbortController();
      served.tamper = replace('tile/entries/005', { kind: 'hang' }); // a slow log: stuck on tile 5
      const started = performance.now();
      const interrupted = await run(s, served, {
        concurrency: 1,
        timeoutMs: 60_000,
        signal: stop.signal,
        onPartial: (p) => saved.push(parsePartialAudit(serializePartialAudit(p))),
        onProgress: (p) => {
          if (p.done >= 5 * 256) setTimeout(() => stop.abort(), 50); // Ctrl-C while it waits
        },
      }).catch((e: unknown) => e);
      expect(interrupted).toBeInstanceOf(AuditInterrupted);
      expect((interrupted as AuditInterrupted).savedAt).toBe(5 * 256);
      expect(performance.now() - started).toBeLessThan(10_000); // well within the periodic save's 10 s
      expect(saved.map((p) => p.size)).toEqual([5 * 256]);
      served.tamper = undefined;
      const r = await run(s, served, { partial: saved[0]! });
      expect(r.ok).toBe(true);
      expect(r.resumedFrom).toBe(1280);
    } finally {
      await served.close();
    }
  });
});

describe('audit log with upper tile levels and worker threads', () => {
  const s = genericScenario(66_000);
  let served: Served;
  beforeAll(async () => {
    served = await serveScenario(() => s.log);
  });
  afterAll(() => served.close());

  it('verifies every level with two worker threads, resumes mid-tile, and catches a tampered level-1 tile', async () => {
    const first = await run(s, served, { workers: 2 });
    expect(first.ok).toBe(true);
    expect(first.workers).toBe(2);
    expect(served.requests).toContain('tile/2/000.p/1');
    expect(served.requests).toContain('tile/1/000');

    for (let i = 66_000; i < 66_300; i++) s.log.append(enc(`entry number ${i}`));
    s.log.publish();
    served.requests.length = 0;
    const second = await run(s, served, { state: first.state! });
    expect(second.ok).toBe(true);
    expect(second.newEntries).toBe(300);
    expect(served.requests).toContain('tile/1/001.p/2');

    served.tamper = rewrite('tile/1/000', (b) => flipBit(b, 32 * 200));
    try {
      const r = await run(s, served);
      expect(failedAt(r)).toBe(2);
      expect(stepOf(r, 2)!.reason).toMatch(/tile 1\/0 holds .* at position 200/);
    } finally {
      served.tamper = undefined;
    }
  });
});

describe('audit log fleet history rules', () => {
  it('passes an honest fleetlog log, with a timeline, and reports new key sets', async () => {
    const s = fleetScenario();
    const served = await serveScenario(() => s.log);
    try {
      const r = await run(s, served);
      expect(r.ok).toBe(true);
      expect(r.checks.filter((c) => c.status === 'pass').map((c) => c.step ?? c.title)).toEqual([
        3,
        4,
        5,
        2,
        'every entry is a well-formed fleetlog entry',
        1,
        6,
        7,
        'no key reused across fleets',
        8,
      ]);
      expect(r.newKeysets.map((k) => `${k.fleetId}@${k.version}`)).toEqual(['fleet-a@1', 'fleet-b@1', 'fleet-a@2']);
      expect(r.history!.fleets['fleet-a']!.version).toBe(2);
    } finally {
      await served.close();
    }
  });

  it('catches each broken rule at its step, and keeps reporting it on later runs', async () => {
    const s = fleetScenario();
    const { fleet, log } = s;
    const c = deployment(fleet, 'fleet-c');
    const d = deployment(fleet, 'fleet-d');
    // step 1: signed by a publisher the policy does not pin
    log.append(c.bytes);
    log.append(keyset(fleet, 'fleet-c', 1, c, { publisher: fleet.vendor }));
    // step 6: the key set comes before its evidence
    log.append(keyset(fleet, 'fleet-d', 1, d));
    log.append(d.bytes);
    // step 7: fleet-a goes back to version 1
    const a = deployment(fleet, 'fleet-a');
    log.append(a.bytes);
    log.append(keyset(fleet, 'fleet-a', 1, a));
    // key reuse: fleet-c lists a key of fleet-b
    const bKey = keysetKeys(log, 3)[0]!;
    log.append(keyset(fleet, 'fleet-c', 2, c, { keys: [...c.fleetKeys, bKey] }));
    // step 8 (F5 W2): v3 becomes valid before the v2 it replaces
    log.append(keyset(fleet, 'fleet-c', 3, c, { notBefore: 1_700_000_000 }));
    // not a fleetlog entry at all
    log.append(enc('hello'));
    log.publish();
    const served = await serveScenario(() => log);
    try {
      const r = await run(s, served);
      expect(r.ok).toBe(false);
      const failed = r.checks.filter((x) => x.status === 'fail').map((x) => x.step ?? x.title);
      expect(failed).toEqual([
        'every entry is a well-formed fleetlog entry',
        1,
        6,
        7,
        'no key reused across fleets',
        8,
      ]);
      expect(r.checks.find((x) => x.step === 1)!.reason).toContain('publisher signature');
      expect(r.checks.find((x) => x.step === 6)!.reason).toContain('not logged before it');
      expect(r.checks.find((x) => x.step === 7)!.reason).toContain('is not greater than');
      // The tree itself verified, so the state is saved, violations included.
      const again = await run(s, served, { state: r.state! });
      expect(again.newEntries).toBe(0);
      expect(again.ok).toBe(false);
      expect(again.newViolations).toEqual([]);
    } finally {
      await served.close();
    }
  });

  it('warns (F5 W3), without failing, when a key set expires before the one it replaces', async () => {
    const s = fleetScenario();
    const a = deployment(s.fleet, 'fleet-a');
    s.log.append(a.bytes);
    s.log.append(keyset(s.fleet, 'fleet-a', 3, a, { notBefore: 1_700_000_010, notAfter: 1_700_000_100 }));
    s.log.publish();
    const served = await serveScenario(() => s.log);
    try {
      const r = await run(s, served);
      expect(r.ok).toBe(true);
      expect(r.newWarnings.map((w) => w.rule)).toEqual(['F5']);
      expect(r.checks.find((c) => c.rule === 'F5')!.reason).toContain('1 warning');
    } finally {
      await served.close();
    }
  });

  it('restarts from scratch when the policy gains fleetlog lines', async () => {
    const s = fleetScenario();
    const served = await serveScenario(() => s.log);
    try {
      const plainText = policyText(s.keys, { quorum: 2 });
      const plain = await auditLog({
        log: served.url,
        policy: parsePolicy(plainText),
        policyText: plainText,
        workers: 0,
      });
      expect(plain.ok).toBe(true);
      expect(plain.fleetRules).toBe(false);
      const withRules = await run(s, served, { state: plain.state! });
      expect(withRules.ok).toBe(true);
      expect(withRules.newEntries).toBe(s.log.size);
      expect(withRules.history!.keysets).toBe(3);
    } finally {
      await served.close();
    }
  });
});

function keysetKeys(log: SyntheticLog, index: number): FleetKey[] {
  const e = decodeEntry(log.entry(index));
  if (e.type !== 'fleetlog/fleet-keyset/v1') throw new Error('not a key set');
  return [...e.keys];
}
