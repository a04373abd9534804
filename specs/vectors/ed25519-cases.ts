/**
 * Ed25519 edge cases for fleetlog's verification rules (core/crypto/ed25519.ts), built with
 * @noble/ed25519's Point API and plain BigInt arithmetic so that each case is correct by
 * construction: the expected outcome follows from how the case was made, not from running the
 * verifier. Covers RFC 8032 §7.1 tests 1-3, non-canonical S, all small-order keys (canonical and
 * not), non-canonical A and R encodings, and mixed-order keys and nonces in the style of
 * "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko, 2020), where cofactored and
 * cofactorless verification differ.
 *
 * Deterministic: fixed seeds, and searches that always walk the same sequence.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../core/bytes.ts';

ed.hashes.sha512 = sha512;

export const P = 2n ** 255n - 19n;
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const B = ed.Point.BASE;

export interface Ed25519Case {
  readonly description: string;
  /** Which rule the case exercises. */
  readonly category:
    | 'rfc8032'
    | 'non-canonical-s'
    | 'small-order-a'
    | 'non-canonical-a'
    | 'non-canonical-r'
    | 'mixed-order'
    | 'small-order-r'
    | 'ordinary';
  readonly publicKey: string;
  readonly message: string;
  readonly signature: string;
  /** Whether Ed25519PublicKey accepts the key (rule 1). */
  readonly keyAccepted: boolean;
  /** Whether the signature verifies under all three rules. */
  readonly valid: boolean;
}

export const le32 = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
};
export const fromLe = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
};
const modL = (n: bigint): bigint => ((n % L) + L) % L;
const withSign = (enc: Uint8Array): Uint8Array => {
  const out = Uint8Array.from(enc);
  out[31]! |= 0x80;
  return out;
};
const sig = (r: Uint8Array, s: bigint | Uint8Array): Uint8Array => concatBytes(r, typeof s === 'bigint' ? le32(s) : s);
/** k = SHA-512(R || A || M) mod L, with R and A as the exact bytes in the signature and key. */
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint => modL(fromLe(sha512(concatBytes(r, a, m))));

/** An RFC 8032 key: secret scalar a, nonce prefix, public point A = [a]B. */
export function expandSeed(seed: Uint8Array): { a: bigint; prefix: Uint8Array; A: ed.Point } {
  const h = sha512(seed);
  const scalar = Uint8Array.from(h.subarray(0, 32));
  scalar[0]! &= 248;
  scalar[31]! &= 127;
  scalar[31]! |= 64;
  const a = fromLe(scalar);
  return { a, prefix: h.subarray(32), A: B.multiply(modL(a)) };
}

/** Signs with scalar `a` under arbitrary public-key bytes (possibly not [a]B), nonce r from `rSeed`. */
function signAs(
  a: bigint,
  publicKey: Uint8Array,
  message: Uint8Array,
  rSeed: Uint8Array,
  extraR?: ed.Point,
): { signature: Uint8Array; k: bigint } {
  const r = modL(fromLe(sha512(concatBytes(rSeed, message))));
  let R = B.multiply(r);
  if (extraR) R = R.add(extraR);
  const rBytes = R.toBytes();
  const k = challenge(rBytes, publicKey, message);
  return { signature: sig(rBytes, modL(r + k * a)), k };
}

/** The 8 torsion points [i]T for a generator T of the order-8 subgroup, i = 0..7. */
export function torsionPoints(): ed.Point[] {
  for (let y = 2n; ; y++) {
    let p: ed.Point;
    try {
      p = ed.Point.fromBytes(le32(y));
    } catch {
      continue;
    }
    // [L]p lies in the torsion subgroup; keep it if it has full order 8.
    const t = p.multiply(L - 1n, false).add(p);
    if (!t.multiply(4n, false).is0()) return Array.from({ length: 8 }, (_, i) => t.multiply(BigInt(i), false));
  }
}

