// The simulator's commands as a user runs them: `fleetlog demo` (the README's main job),
// `fleetlog sim run --processes` (HSMs as separate processes) and `fleetlog sim scenario --list`.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFleetlog, tempDir } from '../support/process.ts';

describe('fleetlog demo', () => {
  it('runs the whole system on localhost, reports each step, keeps --data, exits 0', async () => {
    const data = join(tempDir('fleetlog-demo-test-'), 'data');
    const r = await runFleetlog(['demo', '--data', data], { timeoutMs: 90_000 });
    expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout}`).toBe(0);
    for (const heading of [
      'Start a log-server and three witnesses',
      'Deploy fleet A',
      'Register and recover a backup',
      'Rotate to fleet B',
      'Audit the log',
      'Summary',
    ]) {
      expect(r.stdout).toContain(heading);
    }
    expect(r.stdout).toMatch(/recovered the backup key via fleet-a-hsm-/);
    expect(r.stdout).toMatch(/backup moved: recovered the same key from fleet B/);
    expect(r.stdout).toMatch(/log audit passed/);
    expect(r.stdout).not.toContain('✗');
    expect(r.stdout).toMatch(/demo OK/);
    expect(existsSync(join(data, 'log', 'log.db'))).toBe(true);
    expect(readdirSync(join(data, 'fleets', 'fleet-a')).filter((f) => f.endsWith('.db'))).toHaveLength(5);
    // Two parties with separate key directories, exchanging files; the policy is kept.
    expect(r.stdout).toMatch(/countersigner: reviewed keyset-fleet-a-v1\.signed\.json .*all passed/);
    expect(readdirSync(join(data, 'publisher')).sort()).toEqual(
      expect.arrayContaining([
        'publisher.key',
        'evidence-fleet-a-v1.json',
        'keyset-fleet-a-v1.json',
        'fleet-a-v1.bundle',
      ]),
    );
    expect(readdirSync(join(data, 'publisher'))).not.toContain('countersigner.key');
    expect(readdirSync(join(data, 'countersigner'))).toContain('countersigner.key');
    expect(readdirSync(join(data, 'countersigner'))).not.toContain('publisher.key');
    expect(existsSync(join(data, 'policy.txt'))).toBe(true);
    // It ends with commands to run next; the offline one works as printed.
    expect(r.stdout).toContain('Next: try it yourself');
    const proof = /fleetlog (audit proof \S+ --policy \S+)/.exec(r.stdout)![1]!.split(' ');
    const verified = await runFleetlog(proof);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/VERIFIED/);
  });
});

describe('fleetlog sim', () => {
  it('scenario --list names every scenario with what it must show', async () => {
    const r = await runFleetlog(['sim', 'scenario', '--list']);
    expect(r.code).toBe(0);
    for (const name of [
      'key-substitution',
      'unlogged-bundle',
      'no-countersignature',
      'forked-log',
      'rollback',
      'rotation',
      'brute-force',
      'minority-down',
      'majority-down',
      'partition-guess-limit',
      'hsm-rejoin',
    ]) {
      expect(r.stdout).toContain(name);
    }
  });

  it('sim run --processes: five HSM processes survive two of them being killed; a restarted one catches up and serves (exit 0)', async () => {
    const minority = await runFleetlog(
      ['sim', 'run', '--processes', '--stop', '1,2', '--wrong', '1', '--restart', '2'],
      { timeoutMs: 120_000 },
    );
    expect(minority.code, minority.stdout + minority.stderr).toBe(0);
    expect(minority.stdout).toMatch(/wrong password; 9 guesses left/);
    // Killed before the wrong guess, it comes back holding the count it missed, and answers first.
    expect(minority.stdout).toMatch(/sim-fleet-hsm-2 restarted, enrolled again by a live HSM, and caught up/);
    // Its identity key came back from its data directory: the pinned key set still names it.
    expect(minority.stdout).toMatch(/sim-fleet-hsm-2 kept its identity key: the pinned key set still names it/);
    expect(minority.stdout).toMatch(/sim-fleet-hsm-2 after catching up: live, 9 guesses/);
    expect(minority.stdout).toMatch(/recovered via sim-fleet-hsm-2/);
    expect(minority.stdout).toMatch(/sim-fleet-hsm-1: down/);
  });

  it('sim run: without a majority the fleet fails closed (exit 1) and the survivors keep the count', async () => {
    const majority = await runFleetlog(['sim', 'run', '--stop', '1,2,3']);
    expect(majority.code, majority.stdout + majority.stderr).toBe(1);
    expect(majority.stdout).toMatch(/a majority needs 3/);
    expect(majority.stdout).toMatch(/sim-fleet-hsm-4: live, 10 guesses/);
  });

  it('rejects a malformed partition with a usage error', async () => {
    const r = await runFleetlog(['sim', 'run', '--partition', 'eu-west']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--partition wants at least two groups/);
  });
});
