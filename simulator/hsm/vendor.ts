/**
 * A simulated HSM vendor: a root signing key that attests, for HSMs it built, which keys live in
 * the device and which firmware it runs. The root key stays inside this object; HSMs get an
 * attestation function bound to their own measurement, so a device cannot get another
 * measurement attested.
 */
import {
  KEY_TYPE_ED25519,
  generateKey,
  parseSignerKey,
  parseVerifierKey,
  type PublicKeyInfo,
  type SignerKey,
} from '../../core/note/keys.ts';
import { signAttestation, type AttestationStatement } from '../../core/entries/deployment-evidence.ts';
import type { SignatureRef } from '../../core/entries/signature-ref.ts';
import { FleetlogError } from '../../core/errors.ts';

export type Attestor = (statement: AttestationStatement) => SignatureRef;

export class HsmVendor {
  readonly #root: SignerKey;
  readonly name: string;
  readonly vkey: string;

  constructor(skey: string) {
    this.#root = parseSignerKey(skey);
    this.name = this.#root.name;
    this.vkey = this.#root.vkey;
  }

  static generate(name = 'hsm-vendor.example'): HsmVendor {
    return new HsmVendor(generateKey(name, KEY_TYPE_ED25519).skey);
  }

  get publicKey(): PublicKeyInfo {
    return parseVerifierKey(this.vkey);
  }

  /** The attestation service of one device, which signs only statements about that device. */
  attestorFor(hsmId: string, measurement: string): Attestor {
    return (statement) => {
      if (statement.hsmId !== hsmId || statement.measurement !== measurement) {
        throw new FleetlogError(
          'forbidden',
          `vendor refuses to attest ${statement.hsmId} with measurement ${statement.measurement.slice(0, 12)}…`,
        );
      }
      return signAttestation(this.#root, statement);
    };
  }

  toJSON(): { vendor: string } {
    return { vendor: this.vkey };
  }
}
