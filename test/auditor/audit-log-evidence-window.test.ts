// `audit log` keeps only a window of recent evidence entries in its state; older evidence a key set
// references is located through the log (its lookup by leaf hash, authenticated) or by a scan of
// the earlier entry bundles (authenticated by the audited tree). The state does not grow with the
// number of evidence entries, F2 reaches the same verdicts as before, and a log that lies fails.
import { describe, expect, it } from 'vitest';
import { auditLog, type AuditLogOptions, type AuditLogResult } from '../../auditor-cli/log-audit/audit-log.ts';
import { EVIDENCE_WINDOW } from '../../auditor-cli/log-audit/evidence-window.ts';
import { MAX_EVIDENCE_ONLY_FLEETS } from '../../auditor-cli/log-audit/fleet-history.ts';
import {
  type LogAuditState,
  parseLogAuditState,
  serializeLogAuditState,
} from '../../auditor-cli/log-audit/log-state.ts';
import { toBase64, toHex } from '../../core/bytes.ts';
import { decodeEntry, encodeEntry } from '../../core/entries/entry.ts';
import { decodeEntryBundle, encodeEntryBundle } from '../../core/entry-bundle.ts';
import { type Deployment, deployment, type FleetKeys, keyset } from './support/fleet-fixtures.ts';
import { type Handler, type Reply, rewrite, type Served, serveLog } from './support/log-http.ts';
import { fleetScenario, type Scenario } from './support/scenario.ts';
import type { SyntheticLog } from './support/synthetic-log.ts';

type Lookup = 'none' | 'honest' | 'wrong-index';

/**
 * fleetlog's GET /proof/inclusion?leaf=&size= over a SyntheticLog: the first index with that leaf
 * hash and its proof. 'wrong-index' names the next index instead, with a valid proof for that one.
 */
function lookupRoute(log: () => SyntheticLog, lookup: Lookup): Handler {
  return (path, query) => {
    if (lookup === 'none' || path !== 'proof/inclusion') return undefined;
    const l = log();
    const size = Number(query.get('size') ?? l.size);
    const leaf = query.get('leaf') ?? '';
    let index = -1;
    for (let i = 0; i < size && index < 0; i++) if (toHex(l.leafHash(i)) === leaf) index = i;
    if (index < 0) return { status: 404, body: '{"code":"not_found"}' } satisfies Reply;
    if (lookup === 'wrong-index') index = (index + 1) % size;
    const body = {
      index,
      size,
      leafHash: toHex(l.leafHash(index)),
      proof: l.inclusionProof(index, size).map((h) => toBase64(h)),
    };
    return { status: 200, body: JSON.stringify(body), contentType: 'application/json' };
  };
}

function serve(s: Scenario, lookup: Lookup): Promise<Served> {
  return serveLog(
    () => s.log,
    lookupRoute(() => s.log, lookup),
  );
}

async function run(s: Scenario, url: string, state?: LogAuditState, extra: Partial<AuditLogOptions> = {}) {
  const r = await auditLog({
    log: url,
    policy: s.policy,
    policyText: s.policyText,
    workers: 0,
    retries: 0,
    timeoutMs: 30_000, // generous: the machine is shared, and a run fetches thousands of entries
    ...(state ? { state } : {}),
    ...extra,
  });
  // Every state goes through the file format, as between two runs of the CLI.
  return { r, state: r.state ? parseLogAuditState(serializeLogAuditState(r.state)) : undefined };
}

/** `n` distinct evidence entries, each for its own (junk) fleet id. */
function junkEvidence(fleet: FleetKeys, from: number, n: number): Uint8Array[] {
  const one = decodeEntry(deployment(fleet, 'junk', { hsms: 1 }).bytes);
  if (one.type !== 'fleetlog/deployment-evidence/v1') throw new Error('not evidence');
  return Array.from({ length: n }, (_, k) =>
    encodeEntry({ ...one, fleetId: `junk-${from + k}`, ceremony: { ...one.ceremony, id: `c-${from + k}` } }),
  );
}

/** `from` replaced by `to` (same length) everywhere in a binary body. */
function replaceBytes(body: Uint8Array, from: string, to: string): Uint8Array {
  const out = Buffer.from(body);
  const a = Buffer.from(from);
  for (let at = out.indexOf(a); at >= 0; at = out.indexOf(a, at + 1)) out.write(to, at);
  return new Uint8Array(out);
}

const f2 = (r: AuditLogResult) => r.checks.find((c) => c.rule === 'F2')!;
const f2At = (r: AuditLogResult) => r.newViolations.filter((v) => v.rule === 'F2').map((v) => v.index);
const keysetEvent = (r: AuditLogResult, fleetId: string) =>
  r.history!.fleets[fleetId]?.events.find((e) => e.kind === 'keyset');
const bundlesFetched = (served: Served) => served.requests.filter((p) => p.startsWith('tile/entries/')).length;

