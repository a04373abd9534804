// `audit fleet`: the trust decision for one fleet's key set, online (fleetlog's /fleet-bundle, or a
// scan of any tlog-tiles log) and offline, and each way a log can try to fool it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_STATE, type ClientState } from '../../core/audit/client-state.ts';
import { parseFleetBundle, formatFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { encodeEntryBundle } from '../../core/entry-bundle.ts';
import { auditFleet, type AuditFleetResult } from '../../auditor-cli/fleet-audit.ts';
import { deployment, fleetBundleFor, keyset, makeFleetKeys, TEST_NOW } from './support/fleet-fixtures.ts';
import { rewrite, type Served } from './support/log-http.ts';
import {
  dropSignatureLines,
  enc,
  failedAt,
  fleetScenario,
  serveScenario,
  tamperSignatureLine,
} from './support/scenario.ts';
import { SyntheticLog } from './support/synthetic-log.ts';

const statuses = (r: AuditFleetResult): string => r.checks.map((c) => `${c.step}:${c.status}`).join(' ');

describe('audit fleet', () => {
  const s = fleetScenario();
  let current: SyntheticLog = s.log;
  let served: Served;
  let plain: Served;
  beforeAll(async () => {
    served = await serveScenario(() => current, { fleetBundles: true });
    plain = await serveScenario(() => current);
  });
  afterAll(async () => {
    await served.close();
    await plain.close();
  });
  const decide = (
    o: { state?: ClientState; log?: string; bundleText?: string; now?: number; fleetId?: string } = {},
  ): Promise<AuditFleetResult> =>
    auditFleet({
      policy: s.policy,
      fleetId: 'fleet-a',
      state: EMPTY_STATE,
      now: TEST_NOW,
      retries: 0,
      ...(o.bundleText ? {} : { log: served.url }),
      ...o,
    });

  it("trusts the fleet's current key set through every step, from the fleet bundle, a scan, or a file", async () => {
    const r = await decide();
    expect(r.trusted).toBe(true);
    expect(r.source).toBe('fleet-bundle');
    expect(statuses(r)).toBe('1:pass 2:pass 3:pass 4:pass 5:pass 6:pass 7:pass 8:pass');
    expect(r.keyset!.version).toBe(2);
    expect(r.state.fleets['fleet-a']!.version).toBe(2);
    expect(r.state.checkpoint!.size).toBe(s.log.size);

    const scanned = await decide({ log: plain.url });
    expect(scanned.trusted).toBe(true);
    expect(scanned.source).toBe('scan');
    expect(scanned.keyset!.index).toBe(4);

    const offline = await decide({ bundleText: fleetBundleFor(s.log, 'fleet-a')! });
    expect(offline.trusted).toBe(true);
    expect(offline.source).toBe('file');

    const none = await decide({ log: plain.url, fleetId: 'fleet-z' });
    expect(none.trusted).toBe(false);
    expect(failedAt(none)).toBe(1);
    expect(none.checks[0]!.reason).toContain('no key set for fleet fleet-z');
  });

  it('fails at step 1, not with a network error, on an endless fleet bundle', async () => {
    served.tamper = (path) => (path === 'fleet-bundle/fleet-a' ? { kind: 'endless' } : undefined);
    try {
      const r = await decide();
      expect(r.trusted).toBe(false);
      expect(failedAt(r)).toBe(1);
      expect(r.checks[0]!.reason).toContain('does not parse');
    } finally {
      served.tamper = undefined;
    }
  });

  it('fails at step 2 on a tampered inclusion proof, 3 on a tampered checkpoint, 4 without a quorum', async () => {
    const honest = fleetBundleFor(s.log, 'fleet-a')!;
    const b = parseFleetBundle(honest);
    const badProof = formatFleetBundle({
      ...b,
      keyset: {
        ...b.keyset,
        proof: b.keyset.proof.map((h, i) => (i === 0 ? h.map((x, j) => (j === 0 ? x ^ 1 : x)) : h)),
      },
    });
    served.tamper = rewrite('fleet-bundle/fleet-a', () => badProof);
    try {
      const r = await decide();
      expect(failedAt(r)).toBe(2);
      expect(statuses(r)).toBe('1:pass 2:fail 3:skip 4:skip 5:skip 6:skip 7:skip 8:skip');
    } finally {
      served.tamper = undefined;
    }
    const badSig = formatFleetBundle({ ...b, checkpoint: tamperSignatureLine(b.checkpoint, s.keys.origin) });
    expect(failedAt(await decide({ bundleText: badSig }))).toBe(3);
    const noQuorum = formatFleetBundle({
      ...b,
      checkpoint: dropSignatureLines(b.checkpoint, [s.keys.witnesses[0]!.name, s.keys.witnesses[1]!.name]),
    });
    expect(failedAt(await decide({ bundleText: noQuorum }))).toBe(4);
  });

  it('on a scan, fails at step 1 when the entry bundle carries an altered key set', async () => {
    plain.tamper = rewrite(
      (p) => p.startsWith('tile/entries/000'),
      () => {
        const entries = Array.from({ length: s.log.size }, (_, i) => s.log.entry(i));
        entries[4] = new TextEncoder().encode(
          new TextDecoder().decode(entries[4]!).replace('"version":2', '"version":9'),
        );
        return encodeEntryBundle(entries);
      },
    );
    try {
      const r = await decide({ log: plain.url });
      expect(r.source).toBe('scan');
      expect(failedAt(r)).toBe(1);
    } finally {
      plain.tamper = undefined;
    }
  });

  it('fails at step 6 on evidence the pinned HSM vendor did not attest, and at step 8 outside the validity window', async () => {
    const fk = s.fleet;
    const log = new SyntheticLog(s.keys);
    const rogue = deployment(fk, 'fleet-a', { vendor: makeFleetKeys().vendor });
    log.append(rogue.bytes);
    log.append(keyset(fk, 'fleet-a', 1, rogue));
    log.publish();
    const r = await decide({ bundleText: fleetBundleFor(log, 'fleet-a')! });
    expect(failedAt(r)).toBe(6);
    expect(r.checks.find((c) => c.step === 6)!.reason).toContain('attestation');

    const expired = await decide({ now: TEST_NOW + 2 * 365 * 86400 });
    expect(failedAt(expired)).toBe(8);
    expect(expired.checks.find((c) => c.step === 8)!.reason).toContain('expired');
  });

  it('catches a rollback (step 7) and a fork (step 5) against the saved state, with the step-5 proof from tiles', async () => {
    // A client that trusted v2 at the current size...
    const trusted = await decide();
    expect(trusted.trusted).toBe(true);
    // ...is later shown an older checkpoint where fleet-a's latest key set is v1: a consistent prefix, an older version.
    const older = new SyntheticLog(s.keys);
    for (let i = 0; i < 4; i++) older.append(s.log.entry(i));
    older.publish();
    const stale = fleetBundleFor(older, 'fleet-a')!;
    served.tamper = rewrite('fleet-bundle/fleet-a', () => stale);
    try {
      const r = await decide({ state: trusted.state });
      expect(r.trusted).toBe(false);
      expect(statuses(r)).toBe('1:pass 2:pass 3:pass 4:pass 5:pass 6:pass 7:fail 8:skip');
      expect(r.checks.find((c) => c.step === 7)!.reason).toContain('rollback');
      expect(r.state).toBe(trusted.state);
    } finally {
      served.tamper = undefined;
    }

    // The same log key signs a second history in which fleet-a's v2 has different keys.
    const forked = new SyntheticLog(s.keys);
    for (let i = 0; i < 4; i++) forked.append(s.log.entry(i));
    const a = deployment(s.fleet, 'fleet-a');
    forked.append(a.bytes);
    forked.append(keyset(s.fleet, 'fleet-a', 3, a));
    forked.publish();
    current = forked;
    try {
      const r = await decide({ state: trusted.state });
      expect(r.trusted).toBe(false);
      expect(failedAt(r)).toBe(5);
      expect(r.checks.find((c) => c.step === 5)!.reason).toContain('fork');
      expect(r.consistencyProof!.length).toBeGreaterThan(0);
    } finally {
      current = s.log;
    }

    // Offline, with a state at another size, step 5 has no proof to check and says how to get one.
    s.log.append(enc('padding'));
    s.log.publish();
    const offline = await decide({ state: trusted.state, bundleText: fleetBundleFor(s.log, 'fleet-a')! });
    expect(failedAt(offline)).toBe(5);
    expect(offline.checks.find((c) => c.step === 5)!.reason).toContain('pass --log');
    // With --log as well, the proof comes from the tiles and the decision goes through.
    const online = await decide({
      state: trusted.state,
      bundleText: fleetBundleFor(s.log, 'fleet-a')!,
      log: served.url,
    });
    expect(online.trusted).toBe(true);
    expect(online.checks.find((c) => c.step === 5)!.reason).toContain('grew');
  });
});
