/**
 * The HSM-to-HSM enrolment protocol of a ceremony: how a device proves what it is (a vendor
 * attestation over its identity and transport keys and its firmware measurement) and how the
 * fleet secrets travel from one HSM to another: sealed to the recipient's X25519 transport key
 * (ephemeral-static ECDH, HKDF-SHA256, AES-256-GCM) and signed by the sender's identity key.
 * The functions take secrets as arguments and return only public data or ciphertext; the HSM
 * calls them with keys from its private fields.
 */
import { concatBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from '../../core/bytes.ts';
import { Ed25519PublicKey, type Ed25519Signer } from '../../core/crypto/ed25519.ts';
import { canonicalJsonBytes } from '../../core/entries/canonical-json.ts';
import { attestationMessage, type HsmKey } from '../../core/entries/deployment-evidence.ts';
import { verifySignatureRef, type SignatureRef } from '../../core/entries/signature-ref.ts';
import { FleetlogError } from '../../core/errors.ts';
import type { PublicKeyInfo } from '../../core/note/keys.ts';
import { aeadOpen, aeadSeal, hkdf, x25519Agree, x25519KeyPair } from './crypto.ts';
import type { KeyObject } from 'node:crypto';

export const ALG_IDENTITY = 'ed25519';
export const ALG_TRANSPORT = 'x25519';
export const ALG_OPAQUE = 'opaque-ristretto255';

/** What an HSM shows a ceremony before it is trusted with the fleet secrets. */
export interface DeviceDescription {
  readonly hsmId: string;
  readonly region: string;
  readonly measurement: string;
  readonly identityKey: string;
  readonly transportKey: string;
  /** Vendor attestation over {hsmId, [ed25519 identity, x25519 transport], measurement}. */
  readonly attestation: SignatureRef;
}

/** The fleet secrets, sealed to one recipient HSM's transport key and signed by the sender. */
export interface SealedFleetSecrets {
  readonly fleetId: string;
  readonly from: string;
  readonly to: string;
  readonly ephemeralKey: string;
  readonly box: string;
  readonly signature: string;
}

export interface FleetSecretsPlain {
  readonly fleetId: string;
  readonly opaqueSetup: string;
  readonly vaultKey: Uint8Array;
}

export function deviceKeys(identityKey: string, transportKey: string): HsmKey[] {
  return [
    { alg: ALG_IDENTITY, publicKey: identityKey },
    { alg: ALG_TRANSPORT, publicKey: transportKey },
  ];
}

/** Throws unless `peer` is attested by one of `vendors` and runs the firmware `measurement`. */
export function checkDevice(peer: DeviceDescription, vendors: readonly PublicKeyInfo[], measurement: string): void {
  const message = attestationMessage({
    hsmId: peer.hsmId,
    keys: deviceKeys(peer.identityKey, peer.transportKey),
    measurement: peer.measurement,
  });
  if (!verifySignatureRef(peer.attestation, vendors, message))
    throw new FleetlogError('forbidden', `${peer.hsmId} has no valid attestation by a vendor this firmware trusts`);
  if (peer.measurement !== measurement)
    throw new FleetlogError('forbidden', `${peer.hsmId} runs different firmware (${peer.measurement.slice(0, 12)}…)`);
}

function transferMessage(t: Omit<SealedFleetSecrets, 'signature'>): Uint8Array {
  return concatBytes(utf8('fleetlog-sim/fleet-secret-transfer/v1\n'), canonicalJsonBytes(t));
}

function boxKey(shared: Uint8Array, ephemeralPublic: Uint8Array, fleetId: string, recipient: string): Uint8Array {
  return hkdf(concatBytes(shared, ephemeralPublic), `fleetlog-sim/fleet-secrets/v1\n${fleetId}\n${recipient}`);
}

export function sealFleetSecrets(
  secrets: FleetSecretsPlain,
  sender: { id: string; identity: Ed25519Signer },
  peer: DeviceDescription,
): SealedFleetSecrets {
  const eph = x25519KeyPair();
  const key = boxKey(
    x25519Agree(eph.privateKey, fromHex(peer.transportKey, 32)),
    eph.publicKey,
    secrets.fleetId,
    peer.hsmId,
  );
  const plain = canonicalJsonBytes({
    fleetId: secrets.fleetId,
    opaqueSetup: secrets.opaqueSetup,
    vaultKey: toBase64(secrets.vaultKey),
  });
  const box = aeadSeal(key, plain, utf8(`${sender.id}\n${peer.hsmId}`));
  key.fill(0);
  plain.fill(0);
  const unsigned = {
    fleetId: secrets.fleetId,
    from: sender.id,
    to: peer.hsmId,
    ephemeralKey: toHex(eph.publicKey),
    box: toBase64(box),
  };
  return { ...unsigned, signature: toHex(sender.identity.sign(transferMessage(unsigned))) };
}

/** Checks the sender's signature and opens the box with the recipient's transport key. */
export function openFleetSecrets(
  sealed: SealedFleetSecrets,
  recipient: { id: string; transportKey: KeyObject },
  sender: DeviceDescription,
): FleetSecretsPlain {
  if (sealed.to !== recipient.id || sealed.from !== sender.hsmId)
    throw new FleetlogError('forbidden', 'fleet secrets addressed to another HSM');
  const { signature, ...unsigned } = sealed;
  if (
    !new Ed25519PublicKey(fromHex(sender.identityKey, 32)).verify(transferMessage(unsigned), fromHex(signature, 64))
  ) {
    throw new FleetlogError('forbidden', `fleet secrets are not signed by ${sender.hsmId}`);
  }
  const ephemeral = fromHex(sealed.ephemeralKey, 32);
  const key = boxKey(x25519Agree(recipient.transportKey, ephemeral), ephemeral, sealed.fleetId, recipient.id);
  const plain = aeadOpen(key, fromBase64(sealed.box), utf8(`${sender.hsmId}\n${recipient.id}`), 'fleet secrets');
  key.fill(0);
  const s = JSON.parse(new TextDecoder().decode(plain)) as { fleetId: string; opaqueSetup: string; vaultKey: string };
  plain.fill(0);
  if (s.fleetId !== sealed.fleetId) throw new FleetlogError('forbidden', 'fleet secrets name another fleet');
  return { fleetId: s.fleetId, opaqueSetup: s.opaqueSetup, vaultKey: fromBase64(s.vaultKey, 32) };
}
