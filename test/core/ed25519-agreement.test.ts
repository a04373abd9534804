// The native (OpenSSL) and noble Ed25519 backends must agree on every input, and both must follow
// the rules documented in core/crypto/ed25519.ts. Cases come from specs/vectors/ed25519-cases.ts,
// built so that the expected outcome is known by construction; an independent oracle written
// here from the documented rules (noble Point math, no core code) double-checks each one.
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../core/bytes.ts';
import type { CryptoBackend } from '../../core/crypto/backend.ts';
import { Ed25519PublicKey, Ed25519Signer, isCanonicalS, publicKeyProblem } from '../../core/crypto/ed25519.ts';
import { nativeBackend, nobleBackend } from '../../core/crypto/select.ts';
import { buildEd25519Cases, fromLe, L, le32, RFC8032_SEEDS, torsionPoints } from '../../specs/vectors/ed25519-cases.ts';
import { codeOf } from '../support/error-code.ts';

ed.hashes.sha512 = sha512;
const native = nativeBackend!;
const backends: Array<[string, CryptoBackend]> = [
  ['native', native],
  ['noble', nobleBackend],
];
const cases = buildEd25519Cases();

/** The documented rules, written out directly: strict decoding, no small order, S < L, cofactorless, R byte-exact. */
function oracle(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): { keyAccepted: boolean; valid: boolean } {
  let A: ed.Point;
  try {
    A = ed.Point.fromBytes(publicKey, false);
  } catch {
    return { keyAccepted: false, valid: false };
  }
  if (A.multiply(8n, false).is0()) return { keyAccepted: false, valid: false };
  if (signature.length !== 64) return { keyAccepted: true, valid: false };
  const s = fromLe(signature.subarray(32));
  if (s >= L) return { keyAccepted: true, valid: false };
  const k = fromLe(sha512(concatBytes(signature.subarray(0, 32), publicKey, message))) % L;
  const check = ed.Point.BASE.multiply(s, false).subtract(A.multiply(k, false));
  return { keyAccepted: true, valid: toHex(check.toBytes()) === toHex(signature.subarray(0, 32)) };
}

