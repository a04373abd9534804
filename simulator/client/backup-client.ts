/**
 * The backup client. The password never leaves it: registration and recovery are OPAQUE
 * (@serenity-kit/opaque), and the backup key is wrapped under the OPAQUE export key before it is
 * stored. Before it talks to a fleet it resolves the fleet keys it accepts (embedded or over the
 * air, client/fleet-trust-source.ts) and then checks:
 *   - registration: the response is signed by a validated HSM identity key, and the server static
 *     public key in it is the validated fleet OPAQUE key;
 *   - recovery: the server static public key the OPAQUE login authenticated is the validated fleet
 *     OPAQUE key, before it sends its final message.
 */
import { findHsmKey } from '../../client/embedded.ts';
import * as opaque from '@serenity-kit/opaque';
import { fromBase64, fromHex, toBase64, toHex, utf8 } from '../../core/bytes.ts';
import { Ed25519PublicKey } from '../../core/crypto/ed25519.ts';
import { FleetlogError, isFleetlogError } from '../../core/errors.ts';
import { aeadOpen, aeadSeal, hkdf, randomKey } from '../hsm/crypto.ts';
import type { HsmEndpoint } from '../hsm/endpoint.ts';
import { ALG_IDENTITY, ALG_OPAQUE } from '../hsm/device.ts';
import { registrationResponseMessage, transportKey } from '../hsm/wire.ts';
import type {
  InfoReply,
  RecoverFinishReply,
  RecoverStartReply,
  RegisterFinishReply,
  RegisterStartReply,
} from '../hsm/messages.ts';
import type { FleetTrustSource, TrustedFleetKeys } from './fleet-trust-source.ts';

export type KeyStretching = NonNullable<Parameters<typeof opaque.client.finishLogin>[0]['keyStretching']>;

/** Fast Argon2id settings for tests, benchmarks and the demo; real clients keep the library default. */
export const FAST_KEY_STRETCHING: KeyStretching = {
  'argon2id-custom': { iterations: 1, memory: 1024, parallelism: 1 },
};

export interface BackupClientOptions {
  readonly userId: string;
  readonly fleetId: string;
  /** The fleet's HSMs, tried in order until one answers. */
  readonly endpoints: readonly HsmEndpoint[];
  readonly trust: FleetTrustSource;
  readonly keyStretching?: KeyStretching;
}

export interface RegisterOutcome {
  readonly hsmId: string;
  readonly generation: string;
  readonly remaining: number;
  readonly trust: TrustedFleetKeys;
}

export interface RecoverOutcome {
  readonly hsmId: string;
  readonly backupKey: Uint8Array;
  readonly remaining: number;
  readonly trust: TrustedFleetKeys;
}

export class BackupClient {
  readonly #o: BackupClientOptions;

  constructor(options: BackupClientOptions) {
    this.#o = options;
  }

