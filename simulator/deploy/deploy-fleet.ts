/**
 * Deploying a fleet: run the ceremony on its HSMs, sign the key set (publisher, then the
 * independent countersigner), submit the deployment evidence and then the key set to the log, wait
 * until a published, quorum-cosigned checkpoint covers them, and hand the verified offline bundle
 * to the HSMs so clients can receive it with a reply. Signing and publishing are the publisher
 * role's library functions (publisher/index.ts), the ones `fleetlog fleet …` runs.
 */
import { PublishLogClient, submitKeyset, type SubmittedEntry } from '../../publisher/index.ts';
import { ceremonyWithKeyset, type CeremonyHsm, type CeremonyResult, type KeysetResult } from '../ceremony.ts';
import type { FirmwareImage } from '../hsm/firmware.ts';
import type { Stack } from './stack.ts';

export interface DeployOptions {
  readonly stack: Stack;
  readonly fleetId: string;
  readonly hsms: readonly CeremonyHsm[];
  readonly firmware: FirmwareImage;
  /** Seconds since the epoch. */
  readonly now: number;
  /** Key set version (default 1). */
  readonly version?: number;
  /** Validity of the key set in seconds (default 365 days). */
  readonly validitySeconds?: number;
  /** Installs the logged bundle on the fleet's HSMs. */
  readonly installBundle?: (bundle: string) => Promise<void> | void;
}

export interface Deployment {
  readonly ceremony: CeremonyResult;
  readonly keyset: KeysetResult;
  readonly evidenceEntry: SubmittedEntry;
  readonly keysetEntry: SubmittedEntry;
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
    validitySeconds: o.validitySeconds ?? 365 * 86_400,
    ...(o.version !== undefined ? { version: o.version } : {}),
  });
  return publishKeyset({ ...o, ceremony, keyset });
}

/** Logs the evidence (idempotent if already logged) and a key set, then waits for the verified bundle. */
export async function publishKeyset(
  o: DeployOptions & { ceremony: CeremonyResult; keyset: KeysetResult },
): Promise<Deployment> {
  const submitted = await submitKeyset({
    log: new PublishLogClient(o.stack.log.url),
    token: o.stack.log.token,
    policy: o.stack.policy,
    evidenceBytes: o.ceremony.evidenceBytes,
    keysetBytes: o.keyset.keysetBytes,
    now: o.now,
    wait: { timeoutMs: 60_000, pollMs: 20 },
  });
  const bundle = submitted.bundle!.text;
  await o.installBundle?.(bundle);
  return {
    ceremony: o.ceremony,
    keyset: o.keyset,
    evidenceEntry: submitted.evidence,
    keysetEntry: submitted.keyset,
    bundle,
  };
}
