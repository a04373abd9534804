/** `fleetlog audit fleet`: the client's trust decision for a fleet's current key set. */
import { Command, Option } from '@commander-js/extra-typings';
import { jsonOption, logOption, parseCount, retriesOption, timeoutOption } from '../../cli/options.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import { FleetlogError } from '../../core/errors.ts';
import { auditFleet } from '../fleet-audit.ts';
import { loadPolicyFile, readCappedFile } from '../files.ts';
import { fleetReport } from '../human.ts';
import { printHuman, printJson, proofJson } from '../output.ts';
import { MAX_FLEET_BUNDLE_BYTES } from '../tiles-client.ts';
import { network, proofLines, readClientState, saveClientState } from './inputs.ts';

export const unixTimeOption = () =>
  new Option('--now <seconds>', 'evaluate validity at this UNIX time instead of now').argParser(
    parseCount(Number.MAX_SAFE_INTEGER),
  );

export function fleetCommand() {
  return new Command('fleet')
    .description("the client's trust decision for a fleet's current key set: every step of specs/audit.md in order")
    .requiredOption('--policy <file>', 'trust policy (C2SP tlog-policy plus fleetlog lines)')
    .option('--fleet <id>', 'fleet id (required with --log)')
    .addOption(logOption("log URL prefix (uses fleetlog's /fleet-bundle, or scans any tlog-tiles log); or --proof"))
    .option(
      '--proof <file>',
      'offline fleet bundle (two tlog-proofs: key set, then evidence); with --log, step 5 still uses the log',
    )
    .option('--state <file>', 'remembers the last trusted checkpoint and key-set version (rollback detection)')
    .option(
      '--consistency-proof <file>',
      'offline step 5: base64 hashes, one per line, from the state checkpoint to the bundle checkpoint',
    )
    .addOption(unixTimeOption())
    .addOption(jsonOption())
    .addOption(timeoutOption())
    .addOption(retriesOption())
    .action(
      action(async (o) => {
        if (!o.log && !o.proof) throw new FleetlogError('usage', 'give --log URL (with --fleet) or --proof FILE');
        if (o.log && !o.proof && o.fleet === undefined)
          throw new FleetlogError('usage', '--fleet is required with --log');
        const { policy } = loadPolicyFile(o.policy);
        const state = readClientState(o.state);
        const bundleText = o.proof
          ? readCappedFile(o.proof, MAX_FLEET_BUNDLE_BYTES, 'fleet bundle')!.toString('utf8')
          : undefined;
        const consistencyProof = o.consistencyProof
          ? proofLines(readCappedFile(o.consistencyProof, 64 * 64, 'consistency proof file')!.toString('utf8'))
          : undefined;
        const r = await auditFleet({
          policy,
          state,
          ...(o.fleet !== undefined ? { fleetId: o.fleet } : {}),
          ...(o.log ? { log: o.log } : {}),
          ...(bundleText !== undefined ? { bundleText } : {}),
          ...(o.now !== undefined ? { now: o.now } : {}),
          ...(consistencyProof ? { consistencyProof } : {}),
          ...network(o),
        });
        if (r.trusted) saveClientState(o.state, r.state);
        if (o.json) {
          const { state: _state, consistencyProof: proof, ...rest } = r;
          printJson({ command: 'audit fleet', ...rest, ...(proof ? { consistencyProof: proofJson(proof) } : {}) });
        } else printHuman(fleetReport(r));
        return r.trusted ? EXIT_OK : EXIT_VERIFY_FAILED;
      }),
    );
}
