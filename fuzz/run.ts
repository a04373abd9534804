/**
 * `npm run fuzz -- [--iterations N] [--seconds S] [--seed N] [--target NAME]`: longer fuzz runs
 * than the bounded ones in `npm test`. Each target gets up to N iterations and S seconds (the
 * defaults: 100000 and 60). Prints one line per target and exits 1 if any property failed, with the
 * shrunk input and the seed to replay it.
 */
import { fuzzTarget } from './fuzz-target.ts';
import { fuzzTargets } from './targets.ts';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const iterations = Number(option('iterations') ?? 100_000);
const seconds = Number(option('seconds') ?? 60);
const seed = option('seed') === undefined ? undefined : Number(option('seed'));
const only = option('target');
if (!Number.isSafeInteger(iterations) || iterations < 1 || !(seconds > 0)) {
  process.stderr.write('usage: npm run fuzz -- [--iterations N] [--seconds S] [--seed N] [--target NAME]\n');
  process.exit(2);
}

const targets = fuzzTargets().filter((t) => only === undefined || t.name === only);
if (targets.length === 0) {
  process.stderr.write(
    `no target named ${only}; targets: ${fuzzTargets()
      .map((t) => t.name)
      .join(', ')}\n`,
  );
  process.exit(2);
}
let failed = 0;
let total = 0;
for (const target of targets) {
  const started = Date.now();
  const r = fuzzTarget(target, { iterations, seconds, ...(seed === undefined ? {} : { seed }) });
  total += r.runs;
  const rejected = Object.entries(r.rejected)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  process.stdout.write(
    `${r.failure ? 'FAIL' : 'ok  '} ${target.name}: ${r.runs} runs in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
      `${r.accepted} accepted, rejected: ${rejected || 'none'} (seed ${r.seed})\n`,
  );
  if (r.failure) {
    failed++;
    process.stdout.write(`     ${r.failure.error}\n     input (hex): ${r.failure.inputHex.slice(0, 2000)}\n`);
    process.stdout.write(`     input (text): ${JSON.stringify(r.failure.inputText)}\n`);
  }
}
process.stdout.write(`${total} runs over ${targets.length} targets, ${failed} failing\n`);
process.exit(failed > 0 ? 1 : 0);
