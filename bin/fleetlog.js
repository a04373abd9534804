#!/usr/bin/env node
// The fleetlog executable. It runs the compiled JavaScript in dist/ (built by `npm ci` through the
// prepare script, or `npm run build`) when that is newer than every source file; otherwise it runs
// the TypeScript sources through tsx, so an edited checkout never runs stale code.
// FLEETLOG_FROM_SOURCE=1 forces the sources.
import { fileURLToPath } from 'node:url';
import { isBuildFresh } from './sources.js';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.env.FLEETLOG_FROM_SOURCE !== '1' && isBuildFresh(root)) {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
