// End to end against fleetlog's own log-server (in process, real HTTP): entries go in through
// POST /add-entry, and the auditor checks the result knowing nothing but the log's URL and policy.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_STATE } from '../../core/audit/client-state.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { auditFleet } from '../../auditor-cli/fleet-audit.ts';
import { exportProof } from '../../auditor-cli/export-proof.ts';
import { auditLog } from '../../auditor-cli/log-audit/audit-log.ts';
import { monitorOnce } from '../../auditor-cli/monitor.ts';
import { auditProof } from '../../auditor-cli/proof-audit.ts';
import * as logs from '../../log-server/index.ts';
import { silentLogger } from '../../service/logger.ts';
import * as witnesses from '../../witness/index.ts';
import { tempDir } from '../support/process.ts';
import { deployment, keyset, makeFleetKeys, TEST_NOW } from './support/fleet-fixtures.ts';

describe("fleetlog's log-server, audited end to end", () => {
  const fleet = makeFleetKeys();
  const origin = 'e2e.test/fleetlog';
  let server: { url: string; close(): Promise<void> };
  let policyText = '';
  let token = '';
  const b = deployment(fleet, 'fleet-b');

  async function add(entry: Uint8Array): Promise<void> {
    const res = await fetch(`${server.url}/add-entry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from(entry),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.arrayBuffer();
  }

  beforeAll(async () => {
    const dataDir = join(tempDir('fleetlog-auditor-e2e-'), 'log');
    const { vkey } = await logs.initLog({ dataDir, origin });
    token = await logs.addToken({ dataDir, name: 'auditor-e2e' });
    policyText = [
      `log ${vkey}`,
      'quorum none',
      `fleetlog publisher ${fleet.publisher.vkey}`,
      `fleetlog countersigner ${fleet.countersigner.vkey}`,
      `fleetlog hsm-vendor ${fleet.vendor.vkey}`,
      '',
    ].join('\n');
    server = await logs.startLogServer({ dataDir, policyText, batchMaxWaitMs: 1, logger: silentLogger });
    const a = deployment(fleet, 'fleet-a');
    await add(a.bytes);
    await add(keyset(fleet, 'fleet-a', 1, a));
    await add(b.bytes);
    await add(keyset(fleet, 'fleet-b', 1, b));
    await add(keyset(fleet, 'fleet-a', 2, a));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('passes a full audit log, a fleet trust decision, an exported proof and a monitor round', async () => {
    const policy = parsePolicy(policyText);
    const audit = await auditLog({ log: server.url, policy, policyText, workers: 0 });
    expect(audit.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(audit.size).toBe(5);
    expect(audit.history!.fleets['fleet-a']!.version).toBe(2);

    const decision = await auditFleet({
      policy,
      log: server.url,
      fleetId: 'fleet-a',
      state: EMPTY_STATE,
      now: TEST_NOW,
    });
    expect(decision.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(decision.source).toBe('fleet-bundle');
    expect(decision.keyset!.version).toBe(2);

    const exported = await exportProof({ log: server.url, index: 3, policy });
    const proof = await auditProof({ text: exported.text!, policy, now: TEST_NOW });
    expect(proof.checks.filter((c) => c.status !== 'pass')).toEqual([]);

    const quiet = await monitorOnce({
      log: server.url,
      policy,
      policyText,
      witnesses: [],
      maxAgeSeconds: 3600,
      state: audit.state!,
      workers: 0,
    });
    expect(quiet.alerts).toEqual([]);
    await add(keyset(fleet, 'fleet-b', 2, b));
    const round = await monitorOnce({
      log: server.url,
      policy,
      policyText,
      witnesses: [],
      maxAgeSeconds: 3600,
      state: quiet.state!,
      workers: 0,
    });
    expect(round.alerts.map((x) => x.message)).toEqual([
      expect.stringContaining('new key set for fleet fleet-b: version 2'),
    ]);
  });
});

describe("fleetlog's log-server cosigned by fleetlog's witness, monitored", () => {
  const fleet = makeFleetKeys();
  const origin = 'e2e.test/witnessed';
  let log: { url: string; close(): Promise<void> };
  let witness: { url: string; close(): Promise<void> };
  let policyText = '';

  beforeAll(async () => {
    const dir = tempDir('fleetlog-auditor-witnessed-');
    const { vkey } = await logs.initLog({ dataDir: join(dir, 'log'), origin });
    const token = await logs.addToken({ dataDir: join(dir, 'log'), name: 'e2e' });
    const w = await witnesses.initWitness({ dataDir: join(dir, 'witness'), name: 'witness.e2e/w1' });
    witnesses.addLog({ dataDir: join(dir, 'witness'), origin, vkey });
    witness = await witnesses.startWitness({ dataDir: join(dir, 'witness'), logger: silentLogger, threads: 0 });
    policyText = [
      `log ${vkey}`,
      `witness w1 ${w.vkey} ${witness.url}`,
      'quorum w1',
      `fleetlog publisher ${fleet.publisher.vkey}`,
      `fleetlog countersigner ${fleet.countersigner.vkey}`,
      `fleetlog hsm-vendor ${fleet.vendor.vkey}`,
      '',
    ].join('\n');
    log = await logs.startLogServer({
      dataDir: join(dir, 'log'),
      policyText,
      batchMaxWaitMs: 1,
      logger: silentLogger,
    });
    const a = deployment(fleet, 'fleet-a');
    for (const entry of [a.bytes, keyset(fleet, 'fleet-a', 1, a)]) {
      const res = await fetch(`${log.url}/add-entry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: Buffer.from(entry),
      });
      expect(res.status, await res.text()).toBe(200);
    }
    // /checkpoint serves only checkpoints that met the quorum: wait for the witness's cosignature.
    for (let i = 0; i < 100; i++) {
      const text = await (await fetch(`${log.url}/checkpoint`)).text();
      if (text.split('\n')[1] === '2') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await log?.close();
    await witness?.close();
  });

  it('audits the witnessed log and finds the witness in agreement', async () => {
    const policy = parsePolicy(policyText);
    const audit = await auditLog({ log: log.url, policy, policyText, workers: 0 });
    expect(audit.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(audit.size).toBe(2);
    const round = await monitorOnce({
      log: log.url,
      policy,
      policyText,
      witnesses: [`w1=${witness.url}`],
      maxAgeSeconds: 3600,
      workers: 0,
    });
    expect(round.alerts.map((a) => a.kind)).toEqual(['new_keyset']);
    expect(round.warnings).toEqual([]);
    expect(round.witnesses[0]).toMatchObject({ size: 2, relation: 'same' });
  });
});
