// The `fleetlog audit …` commands as a user runs them: exit codes (0 verified, 1 failed, 2 could not
// check), human output naming each spec step, --json, and state files.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseState } from '../../core/audit/client-state.ts';
import { parseLogAuditState } from '../../auditor-cli/log-audit/log-state.ts';
import { runFleetlog, tempDir } from '../support/process.ts';
import { deployment, fleetBundleFor, TEST_NOW } from './support/fleet-fixtures.ts';
import { rewrite, type Served } from './support/log-http.ts';
import { fleetScenario, flipBit, serveScenario } from './support/scenario.ts';
import { SyntheticLog } from './support/synthetic-log.ts';

describe('fleetlog audit (CLI)', () => {
  const s = fleetScenario();
  // More deployments, so the tree has full tiles and an upper level.
  for (let i = 0; i < 300; i++) s.log.append(deployment(s.fleet, `pad-${i}`, { hsms: 1 }).bytes);
  s.log.publish();
  const dir = tempDir('fleetlog-audit-cli-');
  const policy = join(dir, 'policy');
  writeFileSync(policy, s.policyText);
  let served: Served;
  beforeAll(async () => {
    served = await serveScenario(() => s.log, { fleetBundles: true });
  });
  afterAll(() => served.close());

  it('audit log: exit 0 with every step named, a state file, a timeline and no progress bar on a pipe; exit 1 on a tampered tile', async () => {
    const state = join(dir, 'log-state.json');
    const ok = await runFleetlog(['audit', 'log', '--log', served.url, '--policy', policy, '--state', state]);
    expect(ok.code, ok.stderr).toBe(0);
    for (const line of [
      'step 3  PASS',
      'step 4  PASS',
      'step 5  PASS',
      'step 2  PASS',
      'step 1  PASS',
      'step 6  PASS',
      'step 7  PASS',
      'step 8  PASS',
      '[L3]',
      '[F4]',
      'timeline (log order)',
      'fleet-a  key set v2',
      'VERIFIED',
    ])
      expect(ok.stdout).toContain(line);
    expect(ok.stderr).toBe('');
    expect(parseLogAuditState(readFileSync(state, 'utf8')).checkpoint.size).toBe(s.log.size);

    served.tamper = rewrite(
      (p) => p.startsWith('tile/0/001'),
      (b) => flipBit(b, 64),
    );
    try {
      const bad = await runFleetlog(['audit', 'log', '--log', served.url, '--policy', policy, '--json']);
      expect(bad.code).toBe(1);
      const json = JSON.parse(bad.stdout) as { ok: boolean; checks: Array<{ step?: number; status: string }> };
      expect(json.ok).toBe(false);
      expect(json.checks.find((c) => c.status === 'fail')!.step).toBe(2);
    } finally {
      served.tamper = undefined;
    }
  });

  it('exit 2 when the log cannot be reached', async () => {
    const down = await runFleetlog([
      'audit',
      'checkpoint',
      '--log',
      'http://127.0.0.1:9/',
      '--policy',
      policy,
      '--retries',
      '0',
      '--timeout',
      '2',
    ]);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/network/);
  });

  it('audit fleet: TRUSTED and state saved, then exit 1 at step 7 when the log rolls the key set back', async () => {
    const state = join(dir, 'client-state.json');
    const ok = await runFleetlog([
      'audit',
      'fleet',
      '--log',
      served.url,
      '--policy',
      policy,
      '--fleet',
      'fleet-a',
      '--state',
      state,
      '--now',
      String(TEST_NOW),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('TRUSTED: fleet fleet-a key set v2');
    expect(parseState(readFileSync(state, 'utf8')).fleets['fleet-a']!.version).toBe(2);

    const older = new SyntheticLog(s.keys);
    for (let i = 0; i < 2; i++) older.append(s.log.entry(i));
    older.publish();
    const stale = fleetBundleFor(older, 'fleet-a')!;
    served.tamper = rewrite('fleet-bundle/fleet-a', () => stale);
    try {
      const back = await runFleetlog([
        'audit',
        'fleet',
        '--log',
        served.url,
        '--policy',
        policy,
        '--fleet',
        'fleet-a',
        '--state',
        state,
        '--now',
        String(TEST_NOW),
      ]);
      expect(back.code).toBe(1);
      expect(back.stdout).toContain('step 7  FAIL');
      expect(back.stdout).toContain('NOT TRUSTED');
    } finally {
      served.tamper = undefined;
    }
    // The failed run did not overwrite the state.
    expect(parseState(readFileSync(state, 'utf8')).fleets['fleet-a']!.version).toBe(2);
  });

  it('export-proof writes a tlog-proof that audit proof verifies offline; inclusion and consistency print their proof paths', async () => {
    const file = join(dir, 'entry.tlog-proof');
    const logState = join(dir, 'log-state.json');
    expect(existsSync(logState)).toBe(true);
    s.log.append(deployment(s.fleet, 'one-more').bytes);
    s.log.publish();
    const [exported, inc, cons] = await Promise.all([
      runFleetlog(['audit', 'export-proof', '--log', served.url, '--index', '4', '--policy', policy, '--out', file]),
      runFleetlog(['audit', 'inclusion', '--log', served.url, '--policy', policy, '--index', '300']),
      runFleetlog(['audit', 'consistency', '--log', served.url, '--policy', policy, '--state', logState, '--json']),
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^c2sp.org\/tlog-proof@v1\nextra /);
    const checked = await runFleetlog(['audit', 'proof', file, '--policy', policy, '--now', String(TEST_NOW)]);
    expect(checked.code, checked.stdout).toBe(0);
    expect(checked.stdout).toContain('step 2  PASS');

    expect(inc.code, inc.stderr).toBe(0);
    expect(inc.stdout).toMatch(/inclusion proof path, computed from tiles \(\d+ hashes/);
    expect(inc.stdout).toContain('from tile/');

    expect(cons.code, cons.stderr).toBe(0);
    const json = JSON.parse(cons.stdout) as { ok: boolean; proof: unknown[] };
    expect(json.ok).toBe(true);
    expect(json.proof.length).toBeGreaterThan(0);
  });

  it('audit monitor --once: exit 1 and the hook runs when a new key set needs review', async () => {
    const out = join(dir, 'hook-out');
    const r = await runFleetlog([
      'audit',
      'monitor',
      '--log',
      served.url,
      '--policy',
      policy,
      '--once',
      '--hook',
      `cat >> ${out}`,
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('ALERT new_keyset');
    expect(readFileSync(out, 'utf8')).toContain('"kind":"new_keyset"');
  });
});
