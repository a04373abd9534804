/**
 * bin/fleetlog.js runs dist/ or the sources as FLEETLOG_RUN says, and refuses clearly otherwise
 * (README: Run mode). The dist/ path itself is exercised by `npm run test:dist`.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLEETLOG_BIN, runFleetlog, tempDir } from '../support/process.ts';
import { spawnSync } from 'node:child_process';

describe('run mode', () => {
  it('refuses an unknown FLEETLOG_RUN with a usage error', async () => {
    const r = await runFleetlog(['--help'], { env: { FLEETLOG_RUN: 'fast' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('fleetlog: usage: FLEETLOG_RUN must be "dist" or "sources", not "fast"\n');
  });

  it('in dist mode (the default), says how to build when dist/ is missing', () => {
    const root = tempDir('fleetlog-run-mode-');
    mkdirSync(join(root, 'bin'));
    copyFileSync(FLEETLOG_BIN, join(root, 'bin', 'fleetlog.js'));
    const env = { ...process.env };
    delete env.FLEETLOG_RUN;
    const r = spawnSync(process.execPath, [join(root, 'bin', 'fleetlog.js'), '--help'], { env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('dist/ is not built; run `npm run build`, or set FLEETLOG_RUN=sources');
  });

  it('in sources mode, runs the TypeScript sources', async () => {
    const r = await runFleetlog(['--help'], { env: { FLEETLOG_RUN: 'sources' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: fleetlog');
  });
});
