// `npm run test:dist`: the end-to-end tests against the compiled dist/ (run `npm run build` first;
// the npm script does). The end-to-end tests are found, not listed: every test file that starts
// the fleetlog executable through test/support/process.ts (runFleetlog, startFleetlogServer,
// serveUnwitnessedLog), except a file that says `test:dist skip` with its reason: the PostgreSQL
// fault tests check what a database outage does, which the build cannot change, and they spend
// most of their time in the database's own timeouts, so they run once, from the sources.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STARTS_EXECUTABLE = /\b(runFleetlog|startFleetlogServer|serveUnwitnessedLog|FLEETLOG_BIN)\b/;
const SKIPS_DIST = /^\/\/ test:dist skip: \S/m;

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const files = testFiles(join(root, 'test'))
  .filter((f) => {
    const text = readFileSync(f, 'utf8');
    return STARTS_EXECUTABLE.test(text) && !SKIPS_DIST.test(text);
  })
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
