/**
 * `npm run bench [-- name-filter...]`: runs every bench/*.bench.ts module in one process and prints
 * one JSON array of figures on stdout (progress goes to stderr).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, Figure } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const figures: Figure[] = [];
for (const file of files) {
  process.stderr.write(`bench: ${file}\n`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  const results = await mod.run();
  for (const f of results)
    process.stderr.write(
      `  ${f.name}: ${f.value} ${f.unit}${f.ratio !== undefined ? ` (${f.ratio}x ${f.baselineName})` : ''}\n`,
    );
  figures.push(...results);
}
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
