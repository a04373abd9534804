// Builds the fleetlog/client library entry (package.json "exports"."./client"):
//   dist/fleetlog-client/index.js            one ESM file, dependencies inlined, no Node built-in
//   dist/fleetlog-client/types/client/*.d.ts  declarations emitted by tsc (tsconfig.client.json)
// One file with its dependencies inside means an app needs nothing else installed, and a bundler
// sees plain ES2022 with nothing to resolve.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { webBundle } from './browser-bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildClient(outDir = join(root, 'dist', 'fleetlog-client')) {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    ...webBundle,
    entryPoints: [join(root, 'client', 'index.ts')],
    outfile: join(outDir, 'index.js'),
    sourcemap: 'linked',
  });
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(root, 'tsconfig.client.json'),
      '--outDir',
      join(outDir, 'types'),
    ],
    { stdio: 'inherit' },
  );
  // tsc keeps the sources' `.ts` import specifiers in declarations; consumers resolve `.js`.
  for (const file of declarationFiles(join(outDir, 'types'))) {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
  }
}

function declarationFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? declarationFiles(join(dir, e.name)) : e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildClient();
