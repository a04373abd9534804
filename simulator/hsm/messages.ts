/**
 * The messages an HSM answers: from clients (registration, recovery, fleet info) and from peer
 * HSMs (CASPaxos prepare/accept, authenticated with the fleet's peer key). All fields are JSON
 * strings and numbers, so the same messages travel in-process and over HTTP.
 */
import type { Ballot } from '../consensus/ballot.ts';

export type ClientRequest =
  | { readonly op: 'info' }
  | { readonly op: 'register-start'; readonly userId: string; readonly request: string }
  | { readonly op: 'register-finish'; readonly userId: string; readonly record: string; readonly wrappedKey: string }
  | { readonly op: 'recover-start'; readonly userId: string; readonly request: string }
  | { readonly op: 'recover-finish'; readonly attemptId: string; readonly finish: string }
  | { readonly op: 'recover-abort'; readonly attemptId: string };

export interface InfoReply {
  readonly hsmId: string;
  readonly region: string;
  readonly fleetId: string | null;
  /** The fleet's offline bundle (core/audit/fleet-bundle.ts), if the operator installed one. */
  readonly bundle: string | null;
}

export interface RegisterStartReply {
  readonly hsmId: string;
  readonly response: string;
  /** Ed25519 signature (hex) by this HSM's identity key over registrationResponseMessage(). */
  readonly signature: string;
}

export interface RegisterFinishReply {
  readonly generation: string;
  readonly remaining: number;
}

export interface RecoverStartReply {
  readonly hsmId: string;
  readonly attemptId: string;
  readonly response: string;
  /** Guesses left after this one, as committed by a majority. */
  readonly remaining: number;
}

export interface RecoverFinishReply {
  /** The wrapped backup key, sealed under a key derived from the OPAQUE session key (base64). */
  readonly sealedKey: string;
  readonly remaining: number;
}

export interface RecoverAbortReply {
  readonly destroyed: boolean;
}

/** One replica's local view (not a consensus read): for status reports and tests. */
export interface ReplicaStatus {
  readonly hsmId: string;
  readonly promised: string;
  readonly accepted: string;
  readonly kind: 'empty' | 'live' | 'destroyed';
  readonly generation?: string;
  readonly remaining?: number;
}

export type PeerRequest =
  | { readonly type: 'prepare'; readonly key: string; readonly ballot: Ballot; readonly mac: string }
  /** Which registers the replica holds (key and ballot are '' and zero): a rejoining HSM's sync. */
  | { readonly type: 'keys'; readonly key: string; readonly ballot: Ballot; readonly mac: string }
  | {
      readonly type: 'accept';
      readonly key: string;
      readonly ballot: Ballot;
      readonly value: string;
      readonly mac: string;
    };

/** `mac`: peerReplyMac (wire.ts) over the reply without it, bound to the request's MAC. */
export type PeerReply =
  | {
      readonly ok: true;
      readonly accepted?: Ballot;
      readonly value?: string | null;
      readonly keys?: string[];
      readonly mac?: string;
    }
  | { readonly ok: false; readonly promised: Ballot; readonly mac?: string };
