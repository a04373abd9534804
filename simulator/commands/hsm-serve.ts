/** `fleetlog sim hsm serve`: one simulated HSM as a process (started by `sim run --processes`). */
import { Command } from '@commander-js/extra-typings';
import { parseCount } from '../../cli/options.ts';
import { action } from '../../cli/run.ts';
import { serveHsmProcess } from '../hsm-process.ts';

export function hsmCommands() {
  const serve = new Command('serve')
    .description('serve one HSM on localhost until SIGTERM')
    .requiredOption('--id <id>', 'HSM id')
    .requiredOption('--region <region>', 'region name')
    .requiredOption('--index <n>', 'unique index in the fleet (ballot tie-breaker)', parseCount(1000, 1))
    .requiredOption('--listen <host:port>', 'address to listen on')
    .requiredOption('--replicas <list>', 'every fleet member as id=url, comma-separated (this HSM included)')
    .requiredOption('--vendor-key <file>', 'the simulated vendor root key (skey, mode 0600)')
    .requiredOption('--admin-token-file <file>', 'bearer token for the admin API (mode 0600)')
    .option(
      '--data <dir>',
      'data directory: acceptor state (acceptor.db) and identity key (identity.key, 0600) kept across restarts (default: memory)',
    )
    .option('--guess-limit <n>', 'guess limit', parseCount(1000, 1))
    .option('--latency <file>', 'delay HSM-to-HSM messages by this latency matrix (JSON, see simulator/net/latency.ts)')
    .option('--peer-regions <list>', 'every fleet member as id=region, comma-separated (with --latency)')
    .option('--exit-with-parent', 'exit when standard input closes (set by the process that spawns the fleet)')
    .action(
      action(async (o) => {
        await serveHsmProcess({
          id: o.id,
          region: o.region,
          index: o.index,
          listen: o.listen,
          replicas: o.replicas,
          vendorKeyFile: o.vendorKey,
          adminTokenFile: o.adminTokenFile,
          exitWithParent: o.exitWithParent === true,
          ...(o.latency ? { latencyFile: o.latency, peerRegions: o.peerRegions ?? '' } : {}),
          ...(o.data ? { dataDir: o.data } : {}),
          ...(o.guessLimit ? { guessLimit: o.guessLimit } : {}),
        });
        await new Promise(() => undefined); // serve until a signal ends the process
      }),
    );
  return new Command('hsm')
    .description('one simulated HSM as a process (used by sim run --processes)')
    .addCommand(serve);
}
