/**
 * Simulated HSM firmware: an image whose SHA-256 is the measurement the HSM reports and the vendor
 * attests. The deployment evidence records the released image's hash; audit step 6 checks that
 * every HSM's measurement equals it.
 */
import { toHex, utf8 } from '../../core/bytes.ts';
import { sha256 } from '../../core/crypto/sha256.ts';

export interface FirmwareImage {
  readonly release: string;
  readonly bytes: Uint8Array;
}

export const DEFAULT_FIRMWARE_RELEASE = 'fleetlog-sim-hsm 1.0.0';

export function firmwareImage(release = DEFAULT_FIRMWARE_RELEASE, patch = ''): FirmwareImage {
  // A stand-in for the image bytes: deterministic per release, so two HSMs of one release agree.
  return {
    release,
    bytes: utf8(`${release}\nfleetlog simulated HSM: OPAQUE recovery, CASPaxos vault replication\n${patch}`),
  };
}

export function measure(image: FirmwareImage): string {
  return toHex(sha256(image.bytes));
}
