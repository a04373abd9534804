/**
 * `fleetlog sim ceremony`: stands in for the HSM vendor's factory and the key ceremony, so an
 * operator can try the publishing workflow without hardware. It builds simulated HSMs attested by
 * the given vendor key, runs the real ceremony (simulator/ceremony.ts) on them, and writes the
 * resulting deployment description: the input of `fleetlog fleet evidence`.
 */
import { Command } from '@commander-js/extra-typings';
import { action } from '../cli/run.ts';
import { FleetlogError } from '../core/errors.ts';
import { readKeyFile } from '../service/key-file.ts';
import { writeFileAtomicSync } from '../service/atomic-file.ts';
import { runCeremony } from './ceremony.ts';
import { SimFleet } from './fleet.ts';
import { DEFAULT_REGIONS } from './fleet-members.ts';
import { firmwareImage } from './hsm/firmware.ts';
import { HsmVendor } from './hsm/vendor.ts';

export interface DescriptionOptions {
  readonly fleetId: string;
  readonly hsms: number;
  readonly regions: readonly string[];
  readonly vendorSkey: string;
  readonly firmwareRelease?: string;
  /** Seconds since the epoch. */
  readonly now: number;
}

/** The deployment description (the evidence object without `type`) of a freshly made simulated fleet. */
export async function simulatedDeploymentDescription(o: DescriptionOptions): Promise<Record<string, unknown>> {
  const vendor = new HsmVendor(o.vendorSkey);
  const firmware = firmwareImage(o.firmwareRelease);
  const fleet = SimFleet.create({ fleetId: o.fleetId, vendor, size: o.hsms, regions: o.regions, firmware });
  const { evidence } = await runCeremony({
    fleetId: o.fleetId,
    hsms: fleet.hsms,
    firmware,
    vendorKeys: [vendor.vkey],
    now: o.now,
  });
  const { type: _type, ...description } = evidence;
  return description;
}

export function ceremonyCommand() {
  return new Command('ceremony')
    .description(
      'simulate a fleet deployment: make HSMs attested by a vendor key, run the key ceremony on them, and write the deployment description for fleet evidence',
    )
    .requiredOption('--fleet <id>', 'fleet id, e.g. fleet-a')
    .requiredOption(
      '--vendor-key <file>',
      'HSM vendor skey (fleetlog keygen --type hsm-vendor); its vkey must be pinned in the policy',
    )
    .requiredOption('--out <file>', 'where to write the deployment description (JSON)')
    .option('--hsms <n>', 'number of HSMs (1-32)', '3')
    .option('--regions <list>', 'comma-separated regions', DEFAULT_REGIONS.join(','))
    .option('--firmware <release>', 'firmware release name')
    .action(
      action(async (opts) => {
        const hsms = Number(opts.hsms);
        if (!/^[0-9]{1,2}$/.test(opts.hsms) || hsms < 1 || hsms > 32)
          throw new FleetlogError('usage', '--hsms must be 1 to 32');
        const description = await simulatedDeploymentDescription({
          fleetId: opts.fleet,
          hsms,
          regions: opts.regions
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean),
          vendorSkey: readKeyFile(opts.vendorKey),
          ...(opts.firmware ? { firmwareRelease: opts.firmware } : {}),
          now: Math.floor(Date.now() / 1000),
        });
        writeFileAtomicSync(opts.out, `${JSON.stringify(description, null, 2)}\n`, 'deployment description', 0o644);
        process.stdout.write(
          `wrote ${opts.out}: fleet ${opts.fleet}, ${hsms} simulated HSMs attested by the vendor key; next: fleetlog fleet evidence\n`,
        );
      }),
    );
}
