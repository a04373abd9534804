/**
 * A simulated HSM. Its secrets live in private class fields and no method returns them
 * (device.ts has the enrolment protocol, wire.ts the signed and MACed byte strings):
 *   - an Ed25519 identity key (signs registration responses and fleet-secret transfers),
 *   - an X25519 transport key (receives the fleet secrets from another attested HSM),
 *   - once in a fleet: the fleet's OPAQUE server setup and its vault key (seals replicated values
 *     and keys the peer MACs). These are created inside the first HSM at the ceremony and copied
 *     only to HSMs whose vendor attestation and firmware measurement check out.
 *
 * Each HSM is a CASPaxos acceptor for every user's vault register and a proposer for the client
 * requests it serves (consensus/proposer.ts). The recovery rules (a guess is committed by a
 * majority before it is answered; the record is destroyed when the guesses run out) are the
 * change functions in vault-ops.ts.
 */
import * as opaque from '@serenity-kit/opaque';
import { fromBase64, fromHex, toBase64, toHex, utf8 } from '../../core/bytes.ts';
import { Ed25519Signer, randomSeed } from '../../core/crypto/ed25519.ts';
import type { HsmKey, HsmRecord } from '../../core/entries/deployment-evidence.ts';
import { ID_PATTERN } from '../../core/entries/schema.ts';
import { FleetlogError, isFleetlogError } from '../../core/errors.ts';
import { parseVerifierKey, type PublicKeyInfo } from '../../core/note/keys.ts';
import { Acceptor, MemoryAcceptorStore, type AcceptorStore } from '../consensus/acceptor.ts';
import { compareBallots, formatBallot, isBallot, ZERO_BALLOT, type Ballot } from '../consensus/ballot.ts';
import { majority, Proposer, type ProposeOutcome, type ReplicaLink } from '../consensus/proposer.ts';
import { aeadSeal, hmacEqual, randomId, randomKey, x25519KeyPair, type X25519KeyPair } from './crypto.ts';
import {
  ALG_IDENTITY,
  ALG_OPAQUE,
  checkDevice,
  deviceKeys,
  openFleetSecrets,
  sealFleetSecrets,
  type DeviceDescription,
  type SealedFleetSecrets,
} from './device.ts';
import { peerMac, peerMacKey, peerReplyMac, registrationResponseMessage, transportKey } from './wire.ts';
import type { Json } from '../../core/entries/canonical-json.ts';
import { measure, type FirmwareImage } from './firmware.ts';
import type {
  ClientRequest,
  InfoReply,
  PeerReply,
  PeerRequest,
  RecoverAbortReply,
  RecoverFinishReply,
  RecoverStartReply,
  RegisterFinishReply,
  RegisterStartReply,
  ReplicaStatus,
} from './messages.ts';
import { openValue, sealValue, type VaultValue } from './vault-value.ts';
import {
  destroyIfExhausted,
  guessChange,
  readStatus,
  registerChange,
  resetChange,
  type VaultChange,
} from './vault-ops.ts';
import type { Attestor, HsmVendor } from './vendor.ts';

export const DEFAULT_GUESS_LIMIT = 10;
/** How long a recovery may sit between its two messages before the HSM gives up on it. */
export const DEFAULT_LOGIN_TTL_MS = 60_000;
const MAX_PENDING = 10_000;
const USER_ID = /^[A-Za-z0-9._@+-]{1,128}$/;

/** How an HSM reaches its fleet peers (itself included). */
export interface PeerTransport {
  readonly replicas: readonly string[];
  send(to: string, request: PeerRequest): Promise<PeerReply>;
}

/** What a sync did: registers read through consensus, and how many of them changed here. */
export interface SyncReport {
  readonly registers: number;
  readonly repaired: number;
}