const RFC8032: Array<[string, string, string, string]> = [
  // [secret seed, public key, message, signature] from RFC 8032 §7.1, TEST 1-3.
  [
    '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  ],
  [
    '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  ],
  [
    'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  ],
];
export const RFC8032_SEEDS = RFC8032.map(([seed, publicKey, message, signature]) => ({
  seed,
  publicKey,
  message,
  signature,
}));

export function buildEd25519Cases(): Ed25519Case[] {
  const cases: Ed25519Case[] = [];
  const add = (
    c: Omit<Ed25519Case, 'publicKey' | 'message' | 'signature'> & {
      publicKey: Uint8Array;
      message: Uint8Array;
      signature: Uint8Array;
    },
  ): void => {
    cases.push({ ...c, publicKey: toHex(c.publicKey), message: toHex(c.message), signature: toHex(c.signature) });
  };
  const torsion = torsionPoints();
  const rSeed = utf8('fleetlog ed25519 vectors nonce');

  // RFC 8032 known answers, and ordinary invalid signatures made from them.
  RFC8032.forEach(([, pk, msg, s], i) => {
    const publicKey = fromHex(pk);
    const message = fromHex(msg);
    const signature = fromHex(s);
    add({
      description: `RFC 8032 §7.1 TEST ${i + 1}`,
      category: 'rfc8032',
      publicKey,
      message,
      signature,
      keyAccepted: true,
      valid: true,
    });
    add({
      description: `RFC 8032 TEST ${i + 1} with one more message byte`,
      category: 'ordinary',
      publicKey,
      message: concatBytes(message, Uint8Array.of(0)),
      signature,
      keyAccepted: true,
      valid: false,
    });
    const flippedR = Uint8Array.from(signature);
    flippedR[0]! ^= 1;
    add({
      description: `RFC 8032 TEST ${i + 1} with a bit of R flipped`,
      category: 'ordinary',
      publicKey,
      message,
      signature: flippedR,
      keyAccepted: true,
      valid: false,
    });
    const flippedS = Uint8Array.from(signature);
    flippedS[40]! ^= 0x10;
    add({
      description: `RFC 8032 TEST ${i + 1} with a bit of S flipped`,
      category: 'ordinary',
      publicKey,
      message,
      signature: flippedS,
      keyAccepted: true,
      valid: false,
    });
  });
  const [test1Key, test2Key] = [fromHex(RFC8032[0]![1]), fromHex(RFC8032[1]![1])];
  add({
    description: 'RFC 8032 TEST 1 signature under the TEST 2 key',
    category: 'ordinary',
    publicKey: test2Key,
    message: new Uint8Array(0),
    signature: fromHex(RFC8032[0]![3]),
    keyAccepted: true,
    valid: false,
  });

  // Rule 2: S must be below L. S + L satisfies the group equation (malleability) yet must fail.
  const t1sig = fromHex(RFC8032[0]![3]);
  const t1R = t1sig.subarray(0, 32);
  const t1S = fromLe(t1sig.subarray(32));
  const sCases: Array<[string, Uint8Array]> = [
    ['S + L (same signature, unreduced scalar)', le32(t1S + L)],
    ['S + 2L', le32(t1S + 2n * L)],
    ['S = L', le32(L)],
    ['S = L + 1', le32(L + 1n)],
    ['S = 2^253 - 1', le32(2n ** 253n - 1n)],
    ['S = 2^256 - 1', le32(2n ** 256n - 1n)],
    ['S + 2^255 (high bit set)', le32(t1S + 2n ** 255n)],
    ['S = L - 1 (canonical, but the wrong value)', le32(L - 1n)],
    ['S = 0 with R from TEST 1', le32(0n)],
  ];
  for (const [what, s] of sCases) {
    add({
      description: `non-canonical or wrong S on TEST 1: ${what}`,
      category: 'non-canonical-s',
      publicKey: test1Key,
      message: new Uint8Array(0),
      signature: sig(t1R, s),
      keyAccepted: true,
      valid: false,
    });
  }

  // Rule 1: every small-order point is refused as a key, however it is encoded. With such a key
  // some signatures pass the bare cofactorless equation for any message.
  const order = (i: number): number => 8 / Number(gcd(BigInt(i), 8n));
  torsion.forEach((t, i) => {
    const enc = t.toBytes();
    // [S]B - [k]T = R holds with R = [r]B, S = r whenever k is a multiple of T's order.
    let found: { message: Uint8Array; signature: Uint8Array } | undefined;
    for (let n = 0; n < 256 && !found; n++) {
      const message = utf8(`small-order key ${i} message ${n}`);
      const r = modL(fromLe(sha512(concatBytes(rSeed, message))));
      const rBytes = B.multiply(r).toBytes();
      const k = challenge(rBytes, enc, message);
      if (k % BigInt(order(i)) === 0n) found = { message, signature: sig(rBytes, r) };
    }
    add({
      description: `small-order public key [${i}]T (order ${order(i)}), canonical encoding, with a signature the bare equation accepts`,
      category: 'small-order-a',
      publicKey: enc,
      ...found!,
      keyAccepted: false,
      valid: false,
    });
    if (t.x === 0n)
      add({
        description: `small-order public key [${i}]T (order ${order(i)}) with the sign bit set on x = 0 ("negative zero")`,
        category: 'small-order-a',
        publicKey: withSign(enc),
        message: utf8('m'),
        signature: sig(le32(1n), 0n),
        keyAccepted: false,
        valid: false,
      });
  });
  // Small-order points with y < 19 also have encodings with y + p (y >= p is non-canonical).
  for (const y of [0n, 1n]) {
    add({
      description: `small-order point y = ${y} encoded as y + p`,
      category: 'small-order-a',
      publicKey: le32(y + P),
      message: utf8('m'),
      signature: sig(le32(1n), 0n),
      keyAccepted: false,
      valid: false,
    });
    add({
      description: `small-order point y = ${y} encoded as y + p with the sign bit set`,
      category: 'small-order-a',
      publicKey: withSign(le32(y + P)),
      message: utf8('m'),
      signature: sig(le32(1n), 0n),
      keyAccepted: false,
      valid: false,
    });
  }
  // The identity encoded as y = p + 1, with R = [r]B and S = r: OpenSSL alone (which reduces y
  // mod p) would accept this for ANY message; rule 1 refuses the key first.
  {
    const message = utf8('any message at all');
    const r = 0x1234567n;
    add({
      description:
        'identity encoded non-canonically (y = p + 1) with R = [r]B, S = r: passes the bare equation for any message',
      category: 'non-canonical-a',
      publicKey: le32(P + 1n),
      message,
      signature: sig(B.multiply(r).toBytes(), r),
      keyAccepted: false,
      valid: false,
    });
  }
  // Non-canonical encodings (y + p) of points that are not of small order.
  for (let y = 2n; y < 19n; y++) {
    let point: ed.Point;
    try {
      point = ed.Point.fromBytes(le32(y + P), true);
    } catch {
      add({
        description: `y = ${y} + p is not the y of any curve point`,
        category: 'non-canonical-a',
        publicKey: le32(y + P),
        message: utf8('m'),
        signature: sig(le32(1n), 0n),
        keyAccepted: false,
        valid: false,
      });
      continue;
    }
    if (point.isSmallOrder()) continue;
    add({
      description: `non-canonical encoding y = ${y} + p of a point that is not of small order`,
      category: 'non-canonical-a',
      publicKey: le32(y + P),
      message: utf8('m'),
      signature: sig(le32(1n), 0n),
      keyAccepted: false,
      valid: false,
    });
    add({
      description: `non-canonical encoding y = ${y} + p, sign bit set`,
      category: 'non-canonical-a',
      publicKey: withSign(le32(y + P)),
      message: utf8('m'),
      signature: sig(le32(1n), 0n),
      keyAccepted: false,
      valid: false,
    });
  }
  add({
    description: 'a y with no curve point (not a square)',
    category: 'non-canonical-a',
    publicKey: le32(2n),
    message: utf8('m'),
    signature: sig(le32(1n), 0n),
    keyAccepted: false,
    valid: false,
  });

  // Rule 3 compares R byte for byte, so only the canonical encoding of [S]B - [k]A is accepted.
  // With S = k*a the equation yields the identity: its canonical encoding passes (small-order R
  // is allowed: only the key holder can make it), its non-canonical encodings fail.
  const key = expandSeed(new Uint8Array(32).fill(7));
  const keyBytes = key.A.toBytes();
  const identityEncodings: Array<[string, Uint8Array, boolean]> = [
    ['canonical identity R (y = 1)', le32(1n), true],
    ['identity R encoded as y = p + 1', le32(P + 1n), false],
    ['identity R with the sign bit set (negative zero)', withSign(le32(1n)), false],
    ['identity R as y = p + 1 with the sign bit set', withSign(le32(P + 1n)), false],
  ];
  for (const [what, r, valid] of identityEncodings) {
    const message = utf8(`R encoding: ${what}`);
    const k = challenge(r, keyBytes, message);
    add({
      description: `${what}, S = k*a`,
      category: valid ? 'small-order-r' : 'non-canonical-r',
      publicKey: keyBytes,
      message,
      signature: sig(r, modL(k * key.a)),
      keyAccepted: true,
      valid,
    });
  }
  add({
    description: 'R that is not a curve point',
    category: 'non-canonical-r',
    publicKey: keyBytes,
    message: utf8('m'),
    signature: sig(le32(2n), 5n),
    keyAccepted: true,
    valid: false,
  });
  {
    // A large-order R has no second encoding (its y is far above 18), but toggling its sign bit
    // names the negated point, which must fail.
    const message = utf8('sign bit of R');
    const good = signAs(key.a, keyBytes, message, rSeed);
    add({
      description: 'valid signature by a seed-7 key (control)',
      category: 'ordinary',
      publicKey: keyBytes,
      message,
      signature: good.signature,
      keyAccepted: true,
      valid: true,
    });
    add({
      description: 'R with its sign bit toggled (the negated point)',
      category: 'non-canonical-r',
      publicKey: keyBytes,
      message,
      signature: sig(togglesign(good.signature.subarray(0, 32)), good.signature.subarray(32)),
      keyAccepted: true,
      valid: false,
    });
  }

  // Mixed-order keys A = [a]B + T8 (T8 of order 8). The cofactorless equation gives
  // [S]B - [k]A = R - [k]T8, so an honest-looking signature verifies only when 8 | k;
  // a cofactored verifier (8[S]B = 8R + 8[k]A) would accept them all.
  const t8 = torsion[1]!;
  const mixed = key.A.add(t8);
  const mixedBytes = mixed.toBytes();
  let wantDivisible = true;
  let wantOther = true;
  for (let n = 0; n < 512 && (wantDivisible || wantOther); n++) {
    const message = utf8(`mixed-order key message ${n}`);
    const { signature, k } = signAs(key.a, mixedBytes, message, rSeed);
    if (k % 8n === 0n && wantDivisible) {
      wantDivisible = false;
      add({
        description: 'mixed-order key A = [a]B + T8, R = [r]B, 8 | k: passes cofactorless (and cofactored)',
        category: 'mixed-order',
        publicKey: mixedBytes,
        message,
        signature,
        keyAccepted: true,
        valid: true,
      });
    } else if (k % 8n !== 0n && wantOther) {
      wantOther = false;
      add({
        description:
          'mixed-order key A = [a]B + T8, R = [r]B, 8 does not divide k: passes only cofactored verification',
        category: 'mixed-order',
        publicKey: mixedBytes,
        message,
        signature,
        keyAccepted: true,
        valid: false,
      });
    }
  }
  // Mixed-order R = [r]B + T_j: valid cofactorless exactly when T_j = -[k]T8.
  let wantMatch = true;
  let wantMismatch = true;
  for (let n = 0; n < 512 && (wantMatch || wantMismatch); n++) {
    const message = utf8(`mixed-order R message ${n}`);
    const j = n % 8;
    if (j === 0) continue;
    const { signature, k } = signAs(key.a, mixedBytes, message, rSeed, torsion[j]);
    const matches = Number((8n - (k % 8n)) % 8n) === j;
    if (matches && wantMatch) {
      wantMatch = false;
      add({
        description: `mixed-order key and mixed-order R = [r]B + [${j}]T8 with [${j}]T8 = -[k]T8: passes cofactorless`,
        category: 'mixed-order',
        publicKey: mixedBytes,
        message,
        signature,
        keyAccepted: true,
        valid: true,
      });
    } else if (!matches && wantMismatch) {
      wantMismatch = false;
      add({
        description: `mixed-order key and mixed-order R = [r]B + [${j}]T8 with [${j}]T8 != -[k]T8: passes only cofactored`,
        category: 'mixed-order',
        publicKey: mixedBytes,
        message,
        signature,
        keyAccepted: true,
        valid: false,
      });
    }
  }
  // Torsion-free key, mixed-order R: [S]B - [k]A is torsion-free, so it can never equal R.
  {
    const message = utf8('torsion-free key, mixed-order R');
    const { signature } = signAs(key.a, keyBytes, message, rSeed, torsion[3]);
    add({
      description: 'torsion-free key with R = [r]B + [3]T8: passes only cofactored',
      category: 'mixed-order',
      publicKey: keyBytes,
      message,
      signature,
      keyAccepted: true,
      valid: false,
    });
  }
  // Small-order R with a mixed-order key: R = -[k]T8 and S = k*a (speccheck-style case 2).
  for (let n = 0; n < 512; n++) {
    const message = utf8(`small-order R, mixed key ${n}`);
    const j = 1 + (n % 7);
    const r = torsion[j]!.toBytes();
    const k = challenge(r, mixedBytes, message);
    if (Number((8n - (k % 8n)) % 8n) === j) {
      add({
        description: `mixed-order key, small-order R = [${j}]T8 = -[k]T8, S = k*a: passes cofactorless`,
        category: 'small-order-r',
        publicKey: mixedBytes,
        message,
        signature: sig(r, modL(k * key.a)),
        keyAccepted: true,
        valid: true,
      });
      break;
    }
  }
  return cases;
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

function togglesign(enc: Uint8Array): Uint8Array {
  const out = Uint8Array.from(enc);
  out[31]! ^= 0x80;
  return out;
}
