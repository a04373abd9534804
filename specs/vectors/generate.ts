/**
 * `npm run vectors`: writes the JSON test vectors of specs/vectors/ (see README.md there).
 * Deterministic: fixed seeds and timestamps, so re-running changes nothing unless the code did.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildVectorFiles } from './build.ts';

const here = dirname(fileURLToPath(import.meta.url));
for (const [name, text] of buildVectorFiles()) {
  writeFileSync(join(here, name), text);
  process.stdout.write(`wrote specs/vectors/${name} (${text.length} bytes)\n`);
}