function verifyWith(
  backend: CryptoBackend,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean | 'key rejected' {
  if (publicKeyProblem(publicKey) !== undefined) return 'key rejected';
  return new Ed25519PublicKey(publicKey).verify(message, signature, backend);
}

describe('Ed25519 backends', () => {
  it('the native backend is available in Node (otherwise this test proves nothing)', () => {
    expect(nativeBackend?.name).toBe('node');
    expect(nobleBackend.name).toBe('noble');
  });

  it('covers every category of edge case', () => {
    const categories = new Set(cases.map((c) => c.category));
    for (const c of [
      'rfc8032',
      'non-canonical-s',
      'small-order-a',
      'non-canonical-a',
      'non-canonical-r',
      'mixed-order',
      'small-order-r',
      'ordinary',
    ])
      expect(categories).toContain(c);
    // Both outcomes occur among mixed-order cases: that is where cofactored and cofactorless differ.
    expect(
      cases
        .filter((c) => c.category === 'mixed-order')
        .map((c) => c.valid)
        .sort(),
    ).toEqual([false, false, false, true, true]);
    expect(cases.filter((c) => c.category === 'small-order-a' && c.publicKey.length === 64)).toHaveLength(8 + 2 + 4);
  });

  it.each(cases.map((c) => [c.description, c] as const))('%s', (_, c) => {
    const publicKey = fromHex(c.publicKey);
    const message = fromHex(c.message);
    const signature = fromHex(c.signature);
    expect(oracle(publicKey, message, signature)).toEqual({ keyAccepted: c.keyAccepted, valid: c.valid });
    if (!c.keyAccepted) {
      expect(publicKeyProblem(publicKey)).toBeTypeOf('string');
      expect(codeOf(() => new Ed25519PublicKey(publicKey))).toBe('bad_key');
      return;
    }
    expect(publicKeyProblem(publicKey)).toBeUndefined();
    for (const [name, backend] of backends)
      expect(verifyWith(backend, publicKey, message, signature), name).toBe(c.valid);
  });

  it('all 8 small-order points are refused as keys, and each is its own encoding class', () => {
    const encodings = torsionPoints().map((t) => toHex(t.toBytes()));
    expect(new Set(encodings).size).toBe(8);
    expect(encodings).toContain(`01${'00'.repeat(31)}`); // identity
    expect(encodings).toContain(`ec${'ff'.repeat(30)}7f`); // order 2: y = p - 1
    expect(encodings).toContain('00'.repeat(32)); // order 4: y = 0
    expect(encodings).toContain(`${'00'.repeat(31)}80`);
    for (const e of encodings) expect(publicKeyProblem(fromHex(e))).toMatch(/small order/);
  });

  it('rule 1 is what keeps the backends together: bare OpenSSL and bare noble disagree on a non-canonical identity key', () => {
    const c = cases.find((x) => x.description.startsWith('identity encoded non-canonically'))!;
    const [publicKey, message, signature] = [fromHex(c.publicKey), fromHex(c.message), fromHex(c.signature)];
    // OpenSSL reduces y mod p, sees the identity, and the forged signature passes for any message.
    expect(native.verify(native.preparePublicKey(publicKey), message, signature)).toBe(true);
    // noble's strict decoder refuses the encoding outright.
    expect(() => nobleBackend.preparePublicKey(publicKey)).toThrow();
    // Through Ed25519PublicKey, the key never gets that far.
    expect(publicKeyProblem(publicKey)).toMatch(/canonical/);
  });

  it('small-order keys are dangerous: with rule 1 skipped, both bare backends accept the constructed signatures', () => {
    const bare = cases.filter((c) => c.category === 'small-order-a' && c.description.includes('bare equation accepts'));
    expect(bare).toHaveLength(8);
    for (const c of bare) {
      const [publicKey, message, signature] = [fromHex(c.publicKey), fromHex(c.message), fromHex(c.signature)];
      for (const [name, backend] of backends)
        expect(
          backend.verify(backend.preparePublicKey(publicKey), message, signature),
          `${name}: ${c.description}`,
        ).toBe(true);
    }
  });

  it('rule 2 runs before either backend: S + L is refused without asking OpenSSL or noble', () => {
    const c = cases.find((x) => x.description.includes('S + L'))!;
    expect(isCanonicalS(fromHex(c.signature))).toBe(false);
    const good = RFC8032_SEEDS[0]!;
    expect(isCanonicalS(fromHex(good.signature))).toBe(true);
    expect(isCanonicalS(concatBytes(new Uint8Array(32), le32(L - 1n)))).toBe(true);
    expect(isCanonicalS(concatBytes(new Uint8Array(32), le32(L)))).toBe(false);
  });

  it.each(RFC8032_SEEDS.map((v, i) => [i + 1, v] as const))(
    'both backends derive the RFC 8032 TEST %i key and signature from the seed',
    (_, v) => {
      for (const [name, backend] of backends) {
        const signer = new Ed25519Signer(fromHex(v.seed), backend);
        expect(toHex(signer.publicKey.bytes), name).toBe(v.publicKey);
        expect(toHex(signer.sign(fromHex(v.message))), name).toBe(v.signature);
      }
    },
  );

  it('random keys, messages and single-bit corruptions: both backends and the oracle agree', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: -1, max: 64 * 8 + 80 * 8 - 1 }),
        (seed, message, bit) => {
          const signer = new Ed25519Signer(seed, native);
          const nobleSigner = new Ed25519Signer(seed, nobleBackend);
          const signature = signer.sign(message);
          expect(toHex(nobleSigner.sign(message))).toBe(toHex(signature));
          // bit -1: unchanged; below 512: a signature bit; otherwise a message bit.
          const sig = Uint8Array.from(signature);
          const msg = Uint8Array.from(message);
          if (bit >= 0 && bit < 512) sig[bit >> 3]! ^= 1 << (bit & 7);
          else if (bit >= 512 && (bit - 512) >> 3 < msg.length) msg[(bit - 512) >> 3]! ^= 1 << (bit & 7);
          const expected = oracle(signer.publicKey.bytes, msg, sig).valid;
          for (const [name, backend] of backends)
            expect(signer.publicKey.verify(msg, sig, backend), name).toBe(expected);
          if (bit === -1) expect(expected).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('random 32-byte strings as keys: rule 1 matches the oracle, and both backends reject random signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (key, signature) => {
          const expected = oracle(key, new Uint8Array(0), signature);
          expect(publicKeyProblem(key) === undefined).toBe(expected.keyAccepted);
          if (!expected.keyAccepted) return;
          for (const [name, backend] of backends)
            expect(verifyWith(backend, key, new Uint8Array(0), signature), name).toBe(expected.valid);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('verify never throws: wrong lengths are simply invalid', () => {
    const v = RFC8032_SEEDS[0]!;
    const key = new Ed25519PublicKey(fromHex(v.publicKey));
    for (const [, backend] of backends) {
      for (const len of [0, 32, 63, 65, 128])
        expect(key.verify(new Uint8Array(0), new Uint8Array(len), backend)).toBe(false);
    }
    for (const len of [0, 31, 33]) expect(publicKeyProblem(new Uint8Array(len))).toMatch(/32 bytes/);
  });

  it('a signer keeps its key when the caller zeroes the seed afterwards (as the simulated HSMs do)', () => {
    const v = RFC8032_SEEDS[0]!;
    for (const [name, backend] of backends) {
      const seed = fromHex(v.seed);
      const signer = new Ed25519Signer(seed, backend);
      seed.fill(0);
      expect(toHex(signer.sign(fromHex(v.message))), name).toBe(v.signature);
    }
  });
});
