import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Any *.test.ts outside node_modules and dist/: no folder list to keep in step with the tree.
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep the pool small so end-to-end tests that spawn servers are not starved.
    maxWorkers: 2,
    setupFiles: ['test/support/cleanup.ts'],
    // Processes the tests start run the TypeScript sources (bin/fleetlog.js), unless the caller
    // says otherwise: `npm run test:dist` runs the end-to-end tests against the built dist/.
    env: { FLEETLOG_RUN: process.env.FLEETLOG_RUN ?? 'sources' },
  },
});
