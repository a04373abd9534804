import type { BuildOptions, Plugin } from 'esbuild';
/** Fixes core/crypto/select.ts to the pure-JS @noble backend. */
export const nobleOnly: Plugin;
/** esbuild options for an ES2022 bundle with every dependency inlined and no Node built-in. */
export const webBundle: BuildOptions;
