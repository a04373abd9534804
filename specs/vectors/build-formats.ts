/**
 * tlog-proofs.json, witness-requests.json and policies.json: the C2SP tlog-proof text format, the
 * tlog-witness add-checkpoint request body, and tlog-policy files (with fleetlog's lines).
 */
import { toBase64, toHex, utf8 } from '../../core/bytes.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519 } from '../../core/note/keys.ts';
import { formatTlogProof } from '../../core/tlog-proof.ts';
import { formatAddCheckpoint } from '../../core/witness-request.ts';
import { b64, buildWorld, fixedKey, type World } from './fixtures.ts';
import { vectorFile, type VectorFile } from './vector-file.ts';

export interface TlogProofVector {
  readonly description: string;
  readonly proof: string;
  /** Whether the text parses as a tlog-proof. */
  readonly valid: boolean;
  readonly error?: string;
  readonly parsed?: {
    readonly extra?: string;
    readonly index: number;
    readonly proof: readonly string[];
    readonly checkpoint: string;
  };
  /** For parsed proofs with extra: the checkpoint opens under `logKey` and leaf hash(extra) is included at `index`. */
  readonly entryIncluded?: boolean;
}

const proofLines = (hs: readonly Hash[]): string => hs.map((h) => `${toBase64(h)}\n`).join('');

export function buildTlogProofVectors(world: World = buildWorld()): VectorFile<TlogProofVector> {
  const checkpoint = world.checkpoint(9, [0, 1]);
  const ks = world.keysets.a2;
  const proof = world.inclusion(ks.index, 9);
  const v: TlogProofVector[] = [];
  const ok = (
    description: string,
    p: { extra?: Uint8Array; index: number; proof: readonly Hash[]; checkpoint: string },
    entryIncluded?: boolean,
  ): void => {
    const parsed = {
      ...(p.extra ? { extra: toBase64(p.extra) } : {}),
      index: p.index,
      proof: b64(p.proof),
      checkpoint: p.checkpoint,
    };
    v.push({
      description,
      proof: formatTlogProof(p),
      valid: true,
      parsed,
      ...(entryIncluded === undefined ? {} : { entryIncluded }),
    });
  };
  const bad = (description: string, text: string, error = 'bad_proof'): void => {
    v.push({ description, proof: text, valid: false, error });
  };
  ok(
    'fleet key set at index 4 of a 9-entry log, entry bytes in extra, checkpoint with two cosignatures',
    { extra: ks.bytes, index: ks.index, proof, checkpoint },
    true,
  );
  ok('without extra', { index: ks.index, proof, checkpoint });
  const cp1 = world.checkpoint(1, [0, 1]);
  ok(
    'index 0 in a tree of size 1: no proof lines',
    { extra: world.entries[0]!, index: 0, proof: [], checkpoint: cp1 },
    true,
  );
  ok('parses, but the entry in extra is not at that index', { extra: ks.bytes, index: 3, proof, checkpoint }, false);
  ok(
    'parses, but the proof is for another entry',
    { extra: world.entries[0]!, index: ks.index, proof, checkpoint },
    false,
  );
  const good = formatTlogProof({ index: ks.index, proof, checkpoint });
  bad('wrong header version', good.replace('tlog-proof@v1', 'tlog-proof@v2'));
  bad('index with a leading zero', good.replace('index 4', 'index 04'));
  bad('missing index line', good.replace('index 4\n', ''));
  bad('extra after the index line', good.replace('index 4\n', `index 4\nextra ${toBase64(utf8('x'))}\n`));
  bad('a proof line of 31 bytes', good.replace(toBase64(proof[0]!), toBase64(new Uint8Array(31))));
  bad('a proof line in hex', good.replace(toBase64(proof[0]!), toHex(proof[0]!)));
  bad(
    '65 proof lines (a 2^64 tree needs at most 64)',
    `c2sp.org/tlog-proof@v1\nindex 4\n${proofLines(Array.from({ length: 65 }, () => proof[0]!))}\n${checkpoint}`,
  );
  bad('no blank line before the checkpoint', good.replace('\n\n', '\n'));
  bad('CRLF line ends', good.replace(/\n/g, '\r\n'));
  bad('nothing after the blank line', `c2sp.org/tlog-proof@v1\nindex 4\n${proofLines(proof)}\n`);
  return vectorFile(
    'tlog-proofs',
    'C2SP tlog-proof: parse `proof`; for parsed ones with extra, `entryIncluded` says whether leaf_hash(extra) is included at `index` in the checkpoint (signed by `logKey`).',
    v,
    { logKey: world.keys.log.vkey },
  );
}