describe('audit log evidence window', () => {
  it('keeps the state the same size after 2,000 or 20,000 evidence entries over four resumed runs', async () => {
    const sizes: Record<number, number> = {};
    for (const n of [2000, 20_000]) {
      const s = fleetScenario();
      const target = deployment(s.fleet, 'fleet-c');
      const targetIndex = s.log.append(target.bytes);
      const served = await serve(s, 'honest');
      try {
        let state: LogAuditState | undefined;
        for (let round = 0; round < 4; round++) {
          s.log.appendAll(junkEvidence(s.fleet, (round * n) / 4, n / 4));
          if (round === 3) s.log.append(keyset(s.fleet, 'fleet-c', 1, target));
          s.log.publish();
          const { r, state: next } = await run(s, served.url, state);
          expect(r.ok).toBe(true);
          state = next;
          if (round === 3) {
            // The key set's evidence is thousands of evidence entries and three runs back.
            expect(f2(r).status).toBe('pass');
            expect(keysetEvent(r, 'fleet-c')).toMatchObject({ evidenceIndex: targetIndex, ok: true });
          }
        }
        const h = state!.history!;
        expect(h.deployments).toBe(n + 3);
        expect(h.evidenceWindow).toHaveLength(EVIDENCE_WINDOW);
        // fleet-a and fleet-b have key sets; fleet-c had none when junk fleets took the other
        // records for fleets without key sets, and the remaining junk fleets are only counted.
        expect(Object.keys(h.fleets)).toHaveLength(2 + MAX_EVIDENCE_ONLY_FLEETS);
        expect(h.untrackedDeployments).toBe(n - (MAX_EVIDENCE_ONLY_FLEETS - 1));
        sizes[n] = serializeLogAuditState(state!).length;
      } finally {
        await served.close();
      }
    }
    console.log(`audit log state size in bytes after N evidence entries: ${JSON.stringify(sizes)}`);
    // Only the digits of the indices and counters differ (v2 grew ~26 bytes per evidence entry).
    expect(Math.abs(sizes[20_000]! - sizes[2000]!)).toBeLessThan(4096);
    expect(sizes[20_000]!).toBeLessThan(64 * 1024);
  }, 300_000);

  for (const lookup of ['honest', 'none', 'wrong-index'] as const) {
    it(`F2 for evidence far back in an earlier run, log lookup: ${lookup}`, async () => {
      const s = fleetScenario();
      const c = deployment(s.fleet, 'fleet-c');
      const cIndex = s.log.append(c.bytes);
      s.log.appendAll(junkEvidence(s.fleet, 0, EVIDENCE_WINDOW + 100));
      s.log.publish();
      const served = await serve(s, lookup);
      try {
        const round1 = await run(s, served.url);
        expect(round1.r.ok).toBe(true);
        s.log.appendAll(junkEvidence(s.fleet, 10_000, 300));
        const absent: Deployment = deployment(s.fleet, 'fleet-x'); // never logged
        const later: Deployment = deployment(s.fleet, 'fleet-l'); // logged only after its key set
        const good = s.log.append(keyset(s.fleet, 'fleet-c', 1, c));
        const noEvidence = s.log.append(keyset(s.fleet, 'fleet-x', 1, absent));
        const tooEarly = s.log.append(keyset(s.fleet, 'fleet-l', 1, later));
        s.log.append(later.bytes);
        s.log.publish();
        const before = bundlesFetched(served);
        const round2 = await run(s, served.url, round1.state);
        expect(keysetEvent(round2.r, 'fleet-c')).toMatchObject({ index: good, evidenceIndex: cIndex, ok: true });
        expect(keysetEvent(round2.r, 'fleet-x')).toMatchObject({ index: noEvidence, ok: false });
        expect(keysetEvent(round2.r, 'fleet-l')).toMatchObject({ index: tooEarly, ok: false });
        expect(f2At(round2.r)).toEqual([noEvidence, tooEarly]);
        expect(round2.r.newKeysets.map((k) => k.ok)).toEqual([true, false, false]);
        expect(round2.r.checks.find((x) => x.rule === 'L3')!.status).toBe('pass');
        // Absent evidence needs the scan: the earlier bundles were fetched again.
        const earlierTiles = Math.floor(round1.r.size! / 256);
        expect(bundlesFetched(served) - before).toBeGreaterThanOrEqual(earlierTiles);
        // A run from scratch reaches the same verdicts.
        const full = await run(s, served.url);
        expect(f2At(full.r)).toEqual([noEvidence, tooEarly]);
        expect(full.state!.history).toEqual(round2.state!.history);

        // A key set alone whose evidence is far back: an honest lookup spares the scan.
        const v2 = s.log.append(keyset(s.fleet, 'fleet-c', 2, c));
        s.log.publish();
        const before3 = bundlesFetched(served);
        const round3 = await run(s, served.url, round2.state);
        expect(round3.r.newKeysets).toEqual([{ index: v2, fleetId: 'fleet-c', version: 2, keys: 3, ok: true }]);
        const fetched = bundlesFetched(served) - before3;
        if (lookup === 'honest')
          expect(fetched).toBeLessThanOrEqual(2); // the new tile and the evidence's
        else expect(fetched).toBeGreaterThan(earlierTiles);
      } finally {
        await served.close();
      }
    }, 120_000);
  }

  it('fails the tree check when the log serves other bytes where the far-back evidence was', async () => {
    for (const lookup of ['honest', 'none'] as const) {
      const s = fleetScenario();
      const c = deployment(s.fleet, 'fleet-c');
      s.log.append(c.bytes);
      s.log.appendAll(junkEvidence(s.fleet, 0, EVIDENCE_WINDOW + 100));
      s.log.publish();
      const served = await serve(s, lookup);
      try {
        const round1 = await run(s, served.url);
        s.log.append(keyset(s.fleet, 'fleet-c', 1, c));
        s.log.publish();
        // The evidence at index 5 now has another fleet id: its leaf hash no longer matches, and
        // the bundle no longer hashes to the tiles audited in round 1.
        served.tamper = rewrite('tile/entries/000', (b) => replaceBytes(b, '"fleet-c"', '"fleet-q"'));
        const r = await run(s, served.url, round1.state);
        expect(r.r.ok).toBe(false);
        expect(r.r.checks.find((x) => x.rule === 'L3')).toMatchObject({ status: 'fail' });
        expect(r.r.checks.find((x) => x.rule === 'L3')!.reason).toMatch(/no longer those audited/);
        expect(r.state).toBeUndefined();
      } finally {
        await served.close();
      }
    }
  }, 120_000);

  it('fails closed when the lookup names an earlier index and the refetched bundle puts the evidence there', async () => {
    const s = fleetScenario();
    s.log.appendAll(junkEvidence(s.fleet, 0, EVIDENCE_WINDOW + 100));
    s.log.publish();
    const later = deployment(s.fleet, 'fleet-l');
    const served = await serveLog(
      () => s.log,
      (path, query) =>
        path === 'proof/inclusion' && query.get('leaf') === later.leafHash
          ? {
              status: 200,
              body: JSON.stringify({ index: 7, size: s.log.size, proof: s.log.inclusionProof(7).map(toBase64) }),
            }
          : undefined,
    );
    try {
      const round1 = await run(s, served.url);
      const ks = s.log.append(keyset(s.fleet, 'fleet-l', 1, later));
      s.log.append(later.bytes);
      s.log.publish();
      // A lying log: its lookup says the evidence is at 7, and the bundle fetched again agrees.
      served.tamper = rewrite('tile/entries/000', (b) => {
        const entries = decodeEntryBundle(b, 256);
        entries[7] = later.bytes;
        return encodeEntryBundle(entries);
      });
      const r = await run(s, served.url, round1.state);
      expect(r.r.ok).toBe(false);
      expect(f2(r.r)).toBeUndefined(); // no verdict on the rules of a tree that did not verify
      expect(r.r.checks.find((x) => x.rule === 'L3')).toMatchObject({ status: 'fail' });
      expect(r.state).toBeUndefined();
      expect(ks).toBeGreaterThan(7);
    } finally {
      await served.close();
    }
  }, 120_000);

  it('keeps a key set waiting for the scan in the progress file when interrupted, and settles it on resume', async () => {
    const s = fleetScenario();
    const c = deployment(s.fleet, 'fleet-c');
    const cIndex = s.log.append(c.bytes);
    s.log.appendAll(junkEvidence(s.fleet, 0, EVIDENCE_WINDOW + 100));
    s.log.publish();
    const served = await serve(s, 'none');
    try {
      const round1 = await run(s, served.url);
      const ks = s.log.append(keyset(s.fleet, 'fleet-c', 1, c));
      while (s.log.size % 256 !== 0) s.log.append(new TextEncoder().encode(`pad ${s.log.size}`));
      s.log.publish();
      // Interrupt at the scan: the first refetch of an earlier bundle aborts the run.
      const stop = new AbortController();
      const partials: Array<NonNullable<AuditLogOptions['partial']>> = [];
      let fetchedNew = false;
      served.tamper = (path) => {
        if (path === `tile/entries/${String(Math.floor(ks / 256)).padStart(3, '0')}`) fetchedNew = true;
        else if (fetchedNew && path === 'tile/entries/000') stop.abort();
        return undefined;
      };
      await expect(
        run(s, served.url, round1.state, { signal: stop.signal, onPartial: (p) => partials.push(p) }),
      ).rejects.toThrow(/interrupted/);
      const saved = partials.at(-1)!;
      expect(saved.history!.pending).toEqual([expect.objectContaining({ index: ks, evidence: c.leafHash })]);
      served.tamper = undefined;
      const resumed = await run(s, served.url, round1.state, { partial: saved });
      expect(resumed.r.resumedFrom).toBe(s.log.size);
      expect(f2(resumed.r).status).toBe('pass');
      expect(keysetEvent(resumed.r, 'fleet-c')).toMatchObject({ evidenceIndex: cIndex, ok: true });
      expect(resumed.state!.history!.pending).toBeUndefined();
    } finally {
      await served.close();
    }
  }, 120_000);
});
