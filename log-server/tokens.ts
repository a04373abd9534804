/**
 * Submitter bearer tokens. A token is 32 random bytes, shown once as `fleetlog_<base64url>`; the log
 * stores only its SHA-256, so a copy of the database does not let anyone submit.
 */
import { randomBytes } from 'node:crypto';
import { utf8 } from '../core/bytes.ts';
import { sha256 } from '../core/crypto/sha256.ts';
import { FleetlogError } from '../core/errors.ts';

const PREFIX = 'fleetlog_';
const TOKEN = /^fleetlog_[A-Za-z0-9_-]{43}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function newToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): Uint8Array {
  return sha256(utf8(token));
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN.test(token);
}

export function assertTokenName(name: string): void {
  if (!NAME.test(name))
    throw new FleetlogError(
      'usage',
      `token name ${JSON.stringify(name.slice(0, 70))} must be 1-64 letters, digits, '.', '_' or '-'`,
    );
}

/** The token in an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer ([!-~]{1,200})$/.exec(header);
  return m ? m[1] : undefined;
}
