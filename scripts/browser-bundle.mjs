// What the client library and the explorer pages share when bundled for Web platforms: the crypto
// backend is fixed to the pure-JS @noble one (core/crypto/select.ts would otherwise try a dynamic
// import of node:crypto, which browser bundlers and React Native's Metro refuse to resolve). Both
// backends agree on every verification (test/core/ed25519-agreement.test.ts), so this changes
// speed, never a decision.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const nobleOnly = {
  name: 'fleetlog-noble-only',
  setup(b) {
    b.onResolve({ filter: /(^|\/)select\.ts$/ }, (args) => {
      const resolved = join(args.resolveDir, args.path);
      if (resolved !== join(root, 'core', 'crypto', 'select.ts')) return undefined;
      return { path: 'fleetlog-noble-select', namespace: 'fleetlog' };
    });
    b.onLoad({ filter: /.*/, namespace: 'fleetlog' }, () => ({
      contents: [
        `import { nobleBackend } from ${JSON.stringify(`${root}core/crypto/noble.ts`)};`,
        'export const nativeBackend = undefined;',
        'export const backend = nobleBackend;',
        'export { nobleBackend };',
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    }));
  },
};

/** esbuild options for an ES2022 bundle with every dependency inlined and no Node built-in. */
export const webBundle = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['import', 'default'],
  target: 'es2022',
  plugins: [nobleOnly],
  logLevel: 'warning',
};
