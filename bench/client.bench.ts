/**
 * The fleetlog/client entry's size as an app ships it: client/index.ts bundled for the browser with
 * every dependency (the @noble backends, canonicalize), minified and gzipped (goal: <= 30 KB).
 * Baseline: the same for @noble/ed25519 + @noble/hashes' SHA-2 alone, the crypto no verifier can
 * do without, so the ratio shows what fleetlog's own code adds. One trust decision in the browser
 * is measured by test/explorer/explorer.browser.test.ts (real Chromium), not here.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { webBundle } from '../scripts/browser-bundle.mjs';
import { type Figure, figure } from './harness.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

async function minifiedGzipBytes(options: { entry?: string; contents?: string }): Promise<number> {
  const out = await build({
    ...webBundle,
    platform: 'browser',
    minify: true,
    write: false,
    ...(options.entry
      ? { entryPoints: [options.entry] }
      : { stdin: { contents: options.contents!, resolveDir: root, loader: 'ts' } }),
  });
  return gzipSync(out.outputFiles[0]!.contents, { level: 9 }).length;
}

export async function run(): Promise<Figure[]> {
  const client = await minifiedGzipBytes({ entry: join(root, 'client', 'index.ts') });
  const crypto = await minifiedGzipBytes({
    contents:
      "import * as ed from '@noble/ed25519'; import { sha256, sha512 } from '@noble/hashes/sha2.js';\n" +
      'export { ed, sha256, sha512 };\n',
  });
  return [
    figure(
      'client: fleetlog/client entry, minified + gzipped with its dependencies, KB [goal <= 30]',
      Number((client / 1024).toFixed(1)),
      'KB',
      {
        name: '@noble/ed25519 + @noble/hashes sha2 alone, minified + gzipped',
        value: Number((crypto / 1024).toFixed(1)),
      },
    ),
  ];
}