export interface WitnessRequestVector {
  readonly description: string;
  /** The request body as text; `bodyHex` instead when it is not UTF-8. */
  readonly body?: string;
  readonly bodyHex?: string;
  readonly valid: boolean;
  readonly error?: string;
  readonly parsed?: { readonly oldSize: number; readonly proof: readonly string[]; readonly checkpoint: string };
}

export function buildWitnessRequestVectors(world: World = buildWorld()): VectorFile<WitnessRequestVector> {
  const checkpoint = world.checkpoint(9, []);
  const consistency = world.consistency(4, 9);
  const v: WitnessRequestVector[] = [];
  const ok = (description: string, oldSize: number, proof: readonly Hash[]): void => {
    v.push({
      description,
      body: formatAddCheckpoint({ oldSize, proof, checkpoint }),
      valid: true,
      parsed: { oldSize, proof: b64(proof), checkpoint },
    });
  };
  const bad = (description: string, body: string, error = 'bad_witness_request'): void => {
    v.push({ description, body, valid: false, error });
  };
  ok('old 4 with the consistency proof 4 -> 9', 4, consistency);
  ok('old 0 with an empty proof (a log learning the size the witness holds)', 0, []);
  ok(
    '63 proof lines, the most allowed (semantics are for the witness to check)',
    1,
    Array.from({ length: 63 }, (_, i) => new Uint8Array(32).fill(i)),
  );
  ok('old larger than the checkpoint size still parses (the witness answers 400)', 100, []);
  const good = formatAddCheckpoint({ oldSize: 4, proof: consistency, checkpoint });
  bad(
    '64 proof lines',
    `old 1\n${proofLines(Array.from({ length: 64 }, (_, i) => new Uint8Array(32).fill(i)))}\n${checkpoint}`,
  );
  bad('old 01', good.replace('old 4', 'old 04'));
  bad('old 00', `old 00\n\n${checkpoint}`);
  bad('old -1', `old -1\n\n${checkpoint}`);
  bad('old with two spaces', good.replace('old 4', 'old  4'));
  bad('missing old line', good.replace('old 4\n', ''));
  bad('missing blank line', good.replace('\n\n', '\n'));
  bad('CRLF line ends', good.replace(/\n/g, '\r\n'));
  bad('a proof line that is not base64', good.replace(toBase64(consistency[0]!), 'not base64!'));
  bad('no checkpoint', `old 4\n${proofLines(consistency)}\n`);
  const notUtf8 = utf8(good);
  notUtf8[1] = 0xfe;
  v.push({
    description: 'body that is not UTF-8',
    bodyHex: toHex(notUtf8),
    valid: false,
    error: 'bad_witness_request',
  });
  return vectorFile(
    'witness-requests',
    'C2SP tlog-witness add-checkpoint request bodies: "old <size>", up to 63 base64 consistency-proof lines, a blank line, the signed checkpoint. Malformed bodies are HTTP 400.',
    v,
  );
}

export interface PolicyVector {
  readonly description: string;
  readonly policy: string;
  readonly valid: boolean;
  readonly error?: string;
  readonly logs?: readonly string[];
  readonly witnesses?: readonly string[];
  readonly quorum?: string;
  readonly fleetlog?: { readonly publishers: number; readonly countersigners: number; readonly hsmVendors: number };
  /** Quorum evaluations: which witness names cosigned, and whether the quorum is met. */
  readonly evaluations?: ReadonlyArray<{ readonly cosigned: readonly string[]; readonly satisfied: boolean }>;
}

