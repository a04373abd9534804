// `npm run test:dist`: the end-to-end tests against the compiled dist/ (run `npm run build` first;
// the npm script does). The end-to-end tests are found, not listed: every test file that starts
// the fleetlog executable through test/support/process.ts (runFleetlog, startFleetlogServer).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STARTS_EXECUTABLE = /\b(runFleetlog|startFleetlogServer|FLEETLOG_BIN)\b/;

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const files = testFiles(join(root, 'test'))
  .filter((f) => STARTS_EXECUTABLE.test(readFileSync(f, 'utf8')))
  .map((f) => relative(root, f))
  .sort();
process.stderr.write(`test:dist: ${files.length} end-to-end test files against dist/\n`);
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FLEETLOG_RUN: 'dist' },
});
process.exit(r.status ?? 1);
