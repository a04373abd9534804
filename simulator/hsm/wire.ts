/**
 * The byte strings the HSM protocol signs, MACs or derives keys from, each with its own
 * domain-separation prefix, shared by the HSM and the client.
 */
import { concatBytes, utf8 } from '../../core/bytes.ts';
import { canonicalJsonBytes, type Json } from '../../core/entries/canonical-json.ts';
import type { Ballot } from '../consensus/ballot.ts';
import { hkdf, hmac } from './crypto.ts';

/** What an HSM's identity key signs in a registration response: the OPRF evaluation came from it. */
export function registrationResponseMessage(
  fleetId: string,
  userId: string,
  request: string,
  response: string,
): Uint8Array {
  return concatBytes(
    utf8('fleetlog-sim/registration-response/v1\n'),
    canonicalJsonBytes({ fleetId, userId, request, response }),
  );
}

/** The key the released backup key travels under: only the party holding the OPAQUE session key can open it. */
export function transportKey(sessionKey: string): Uint8Array {
  return hkdf(new Uint8Array(Buffer.from(sessionKey, 'base64url')), 'fleetlog-sim/backup-key-transport/v1');
}

/** The fleet's peer MAC key, derived from its vault key. */
export function peerMacKey(vaultKey: Uint8Array): Uint8Array {
  return hkdf(vaultKey, 'fleetlog-sim/peer-mac/v1');
}

export function peerMac(
  peerKey: Uint8Array,
  type: string,
  key: string,
  ballot: Ballot,
  value?: Uint8Array,
): Uint8Array {
  const head = utf8(`fleetlog-sim/peer/v1\n${type}\n${key}\n${ballot.round}.${ballot.node}\n`);
  return hmac(peerKey, value ? concatBytes(head, value) : head);
}

/**
 * The MAC of a peer's reply, bound to the request it answers (its MAC names type, register and
 * ballot): an impostor at a peer's address cannot forge a promise, and an old genuine reply does
 * not answer a new request. The reply is MACed as its canonical JSON, without the mac member.
 */
export function peerReplyMac(peerKey: Uint8Array, requestMac: string, reply: Json): Uint8Array {
  return hmac(peerKey, concatBytes(utf8(`fleetlog-sim/peer-reply/v1\n${requestMac}\n`), canonicalJsonBytes(reply)));
}
