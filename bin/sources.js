// Which folders hold the TypeScript sources, and whether dist/ (scripts/build.mjs) is up to date
// with them. Shared by the build and by bin/fleetlog.js.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SOURCE_DIRS = ['core', 'service', 'cli', 'log-server', 'witness', 'auditor-cli', 'publisher', 'simulator'];

function newestSource(dir, newest) {
  let n = newest;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n = newestSource(p, n);
    else if (e.name.endsWith('.ts') || e.name.endsWith('.mjs')) n = Math.max(n, statSync(p).mtimeMs);
  }
  return n;
}

/** dist/ is usable if it was built after the last change to any source file (or if there are no sources). */
export function isBuildFresh(root) {
  const stamp = join(root, 'dist', 'BUILT');
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  let newest = 0;
  for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) newest = newestSource(join(root, d), newest);
  return newest <= built;
}
