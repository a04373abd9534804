// `fleetlog audit log --state FILE`, interrupted by SIGINT (Ctrl-C) while the log is slow: it exits
// 130 at once, with its progress saved next to the state file, and the next run continues from it.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePartialAudit } from '../../auditor-cli/log-audit/log-state.ts';
import { FLEETLOG_BIN, REPO_ROOT, runFleetlog, tempDir } from '../support/process.ts';
import { replace } from './support/log-http.ts';
import { genericScenario, serveScenario } from './support/scenario.ts';

describe('audit log and SIGINT', () => {
  it('exits 130 with the progress saved, and the next run continues', { timeout: 60_000 }, async () => {
    const s = genericScenario(3000);
    const served = await serveScenario(() => s.log);
    const dir = tempDir();
    const policy = join(dir, 'policy.txt');
    const state = join(dir, 'log.state');
    writeFileSync(policy, s.policyText);
    try {
      served.tamper = replace('tile/entries/005', { kind: 'hang' });
      const args = ['audit', 'log', '--log', served.url, '--policy', policy, '--state', state, '--concurrency', '1'];
      const child = spawn(process.execPath, [FLEETLOG_BIN, ...args], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      while (!served.requests.includes('tile/entries/005')) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(130);
      expect(stderr).toContain('progress up to entry 1280 saved');
      expect(parsePartialAudit(readFileSync(`${state}.partial`, 'utf8')).size).toBe(1280);
      served.tamper = undefined;
      const again = await runFleetlog(args);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('continued an interrupted audit from entry 1280');
    } finally {
      await served.close();
    }
  });
});