export interface HsmOptions {
  readonly id: string;
  readonly region: string;
  /** Unique small integer in the fleet: the CASPaxos ballot tie-breaker. */
  readonly index: number;
  readonly firmware: FirmwareImage;
  readonly vendor: HsmVendor;
  /** Vendor roots this firmware trusts when cloning secrets to a peer. */
  readonly trustedVendors: readonly string[];
  readonly peers: PeerTransport;
  readonly store?: AcceptorStore;
  /** The device's identity key, kept across restarts (hsm-process.ts); a fresh one when absent. */
  readonly identity?: Ed25519Signer;
  readonly guessLimit?: number;
  readonly loginTtlMs?: number;
  readonly now?: () => number;
}

interface FleetSecrets {
  readonly fleetId: string;
  readonly opaqueSetup: string;
  readonly vaultKey: Uint8Array;
  readonly peerKey: Uint8Array;
  readonly opaquePublicKey: string;
}

interface PendingLogin {
  readonly userId: string;
  readonly generation: string;
  readonly serverLoginState: string;
  readonly remaining: number;
  readonly expiresAt: number;
}

function freshIdentity(): Ed25519Signer {
  const seed = randomSeed();
  const signer = new Ed25519Signer(seed);
  seed.fill(0);
  return signer;
}

export class Hsm {
  readonly id: string;
  readonly region: string;
  readonly index: number;
  readonly measurement: string;
  readonly firmwareRelease: string;
  readonly guessLimit: number;

  readonly #identity: Ed25519Signer;
  readonly #transport: X25519KeyPair;
  readonly #attest: Attestor;
  readonly #vendors: readonly PublicKeyInfo[];
  readonly #acceptor: Acceptor;
  readonly #peers: PeerTransport;
  readonly #proposer: Proposer;
  readonly #pending = new Map<string, PendingLogin>();
  readonly #loginTtlMs: number;
  readonly #now: () => number;
  #fleet: FleetSecrets | undefined;
  #bundle: string | null = null;
  /** Set while this replica may have missed commits (restart, rejoin, lost majority): see sync(). */
  #stale: boolean;
  /** Bumped by markStale(); a sync clears `#stale` only if no new reason to be stale arose meanwhile. */
  #staleEpoch = 0;
  #syncing: Promise<SyncReport> | undefined;

  constructor(options: HsmOptions) {
    this.id = options.id;
    this.region = options.region;
    this.index = options.index;
    this.measurement = measure(options.firmware);
    this.firmwareRelease = options.firmware.release;
    this.guessLimit = options.guessLimit ?? DEFAULT_GUESS_LIMIT;
    this.#loginTtlMs = options.loginTtlMs ?? DEFAULT_LOGIN_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#identity = options.identity ?? freshIdentity();
    this.#transport = x25519KeyPair();
    this.#attest = options.vendor.attestorFor(this.id, this.measurement);
    this.#vendors = options.trustedVendors.map((v) => parseVerifierKey(v));
    this.#acceptor = new Acceptor(options.store ?? new MemoryAcceptorStore());
    // A store that already holds registers or a promise belongs to a device that ran before: it
    // was down for a while and may have missed commits.
    this.#stale = this.#acceptor.used;
    this.#peers = options.peers;
    this.#proposer = new Proposer(this.#replicaLink(), { node: options.index });
  }

  get fleetId(): string | null {
    return this.#fleet?.fleetId ?? null;
  }