export function buildPolicyVectors(world: World = buildWorld()): VectorFile<PolicyVector> {
  const log = fixedKey('example.com/log', KEY_TYPE_ED25519).vkey;
  const w = (n: string): string => fixedKey(`${n}.witness.example`, KEY_TYPE_COSIGNATURE).vkey;
  const v: PolicyVector[] = [];
  const example = `log ${log}\n\nwitness X1 ${w('x1')}\nwitness X2 ${w('x2')}\nwitness X3 ${w('x3')}\ngroup X-witnesses 2 X1 X2 X3\n\nwitness Y1 ${w('y1')}\nwitness Y2 ${w('y2')}\nwitness Y3 ${w('y3')}\ngroup Y-witnesses any Y1 Y2 Y3\n\ngroup X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n`;
  v.push({
    description: 'the C2SP tlog-policy example (two groups of three witnesses) with real keys',
    policy: example,
    valid: true,
    logs: ['example.com/log'],
    witnesses: ['X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3'],
    quorum: 'X-and-Y',
    evaluations: [
      { cosigned: ['X1', 'X2', 'Y1'], satisfied: true },
      { cosigned: ['X2', 'X3', 'Y3'], satisfied: true },
      { cosigned: ['X1', 'Y1', 'Y2', 'Y3'], satisfied: false },
      { cosigned: ['X1', 'X2', 'X3'], satisfied: false },
      { cosigned: [], satisfied: false },
    ],
  });
  v.push({
    description: 'quorum none: no witnesses needed, no logs listed',
    policy: '# offline use\nquorum none\n',
    valid: true,
    logs: [],
    witnesses: [],
    quorum: 'none',
    evaluations: [{ cosigned: [], satisfied: true }],
  });
  v.push({
    description: 'tabs, leading and trailing whitespace, comments and a log URL',
    policy: `\t# comment\n  log\t${log}  https://log.example/\nwitness  A\t${w('a')}\n\ngroup g any A\nquorum g\t\n`,
    valid: true,
    logs: ['example.com/log'],
    witnesses: ['A'],
    quorum: 'g',
    evaluations: [
      { cosigned: ['A'], satisfied: true },
      { cosigned: [], satisfied: false },
    ],
  });
  v.push({
    description: 'the fleetlog vectors policy: 2 of 3 witnesses plus publisher, countersigner and HSM vendor keys',
    policy: world.policyText,
    valid: true,
    logs: [world.keys.log.name],
    witnesses: ['w1', 'w2', 'w3'],
    quorum: 'witnesses',
    fleetlog: { publishers: 1, countersigners: 1, hsmVendors: 1 },
    evaluations: [
      { cosigned: ['w1', 'w3'], satisfied: true },
      { cosigned: ['w2'], satisfied: false },
    ],
  });
  const W = `witness A ${w('a')}\nwitness B ${w('b')}\n`;
  for (const [description, policy] of [
    ['no quorum line', W],
    ['two quorum lines', `${W}quorum A\nquorum B\n`],
    ['quorum names an undefined witness', `${W}quorum C\n`],
    ['group member defined on a later line', `group g any A\n${W}quorum g\n`],
    ['group member listed twice', `${W}group g 2 A A\nquorum g\n`],
    ['threshold 0', `${W}group g 0 A B\nquorum g\n`],
    ['threshold above the number of members', `${W}group g 3 A B\nquorum g\n`],
    ['threshold with a leading zero', `${W}group g 01 A B\nquorum g\n`],
    ['"none" as a group member', `${W}group g any none\nquorum g\n`],
    ['a witness named "none"', `witness none ${w('a')}\nquorum none\n`],
    ['the same witness key under two names', `witness A ${w('a')}\nwitness B ${w('a')}\nquorum A\n`],
    ['the same log key twice', `log ${log}\nlog ${log}\nquorum none\n`],
    ['a cosignature (0x04) key as a log key', `log ${w('a')}\nquorum none\n`],
    ['an Ed25519 note (0x01) key as a witness key', `witness A ${log}\nquorum A\n`],
    ['unknown keyword', `${W}quorum A\nmonitor https://m.example/\n`],
    ['comment after content on the same line', `${W}quorum A # trailing comment\n`],
    ['CRLF line ends (carriage return is a control character)', `${W}quorum A\n`.replace(/\n/g, '\r\n')],
    ['a NUL byte', `${W}quorum A\u0000\n`],
    ['fleetlog lines without a countersigner', `${W}quorum A\nfleetlog publisher ${world.keys.publisher.vkey}\n`],
    [
      'unknown fleetlog role',
      `${W}quorum A\nfleetlog publisher ${world.keys.publisher.vkey}\nfleetlog countersigner ${world.keys.countersigner.vkey}\nfleetlog auditor ${world.keys.vendor.vkey}\n`,
    ],
  ] as const) {
    v.push({ description, policy, valid: false, error: 'bad_policy' });
  }
  return vectorFile(
    'policies',
    'C2SP tlog-policy files, plus fleetlog lines (`fleetlog publisher|countersigner|hsm-vendor <vkey>`). Valid policies list their log key names, witness names and quorum; `evaluations` give quorum results for sets of cosigning witness names.',
    v,
  );
}
