// The `audit log` state across rounds: a resumed audit reaches the verdicts of a full one even when
// a key set references evidence audited in an earlier round (the state's window keeps its index and
// a hash prefix, and the entry is fetched back), and the state does not grow with the log.
import { describe, expect, it } from 'vitest';
import { auditLog, type AuditLogOptions, type AuditLogResult } from '../../auditor-cli/log-audit/audit-log.ts';
import {
  LOG_AUDIT_STATE_FORMAT,
  parseLogAuditState,
  serializeLogAuditState,
} from '../../auditor-cli/log-audit/log-state.ts';
import { decodeEntry, encodeEntry } from '../../core/entries/entry.ts';
import { isFleetlogError } from '../../core/errors.ts';
import { deployment, keyset } from './support/fleet-fixtures.ts';
import { rewrite } from './support/log-http.ts';
import { enc, fleetScenario, serveScenario, type Scenario } from './support/scenario.ts';

async function run(s: Scenario, url: string, extra: Partial<AuditLogOptions> = {}): Promise<AuditLogResult> {
  return auditLog({
    log: url,
    policy: s.policy,
    policyText: s.policyText,
    workers: 0,
    retries: 0,
    timeoutMs: 20_000, // generous: the machine is shared
    ...extra,
  });
}

/** The verdict of every rule (L2 and L3 are left out: their reasons name what this run fetched). */
const verdicts = (r: AuditLogResult) =>
  r.checks
    .filter((c) => c.rule !== 'L2' && c.rule !== 'L3')
    .map((c) => ({ rule: c.rule, status: c.status, reason: c.reason }));

