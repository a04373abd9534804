/**
 * Deploying a fleet: run the ceremony on its HSMs, sign the key set (publisher, then the
 * independent countersigner), submit the deployment evidence and then the key set to the log, wait
 * until a witnessed checkpoint covers them, and hand the resulting offline bundle to the HSMs so
 * clients can receive it with a reply.
 */
import { ceremonyWithKeyset, type CeremonyHsm, type CeremonyResult, type KeysetResult } from '../ceremony.ts';
import type { FirmwareImage } from '../hsm/firmware.ts';
import { HttpLogReader, submitEntry, waitForBundle, type SubmitResult } from './log-http.ts';
import type { Stack } from './stack.ts';

export interface DeployOptions {
  readonly stack: Stack;
  readonly fleetId: string;
  readonly hsms: readonly CeremonyHsm[];
  readonly firmware: FirmwareImage;
  /** Seconds since the epoch. */
  readonly now: number;
  /** Installs the logged bundle on the fleet's HSMs. */
  readonly installBundle?: (bundle: string) => Promise<void> | void;
}

export interface Deployment {
  readonly ceremony: CeremonyResult;
  readonly keyset: KeysetResult;
  readonly evidenceEntry: SubmitResult;
  readonly keysetEntry: SubmitResult;
  readonly bundle: string;
}

export async function deployFleet(o: DeployOptions): Promise<Deployment> {
  const { ceremony, keyset } = await ceremonyWithKeyset({
    fleetId: o.fleetId,
    hsms: o.hsms,
    firmware: o.firmware,
    vendorKeys: [o.stack.vendor.vkey],
    now: o.now,
    publisher: o.stack.publisher,
    countersigner: o.stack.countersigner,
    validitySeconds: 365 * 86_400,
  });
  return publishKeyset({ ...o, ceremony, keyset });
}

/** Logs the evidence (idempotent if already logged) and a key set, then waits for the bundle. */
export async function publishKeyset(
  o: DeployOptions & { ceremony: CeremonyResult; keyset: KeysetResult },
): Promise<Deployment> {
  const evidenceEntry = await submitEntry(o.stack.log.url, o.stack.log.token, o.ceremony.evidenceBytes);
  const keysetEntry = await submitEntry(o.stack.log.url, o.stack.log.token, o.keyset.keysetBytes);
  const bundle = await waitForBundle(new HttpLogReader(o.stack.log.url), o.fleetId, keysetEntry.index);
  await o.installBundle?.(bundle);
  return { ceremony: o.ceremony, keyset: o.keyset, evidenceEntry, keysetEntry, bundle };
}
