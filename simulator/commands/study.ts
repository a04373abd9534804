/** `fleetlog sim study`: the fleet's trade-off, measured (simulator/study/study.ts). */
import { Command } from '@commander-js/extra-typings';
import { parseCount } from '../../cli/options.ts';
import { action, EXIT_OK } from '../../cli/run.ts';

export function studyCommand() {
  return new Command('study')
    .description(
      'measure recovery latency against the round-trip limit, throughput and availability; write JSON, SVG plots and a page',
    )
    .option('--out <dir>', 'where to write study.json, the SVG figures and README.md', 'docs/study')
    .option('--full', 'more samples and trials (several minutes; the default run takes about two on 2 idle cores)')
    .option('--latency <file>', 'a latency matrix file (JSON, see simulator/net/latency.ts) instead of the default')
    .option('--seed <n>', 'seed for jitter and fault choices', parseCount(1_000_000, 1), 1)
    .option('--no-processes', 'skip the measurement with real HSM processes')
    .action(
      action(async (o) => {
        // Loaded only here: the study draws with vega, a dev dependency.
        const { runStudy } = await import('../study/study.ts');
        const r = await runStudy({
          out: o.out,
          full: o.full === true,
          seed: o.seed,
          processes: o.processes,
          ...(o.latency ? { latencyFile: o.latency } : {}),
        });
        process.stdout.write(
          `study written to ${o.out} (${r.latency.cells.length} latency cells, ${r.machine.wallSeconds} s)\n`,
        );
        return EXIT_OK;
      }),
    );
}