describe('audit log state across rounds', () => {
  it('a resumed audit reaches the verdicts of a full one when a key set references evidence of an earlier round', async () => {
    const s = fleetScenario();
    const { fleet, log } = s;
    // Round 1: evidence for fleets c, d (bad vendor) and e, one key set referencing nothing yet.
    const c = deployment(fleet, 'fleet-c');
    const d = deployment(fleet, 'fleet-d', { vendor: fleet.publisher });
    const e = deployment(fleet, 'fleet-e', { hsms: 1 });
    log.append(c.bytes);
    log.append(d.bytes);
    log.append(e.bytes);
    log.append(e.bytes); // the same evidence twice: the first one counts
    log.publish();
    const served = await serveScenario(() => log);
    try {
      const round1 = await run(s, served.url);
      expect(round1.ok).toBe(true);
      const saved = parseLogAuditState(serializeLogAuditState(round1.state!));
      // Round 2: key sets whose evidence is all in round 1.
      log.append(keyset(fleet, 'fleet-c', 1, c)); // valid
      log.append(keyset(fleet, 'fleet-d', 1, d)); // F2: its evidence does not verify
      log.append(keyset(fleet, 'fleet-e', 1, c)); // F2: evidence of another fleet, keys not attested
      log.append(keyset(fleet, 'fleet-c', 2, e)); // F2: keys of fleet-e's evidence... and F3 passes
      log.append(keyset(fleet, 'fleet-e', 2, e, { keys: c.fleetKeys })); // F4 and F2
      log.append(keyset(fleet, 'fleet-a', 3, c)); // F2 and F4
      for (let i = 0; i < 300; i++) log.append(enc(`filler ${i}`)); // crosses a tile boundary
      log.append(keyset(fleet, 'fleet-e', 3, e)); // valid, evidence two tiles back
      log.publish();
      const resumed = await run(s, served.url, { state: saved });
      const full = await run(s, served.url);
      expect(resumed.previousSize).toBe(round1.size);
      expect(full.previousSize).toBe(0);
      expect(full.ok).toBe(false);
      expect(verdicts(resumed)).toEqual(verdicts(full));
      expect(resumed.checks.filter((x) => x.status === 'fail').map((x) => x.rule)).toEqual(['L4', 'F2', 'F4']);
      // The same saved history, whichever way it was reached: the next round starts identically.
      expect(resumed.state!.history).toEqual(full.state!.history);
      const event = (r: AuditLogResult, fleetId: string, v: number) =>
        r.history!.fleets[fleetId]!.events.find((x) => x.kind === 'keyset' && x.version === v);
      // fleet-c v1 relies on evidence of round 1 that verifies; fleet-e v3 on the first of two copies.
      expect(event(resumed, 'fleet-c', 1)).toMatchObject({ evidenceIndex: 5, ok: true });
      expect(event(resumed, 'fleet-e', 3)).toMatchObject({ evidenceIndex: round1.size! - 2 });
      expect(resumed.newKeysets).toEqual(full.newKeysets.filter((k) => k.index >= round1.size!));
    } finally {
      await served.close();
    }
  });

  it('fails the tree check when the log now serves other bytes where the referenced evidence was', async () => {
    const s = fleetScenario();
    const { fleet, log } = s;
    const c = deployment(fleet, 'fleet-c');
    for (let i = 0; i < 256; i++) log.append(i === 100 ? c.bytes : enc(`filler ${i}`));
    log.publish();
    const served = await serveScenario(() => log);
    try {
      const round1 = await run(s, served.url);
      log.append(keyset(fleet, 'fleet-c', 1, c));
      log.publish();
      // The full tile 0/000 is not re-fetched by a resumed run: only the evidence lookup sees it.
      served.tamper = rewrite('tile/entries/000', (b) => new TextDecoder().decode(b).replace('fleet-c', 'fleet-x'));
      const r = await run(s, served.url, { state: round1.state! });
      expect(r.ok).toBe(false);
      expect(r.checks.find((x) => x.rule === 'L3')!.reason).toMatch(/no longer the deployment evidence|malformed/);
      expect(r.state).toBeUndefined();
    } finally {
      await served.close();
    }
  });

  it('keeps the state the same size after 1,000 or 4,000 plain or evidence entries', async () => {
    const sizes: Record<string, number> = {};
    for (const kind of ['plain', 'evidence'] as const) {
      for (const n of [1000, 4000]) {
        const s = fleetScenario();
        const one = decodeEntry(deployment(s.fleet, 'fleet-z', { hsms: 1 }).bytes);
        if (one.type !== 'fleetlog/deployment-evidence/v1') throw new Error('not evidence');
        for (let i = 0; i < n; i++) {
          // Distinct evidence entries (the ceremony id differs), or entries that are not fleetlog's.
          s.log.append(
            kind === 'evidence'
              ? encodeEntry({ ...one, ceremony: { ...one.ceremony, id: `c-${i}` } })
              : enc(`plain ${i}`),
          );
        }
        s.log.publish();
        const served = await serveScenario(() => s.log);
        try {
          const r = await run(s, served.url);
          expect(r.history!.entries).toBe(5 + n);
          sizes[`${kind} ${n}`] = serializeLogAuditState(r.state!).length;
        } finally {
          await served.close();
        }
      }
    }
    console.log(`audit log state size in bytes: ${JSON.stringify(sizes)}`);
    // Plain entries: only counters and the frontier change (the first 200 violations are kept).
    expect(Math.abs(sizes['plain 4000']! - sizes['plain 1000']!)).toBeLessThan(200);
    // Evidence: a window of the last 1,024 (v1 kept ~470 bytes per entry, v2 ~26): 1,000 fill it
    // almost, and the rest is the digits of the indices.
    expect(Math.abs(sizes['evidence 4000']! - sizes['evidence 1000']!)).toBeLessThan(4096);
  }, 60_000);

  it('migrates a v2 state file: the last 1,024 evidence entries, 64 fleets without key sets', () => {
    const size = 5000;
    const evidenceAt: Record<string, number[]> = {};
    for (let i = 0; i < 1100; i++) evidenceAt[(i * 7919).toString(16).padStart(16, '0')] = [i * 2];
    const fleets: Record<string, unknown> = {
      withKeys: { keysets: 1, deployments: 1, firstIndex: 0, version: 1, maxVersion: 1, events: [] },
    };
    for (let i = 0; i < 70; i++) fleets[`junk-${i}`] = { keysets: 0, deployments: 2, firstIndex: 10 + i, events: [] };
    const v2 = {
      format: 'fleetlog-log-audit-state/v2',
      checkpoint: { origin: 'o', size, rootHash: '00'.repeat(32) },
      frontier: Array.from({ length: 5 }, (_, i) => String(i).repeat(64)),
      fleetRules: true,
      runs: 3,
      lastRun: 'x',
      history: {
        fleets,
        evidenceAt,
        keyOwners: {},
        violations: [],
        violationCounts: {},
        warnings: [],
        warningCount: 0,
        entries: size,
        keysets: 1,
        deployments: 141,
      },
    };
    const h = parseLogAuditState(JSON.stringify(v2)).history!;
    expect(h.evidenceWindow).toHaveLength(1024);
    expect(h.evidenceWindow[0]![1]).toBe(76 * 2);
    expect(h.evidenceWindow.at(-1)![1]).toBe(1099 * 2);
    expect(Object.keys(h.fleets)).toHaveLength(1 + 64);
    expect(h.fleets['junk-63']).toBeDefined();
    expect(h.fleets['junk-64']).toBeUndefined();
    expect(h.untrackedDeployments).toBe(6 * 2);
    // Saved again, it is a v3 file that reads back the same.
    const again = parseLogAuditState(serializeLogAuditState(parseLogAuditState(JSON.stringify(v2))));
    expect(again.history).toEqual(h);
  });

  it('migrates a v1 state file and refuses malformed histories with one line', () => {
    const v1 = {
      format: 'fleetlog-log-audit-state/v1',
      checkpoint: { origin: 'o', size: 100, rootHash: '00'.repeat(32) },
      frontier: ['11'.repeat(32), '22'.repeat(32), '33'.repeat(32)],
      fleetRules: true,
      runs: 1,
      lastRun: 'x',
      history: {
        fleets: { f: { keysets: 0, deployments: 1, firstIndex: 1, events: [{ index: 1, kind: 'deployment' }] } },
        evidence: { ['ab'.repeat(32)]: { index: 1, fleetId: 'f', ok: true, hsms: [{ id: 'h', keys: [] }] } },
        keyOwners: {},
        violations: [],
        violationCounts: {},
        entries: 3,
        keysets: 0,
        deployments: 1,
      },
    };
    const migrated = parseLogAuditState(JSON.stringify(v1));
    expect(migrated.history!.evidenceWindow).toEqual([['abababababababab', 1]]);
    expect(migrated.history!.fleets.f!.events).toEqual([]);
    expect(serializeLogAuditState(migrated)).toContain(LOG_AUDIT_STATE_FORMAT);
    const bad = (history: unknown) => () =>
      parseLogAuditState(JSON.stringify({ ...v1, format: LOG_AUDIT_STATE_FORMAT, history }));
    const v2 = migrated.history!;
    for (const h of [
      { ...v2, evidenceWindow: [['abababababababab', 100]] }, // beyond the tree
      { ...v2, evidenceWindow: [['abab', 1]] },
      { ...v2, evidenceWindow: [['abababababababab', 1, 2]] },
      {
        ...v2,
        evidenceWindow: [
          ['abababababababab', 1],
          ['abababababababab', 1],
        ],
      },
      { ...v2, evidenceWindow: Array.from({ length: 1025 }, (_, i) => ['abababababababab', i]) },
      { ...v2, untrackedDeployments: undefined },
      { ...v2, pending: [{ index: 100, fleetId: 'f', version: 1, evidence: 'ab'.repeat(32), keys: [] }] },
      { ...v2, violations: [{ index: 1, rule: 'X9', message: 'm' }] },
      { ...v2, fleets: { f: { ...v2.fleets.f, events: [{ index: 1, kind: 'deployment' }] } } },
      // More events than a fleet keeps: 20 with key sets, 4 without.
      ...[
        [1, 21],
        [0, 5],
      ].map(([keysets, length]) => ({
        ...v2,
        fleets: {
          f: {
            ...v2.fleets.f,
            keysets,
            events: Array.from({ length: length! }, (_, i) => ({
              index: i,
              kind: 'keyset',
              version: i,
              keys: 1,
              notBefore: 0,
              notAfter: 1,
              ok: true,
            })),
          },
        },
      })),
      { ...v2, entries: -1 },
      [],
    ]) {
      let caught: unknown;
      try {
        bad(h)();
      } catch (e) {
        caught = e;
      }
      expect(isFleetlogError(caught, 'io') && (caught as Error).message).toBe(
        'audit state file has a malformed fleet history',
      );
    }
  });
});
