#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so `npx fleetlog` works right after
// `npm ci` with no build step. tsx transpiles with esbuild and caches; there is no runtime cost after load.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