  async register(password: string, backupKey: Uint8Array = randomKey()): Promise<RegisterOutcome> {
    await opaque.ready;
    const { userId, fleetId } = this.#o;
    const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
    const { endpoint, reply, trust } = await this.#first<RegisterStartReply>({
      op: 'register-start',
      userId,
      request: registrationRequest,
    });
    const identity = findHsmKey(trust.keys, reply.hsmId, ALG_IDENTITY);
    if (!identity || reply.hsmId !== endpoint.hsmId)
      throw notValidated(trust, `${reply.hsmId} is not an HSM of the validated fleet ${fleetId}`);
    const signed = new Ed25519PublicKey(fromHex(identity.publicKey, 32)).verify(
      registrationResponseMessage(fleetId, userId, registrationRequest, reply.response),
      fromHex(reply.signature, 64),
    );
    if (!signed)
      throw notValidated(trust, `the registration response is not signed by ${reply.hsmId}'s validated identity key`);
    const finished = opaque.client.finishRegistration({
      clientRegistrationState,
      registrationResponse: reply.response,
      password,
      ...this.#ksf(),
    });
    requireFleetOpaqueKey(trust, finished.serverStaticPublicKey);
    const wrappedKey = toBase64(aeadSeal(wrapKey(finished.exportKey), backupKey, wrapAad(fleetId, userId)));
    const done = await endpoint.call<RegisterFinishReply>({
      op: 'register-finish',
      userId,
      record: finished.registrationRecord,
      wrappedKey,
    });
    return { hsmId: endpoint.hsmId, generation: done.generation, remaining: done.remaining, trust };
  }

  /** Recovers the backup key. A wrong password costs one guess (committed before the HSM answered). */
  async recover(password: string): Promise<RecoverOutcome> {
    await opaque.ready;
    const { userId, fleetId } = this.#o;
    const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password });
    const { endpoint, reply, trust } = await this.#first<RecoverStartReply>({
      op: 'recover-start',
      userId,
      request: startLoginRequest,
    });
    const login = opaque.client.finishLogin({
      clientLoginState,
      loginResponse: reply.response,
      password,
      ...this.#ksf(),
    });
    if (!login) {
      // Tell the HSM, so that a last guess destroys the record at once rather than at expiry.
      const abort = await endpoint
        .call<{ destroyed: boolean }>({ op: 'recover-abort', attemptId: reply.attemptId })
        .catch(() => ({ destroyed: false }));
      throw new FleetlogError(
        'forbidden',
        abort.destroyed
          ? 'wrong password; that was the last guess and the backup is now destroyed'
          : `wrong password; ${reply.remaining} ${reply.remaining === 1 ? 'guess' : 'guesses'} left`,
        {
          detail: { remaining: reply.remaining, destroyed: abort.destroyed },
        },
      );
    }
    try {
      requireFleetOpaqueKey(trust, login.serverStaticPublicKey);
    } catch (e) {
      await endpoint.call({ op: 'recover-abort', attemptId: reply.attemptId }).catch(() => undefined);
      throw e;
    }
    const done = await endpoint.call<RecoverFinishReply>({
      op: 'recover-finish',
      attemptId: reply.attemptId,
      finish: login.finishLoginRequest,
    });
    const wrapped = aeadOpen(transportKey(login.sessionKey), fromBase64(done.sealedKey), utf8(userId), 'released key');
    const backupKey = aeadOpen(
      wrapKey(login.exportKey),
      fromBase64(new TextDecoder().decode(wrapped)),
      wrapAad(fleetId, userId),
      'wrapped backup key',
    );
    return { hsmId: endpoint.hsmId, backupKey, remaining: done.remaining, trust };
  }

  /**
   * Resolves trust, then sends `request` to the first HSM that can act on it. An HSM that is down
   * or cut off from a majority answers `unavailable`, and the client moves on; any other refusal
   * is final.
   */
  async #first<T>(
    request: Parameters<HsmEndpoint['call']>[0],
  ): Promise<{ endpoint: HsmEndpoint; reply: T; trust: TrustedFleetKeys }> {
    const errors: string[] = [];
    // Keys from the pin or the log are resolved before any HSM sees a request.
    let trust: TrustedFleetKeys | undefined = this.#o.trust.wantsOfferedBundle
      ? undefined
      : await this.#o.trust.resolve(this.#o.fleetId);
    for (const endpoint of this.#o.endpoints) {
      try {
        if (!trust) {
          const info = await endpoint.call<InfoReply>({ op: 'info' });
          if (info.fleetId !== this.#o.fleetId)
            throw new FleetlogError(
              'forbidden',
              `${endpoint.hsmId} serves fleet ${info.fleetId}, not ${this.#o.fleetId}`,
            );
          trust = await this.#o.trust.resolve(this.#o.fleetId, info.bundle);
        }
        return { endpoint, reply: await endpoint.call<T>(request), trust };
      } catch (e) {
        if (!isFleetlogError(e, 'unavailable') && !isFleetlogError(e, 'network')) throw e;
        errors.push(`${endpoint.hsmId}: ${e.message}`);
      }
    }
    throw new FleetlogError(
      'unavailable',
      `no HSM of fleet ${this.#o.fleetId} could serve the request (the fleet fails closed without a majority):\n  ${errors.join('\n  ')}`,
    );
  }

  #ksf(): { keyStretching?: KeyStretching } {
    return this.#o.keyStretching ? { keyStretching: this.#o.keyStretching } : {};
  }
}

function wrapKey(exportKey: string): Uint8Array {
  return hkdf(new Uint8Array(Buffer.from(exportKey, 'base64url')), 'fleetlog-sim/backup-key-wrap/v1');
}

function wrapAad(fleetId: string, userId: string): Uint8Array {
  return utf8(`fleetlog-sim/wrapped-backup-key/v1\n${fleetId}\n${userId}\n`);
}

function requireFleetOpaqueKey(trust: TrustedFleetKeys, serverStaticPublicKey: string): void {
  const hex = toHex(new Uint8Array(Buffer.from(serverStaticPublicKey, 'base64url')));
  if (!trust.keys.some((k) => k.alg === ALG_OPAQUE && k.publicKey === hex)) {
    throw notValidated(
      trust,
      `the server's OPAQUE key ${hex.slice(0, 16)}… is not a validated key of fleet ${trust.fleetId}: refusing to open a session`,
    );
  }
}

/**
 * A key the client does not accept. With embedded keys that means the app pins the keys of an
 * earlier deployment (the fleet rotated): only an app update can bring the new keys.
 */
function notValidated(trust: TrustedFleetKeys, message: string): FleetlogError {
  return new FleetlogError(
    'forbidden',
    trust.mode === 'embedded'
      ? `${message}; this app's embedded keys for fleet ${trust.fleetId} do not include it: an app update is needed`
      : message,
  );
}