  get identityKey(): string {
    return toHex(this.#identity.publicKey.bytes);
  }

  /** The fleet's OPAQUE server static public key (hex), once the HSM holds the fleet secrets. */
  get opaquePublicKey(): string | null {
    return this.#fleet?.opaquePublicKey ?? null;
  }

  // ---------------------------------------------------------------- ceremony

  describe(): DeviceDescription {
    const keys = deviceKeys(this.identityKey, toHex(this.#transport.publicKey));
    return {
      hsmId: this.id,
      region: this.region,
      measurement: this.measurement,
      identityKey: keys[0]!.publicKey,
      transportKey: keys[1]!.publicKey,
      attestation: this.#attest({ hsmId: this.id, keys, measurement: this.measurement }),
    };
  }

  /** Creates the fleet secrets inside this HSM (the first HSM of a ceremony). */
  async createFleet(fleetId: string): Promise<void> {
    if (typeof fleetId !== 'string' || !ID_PATTERN.test(fleetId))
      throw new FleetlogError(
        'usage',
        'a fleet id is 1-64 characters of a-z 0-9 . _ - (starting with a letter or digit)',
      );
    if (this.#fleet) throw new FleetlogError('conflict', `${this.id} already belongs to fleet ${this.#fleet.fleetId}`);
    await opaque.ready;
    this.#install(fleetId, opaque.server.createSetup(), randomKey());
  }

  /** Seals the fleet secrets to a peer HSM, after checking its vendor attestation and firmware. */
  exportFleetSecrets(peer: DeviceDescription): SealedFleetSecrets {
    const fleet = this.#requireFleet();
    checkDevice(peer, this.#vendors, this.measurement);
    return sealFleetSecrets(fleet, { id: this.id, identity: this.#identity }, peer);
  }

  async importFleetSecrets(sealed: SealedFleetSecrets, sender: DeviceDescription): Promise<void> {
    if (this.#fleet) throw new FleetlogError('conflict', `${this.id} already belongs to fleet ${this.#fleet.fleetId}`);
    checkDevice(sender, this.#vendors, this.measurement);
    const s = openFleetSecrets(sealed, { id: this.id, transportKey: this.#transport.privateKey }, sender);
    await opaque.ready;
    this.#install(s.fleetId, s.opaqueSetup, s.vaultKey);
  }

  /** This HSM's entry in the deployment evidence: its fleet keys, attested by the vendor. */
  fleetRecord(): HsmRecord {
    const fleet = this.#requireFleet();
    const keys: HsmKey[] = [
      { alg: ALG_IDENTITY, publicKey: this.identityKey },
      { alg: ALG_OPAQUE, publicKey: fleet.opaquePublicKey },
    ];
    return {
      id: this.id,
      region: this.region,
      keys,
      measurement: this.measurement,
      attestation: this.#attest({ hsmId: this.id, keys, measurement: this.measurement }),
    };
  }

  /** The operator installs the fleet's logged bundle so clients can receive it with a response. */
  installBundle(bundle: string): void {
    this.#bundle = bundle;
  }

  #install(fleetId: string, opaqueSetup: string, vaultKey: Uint8Array): void {
    const pub = toHex(new Uint8Array(Buffer.from(opaque.server.getPublicKey(opaqueSetup), 'base64url')));
    this.#fleet = { fleetId, opaqueSetup, vaultKey, peerKey: peerMacKey(vaultKey), opaquePublicKey: pub };
  }

  #requireFleet(): FleetSecrets {
    if (!this.#fleet)
      throw new FleetlogError('unavailable', `${this.id} holds no fleet secrets yet (run the ceremony)`);
    return this.#fleet;
  }

  // ---------------------------------------------------------------- peers (CASPaxos acceptor)

  handlePeer(request: PeerRequest): PeerReply {
    const fleet = this.#requireFleet();
    if (typeof request !== 'object' || request === null || typeof request.key !== 'string' || !isBallot(request.ballot))
      throw new FleetlogError('usage', 'malformed peer request');
    const value = request.type === 'accept' ? fromBase64(request.value) : undefined;
    if (request.type !== 'prepare' && request.type !== 'accept' && request.type !== 'keys')
      throw new FleetlogError('usage', 'unknown peer request type');
    if (
      !hmacEqual(
        fromHex(request.mac, 32, 'mac'),
        peerMac(fleet.peerKey, request.type, request.key, request.ballot, value),
      )
    ) {
      throw new FleetlogError('forbidden', 'peer message is not authenticated by the fleet key');
    }
    let reply: PeerReply;
    if (request.type === 'prepare') {
      const r = this.#acceptor.prepare(request.key, request.ballot);
      reply = r.ok ? { ok: true, accepted: r.accepted, value: r.value === null ? null : toBase64(r.value) } : r;
    } else if (request.type === 'accept') reply = this.#acceptor.accept(request.key, request.ballot, value!);
    else reply = { ok: true, keys: this.#acceptor.keys().filter((k) => k.startsWith('vault/')) };
    return { ...reply, mac: toHex(peerReplyMac(fleet.peerKey, request.mac, reply as unknown as Json)) };
  }

  /**
   * A peer's reply, if its MAC (bound to our request's MAC) verifies. Anything else, from an
   * impostor at the peer's address or a replay, counts as no reply: `unavailable`.
   */
  #openReply(to: string, requestMac: string, reply: PeerReply): PeerReply {
    const { mac, ...rest } = (reply ?? {}) as PeerReply;
    let ok = false;
    try {
      ok =
        typeof mac === 'string' &&
        hmacEqual(
          fromHex(mac, 32, 'mac'),
          peerReplyMac(this.#requireFleet().peerKey, requestMac, rest as unknown as Json),
        );
    } catch {
      ok = false;
    }
    if (!ok) throw new FleetlogError('unavailable', `${to} sent a reply not authenticated by the fleet key`);
    return rest as PeerReply;
  }

  #replicaLink(): ReplicaLink {
    const peers = this.#peers;
    const mac = (type: PeerRequest['type'], key: string, ballot: Ballot, value?: Uint8Array): string =>
      toHex(peerMac(this.#requireFleet().peerKey, type, key, ballot, value));
    return {
      get replicas() {
        return peers.replicas;
      },
      // The local acceptor is called directly: no network hop (and no MAC) for this HSM's own vote.
      prepare: async (to, key, ballot) => {
        if (to === this.id) return this.#acceptor.prepare(key, ballot);
        const requestMac = mac('prepare', key, ballot);
        const r = this.#openReply(
          to,
          requestMac,
          await peers.send(to, { type: 'prepare', key, ballot, mac: requestMac }),
        );
        if (!r.ok) return { ok: false, promised: r.promised };
        return { ok: true, accepted: r.accepted!, value: r.value ? fromBase64(r.value) : null };
      },
      accept: async (to, key, ballot, value) => {
        if (to === this.id) return this.#acceptor.accept(key, ballot, value);
        const requestMac = mac('accept', key, ballot, value);
        const r = this.#openReply(
          to,
          requestMac,
          await peers.send(to, { type: 'accept', key, ballot, value: toBase64(value), mac: requestMac }),
        );
        return r.ok ? { ok: true } : { ok: false, promised: r.promised };
      },
    };
  }

  /** Runs one vault change through CASPaxos. A sealed value that does not open is an error. */
  async #change<T>(userId: string, change: VaultChange<T>): Promise<T> {
    return (await this.#propose(userId, change)).result;
  }

  async #propose<T>(userId: string, change: VaultChange<T>): Promise<ProposeOutcome<T>> {
    const fleet = this.#requireFleet();
    try {
      return await this.#proposer.propose(`vault/${userId}`, (current) => {
        const value =
          current === null || isEmptyMark(current) ? null : openValue(fleet.vaultKey, fleet.fleetId, userId, current);
        const { next, result } = change(value);
        // A refusal writes the current value back so the refusal is linearizable. An empty register
        // stays empty without a write (specs/consensus.md §1.1): a request for a user that does not
        // exist must leave no row on any HSM, or anyone could grow every HSM's store without bound.
        const write: VaultValue | null = next ?? value;
        if (write === null) return { value: current === null ? null : EMPTY_MARK, result };
        return { value: sealValue(fleet.vaultKey, fleet.fleetId, userId, write), result };
      });
    } catch (e) {
      // Cut off from a majority (the proposer's `unavailable` names the replicas it reached):
      // commits may now happen without this replica, so catch up before answering again. Losing
      // ballot races to other proposers is not that, and must not cost a full catch-up.
      if (isFleetlogError(e, 'unavailable') && e.detail?.need !== undefined) this.markStale();
      throw e;
    }
  }

  // ---------------------------------------------------------------- rejoining (specs/consensus.md §2.1)

  /** True while this replica may lag the fleet; it answers no client request until sync() succeeds. */
  get stale(): boolean {
    return this.#stale;
  }

  /**
   * Tells the HSM it was away (restarted, stopped, or partitioned): it may have missed commits,
   * so it must catch up before it serves a client again.
   */
  markStale(): void {
    this.#stale = true;
    this.#staleEpoch++;
  }

  /**
   * Catches up on every register the fleet holds: asks the peers which registers they hold
   * (replies from a majority, this replica included, name every register that was ever committed,
   * since a commit reaches a majority and two majorities meet), then runs a consensus read of each
   * register. A read reconciles a majority and writes the winning value back here, so a record
   * tombstoned while this HSM was away is overwritten by its tombstone (and the SQLite store's
   * secure_delete overwrites the old bytes). Throws `unavailable` without a majority; the HSM then
   * stays stale. Concurrent calls share one run.
   */
  sync(): Promise<SyncReport> {
    this.#syncing ??= this.#runSync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #runSync(): Promise<SyncReport> {
    const fleet = this.#requireFleet();
    const epoch = this.#staleEpoch;
    const others = this.#peers.replicas.filter((r) => r !== this.id);
    // A fresh nonce in the key field: the reply's MAC is bound to it, so an old key list cannot be
    // replayed in answer to this one.
    const nonce = randomId();
    const mac = toHex(peerMac(fleet.peerKey, 'keys', nonce, ZERO_BALLOT));
    const replies = await Promise.allSettled(
      others.map(async (to) =>
        this.#openReply(to, mac, await this.#peers.send(to, { type: 'keys', key: nonce, ballot: ZERO_BALLOT, mac })),
      ),
    );
    const keys = new Set(this.#acceptor.keys().filter((k) => k.startsWith('vault/')));
    let answered = 1; // this replica
    for (const r of replies) {
      if (r.status !== 'fulfilled' || !r.value.ok || !Array.isArray(r.value.keys)) continue;
      answered++;
      for (const k of r.value.keys)
        if (typeof k === 'string' && /^vault\/[A-Za-z0-9._@+-]{1,128}$/.test(k)) keys.add(k);
    }
    const need = majority(this.#peers.replicas.length);
    if (answered < need)
      throw new FleetlogError(
        'unavailable',
        `${this.id} is catching up after rejoining and reached only ${answered} of ${this.#peers.replicas.length} replicas (a majority needs ${need})`,
      );
    let repaired = 0;
    for (const key of [...keys].sort()) {
      const userId = key.slice('vault/'.length);
      const before = this.#acceptor.slot(key)?.accepted ?? ZERO_BALLOT;
      await this.#readHere(userId);
      if (compareBallots(this.#acceptor.slot(key)?.accepted ?? ZERO_BALLOT, before) > 0) repaired++;
    }
    if (epoch === this.#staleEpoch) this.#stale = false;
    return { registers: keys.size, repaired };
  }

  /**
   * A consensus read whose write-back lands on this replica. The local accept can only miss when
   * another proposer's higher prepare slipped in between; then read again.
   */
  async #readHere(userId: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const out = await this.#propose(userId, () => ({ next: null, result: undefined }));
      // Empty at a majority that (almost always) included this replica: nothing to hold here.
      if (!out.wrote && !this.#acceptor.slot(`vault/${userId}`)?.value) return;
      const local = this.#acceptor.slot(`vault/${userId}`)?.accepted ?? ZERO_BALLOT;
      if (compareBallots(local, out.ballot) >= 0) return;
    }
    throw new FleetlogError('unavailable', `${this.id} could not catch up on ${userId}: other proposers kept winning`);
  }

  // ---------------------------------------------------------------- clients

  async handleClient(request: ClientRequest): Promise<unknown> {
    this.#sweep();
    if (request?.op !== 'info' && this.#stale) {
      try {
        await this.sync();
      } catch (e) {
        if (!isFleetlogError(e)) throw e;
        throw new FleetlogError('unavailable', `${this.id} is catching up and cannot answer yet: ${e.message}`);
      }
    }
    switch (request?.op) {
      case 'info':
        return this.info();
      case 'register-start':
        return this.registerStart(request.userId, request.request);
      case 'register-finish':
        return this.registerFinish(request.userId, request.record, request.wrappedKey);
      case 'recover-start':
        return this.recoverStart(request.userId, request.request);
      case 'recover-finish':
        return this.recoverFinish(request.attemptId, request.finish);
      case 'recover-abort':
        return this.recoverAbort(request.attemptId);
      default:
        throw new FleetlogError('usage', 'unknown request');
    }
  }

  info(): InfoReply {
    return { hsmId: this.id, region: this.region, fleetId: this.fleetId, bundle: this.#bundle };
  }

  /** OPAQUE registration, first half. Stateless; signed so the client knows a fleet HSM evaluated it. */
  registerStart(userId: string, request: string): RegisterStartReply {
    const fleet = this.#requireFleet();
    checkUserId(userId);
    const { registrationResponse } = callOpaque(() =>
      opaque.server.createRegistrationResponse({
        serverSetup: fleet.opaqueSetup,
        userIdentifier: userId,
        registrationRequest: request,
      }),
    );
    const signature = toHex(
      this.#identity.sign(registrationResponseMessage(fleet.fleetId, userId, request, registrationResponse)),
    );
    return { hsmId: this.id, response: registrationResponse, signature };
  }

  /**
   * Stores the registration record and wrapped key, committed by a majority. Only where no live
   * record exists: an unauthenticated request must not be able to replace someone's backup.
   */
  async registerFinish(userId: string, record: string, wrappedKey: string): Promise<RegisterFinishReply> {
    checkUserId(userId);
    if (
      typeof record !== 'string' ||
      record.length > 4096 ||
      typeof wrappedKey !== 'string' ||
      wrappedKey.length > 4096
    )
      throw new FleetlogError('usage', 'malformed registration');
    const generation = randomId();
    return this.#change(userId, registerChange({ generation, record, wrappedKey, limit: this.guessLimit }));
  }

  /**
   * Recovery, first half: the guess is counted and committed by a majority BEFORE this HSM
   * computes the OPAQUE response. Without a majority nothing is answered.
   */
  async recoverStart(userId: string, request: string): Promise<RecoverStartReply> {
    const fleet = this.#requireFleet();
    checkUserId(userId);
    if (this.#pending.size >= MAX_PENDING) throw new FleetlogError('unavailable', 'too many recoveries in progress');
    const attemptId = randomId();
    const guess = await this.#change(userId, guessChange(attemptId));
    if (!guess.ok) throw new FleetlogError('forbidden', guess.reason);
    const { loginResponse, serverLoginState } = callOpaque(() =>
      opaque.server.startLogin({
        serverSetup: fleet.opaqueSetup,
        userIdentifier: userId,
        registrationRecord: guess.record,
        startLoginRequest: request,
      }),
    );
    this.#pending.set(attemptId, {
      userId,
      generation: guess.generation,
      serverLoginState,
      remaining: guess.remaining,
      expiresAt: this.#now() + this.#loginTtlMs,
    });
    return { hsmId: this.id, attemptId, response: loginResponse, remaining: guess.remaining };
  }

  /** Recovery, second half: a valid OPAQUE finish resets the counter (majority) and releases the key. */
  async recoverFinish(attemptId: string, finish: string): Promise<RecoverFinishReply> {
    const pending = this.#takePending(attemptId);
    let sessionKey: string;
    try {
      sessionKey = opaque.server.finishLogin({
        serverLoginState: pending.serverLoginState,
        finishLoginRequest: finish,
      }).sessionKey;
    } catch {
      if (pending.remaining === 0) await this.#destroyIfExhausted(pending).catch(() => undefined);
      throw new FleetlogError('forbidden', 'recovery failed: the OPAQUE login did not verify');
    }
    const reset = await this.#change(pending.userId, resetChange(pending.generation));
    if (!reset.ok) throw new FleetlogError('forbidden', reset.reason);
    const key = transportKey(sessionKey);
    const sealedKey = toBase64(aeadSeal(key, utf8(reset.wrappedKey), utf8(pending.userId)));
    key.fill(0);
    return { sealedKey, remaining: reset.remaining };
  }

  /** The client gave up (e.g. wrong password). If that was the last guess, destroy the record now. */
  async recoverAbort(attemptId: string): Promise<RecoverAbortReply> {
    const pending = this.#takePending(attemptId);
    if (pending.remaining > 0) return { destroyed: false };
    return { destroyed: await this.#destroyIfExhausted(pending) };
  }

  status(userId: string): ReplicaStatus {
    checkUserId(userId);
    const slot = this.#acceptor.slot(`vault/${userId}`);
    const base = {
      hsmId: this.id,
      promised: formatBallot(slot?.promised ?? { round: 0, node: 0 }),
      accepted: formatBallot(slot?.accepted ?? { round: 0, node: 0 }),
    };
    if (!slot?.value || isEmptyMark(slot.value)) return { ...base, kind: 'empty' };
    const fleet = this.#requireFleet();
    return { ...base, ...readStatus(openValue(fleet.vaultKey, fleet.fleetId, userId, slot.value)) };
  }

  /** Reads every register this replica knows through consensus, writing the majority value back. */
  async reconcileAll(): Promise<number> {
    let n = 0;
    for (const key of this.#acceptor.keys()) {
      if (!key.startsWith('vault/')) continue;
      await this.#change(key.slice(6), () => ({ next: null, result: undefined }));
      n++;
    }
    return n;
  }

  async #destroyIfExhausted(pending: PendingLogin): Promise<boolean> {
    return this.#change(pending.userId, destroyIfExhausted(pending.generation));
  }

  #takePending(attemptId: string): PendingLogin {
    const pending = typeof attemptId === 'string' ? this.#pending.get(attemptId) : undefined;
    if (!pending || pending.expiresAt <= this.#now())
      throw new FleetlogError(
        'not_found',
        'no such recovery in progress on this HSM (expired, finished, or started elsewhere)',
      );
    this.#pending.delete(attemptId);
    return pending;
  }

  /** Expired last-guess recoveries destroy their record: walking away does not save the guess. */
  #sweep(): void {
    const now = this.#now();
    for (const [id, p] of this.#pending) {
      if (p.expiresAt > now) continue;
      this.#pending.delete(id);
      if (p.remaining === 0) void this.#destroyIfExhausted(p).catch(() => undefined);
    }
  }

  toJSON(): { hsm: string } {
    return { hsm: this.id };
  }
}

/**
 * An "empty" register, as reads of never-used keys wrote back before empty registers stopped taking
 * rows (one byte, never a sealed value); still read, and kept once a register holds it.
 */
const EMPTY_MARK = Uint8Array.of(0);
function isEmptyMark(v: Uint8Array): boolean {
  return v.length === 1 && v[0] === 0;
}

function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || !USER_ID.test(userId))
    throw new FleetlogError('usage', 'user id must be 1-128 characters of A-Z a-z 0-9 . _ @ + -');
}

function callOpaque<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new FleetlogError('usage', `malformed OPAQUE message: ${e instanceof Error ? e.message : String(e)}`);
  }
}
