#!/usr/bin/env node
// The fleetlog executable. Which code it runs is chosen explicitly, never guessed:
//   FLEETLOG_RUN=dist (the default)  the compiled JavaScript in dist/ (`npm run build`; `npm ci` runs it
//                                    too). Installed copies and the Docker image run this.
//   FLEETLOG_RUN=sources             the TypeScript sources through tsx (a dev dependency). For
//                                    development (`npm run dev -- …`) and tests (vitest.config.ts).
// The mode is passed on to every fleetlog process and worker thread started from this one.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const mode = process.env.FLEETLOG_RUN ?? 'dist';
if (mode === 'dist') {
  const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  if (!existsSync(main)) {
    process.stderr.write(
      'fleetlog: usage: dist/ is not built; run `npm run build`, or set FLEETLOG_RUN=sources to run the TypeScript sources\n',
    );
    process.exit(2);
  }
  process.env.FLEETLOG_RUN = 'dist';
  await import(main);
} else if (mode === 'sources') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
} else {
  process.stderr.write(`fleetlog: usage: FLEETLOG_RUN must be "dist" or "sources", not ${JSON.stringify(mode)}\n`);
  process.exit(2);
}
