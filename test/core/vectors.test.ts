// specs/vectors: the committed JSON files are exactly what the generator produces, and every
// vector holds when re-checked with the core (positive vectors pass, negative ones fail with the
// stated error code or audit step). Merkle proofs are also checked against the independent
// reference implementation.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { decideFleetTrust } from '../../core/audit/fleet-trust.ts';
import type { ClientState } from '../../core/audit/client-state.ts';
import { concatBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from '../../core/bytes.ts';
import { openCheckpoint, parseCheckpointText } from '../../core/checkpoint.ts';
import { cosignatureMessage, cosignatureTimestamp, cosignatureVerifier } from '../../core/cosignature.ts';
import { Ed25519PublicKey, publicKeyProblem } from '../../core/crypto/ed25519.ts';
import { nativeBackend, nobleBackend } from '../../core/crypto/select.ts';
import { canonicalJson } from '../../core/entries/canonical-json.ts';
import {
  attestationMessage,
  evidenceProblems,
  type DeploymentEvidence,
} from '../../core/entries/deployment-evidence.ts';
import { decodeEntry } from '../../core/entries/entry.ts';
import {
  checkKeysetSignatures,
  COUNTERSIGNER_CONTEXT,
  countersignerMessage,
  keysetEvidenceProblems,
  PUBLISHER_CONTEXT,
  publisherMessage,
  type FleetKeyset,
} from '../../core/entries/fleet-keyset.ts';
import { isFleetlogError } from '../../core/errors.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { consistencyProof, inclusionProof } from '../../core/merkle/proof-plan.ts';
import { parseTilePath, tilePath, tilesForTree } from '../../core/merkle/tiles.ts';
import { rootOfLeafHashes } from '../../core/merkle/tree.ts';
import { verifyConsistency, verifyInclusion } from '../../core/merkle/verify.ts';
import { parseSignerKey, parseVerifierKey } from '../../core/note/keys.ts';
import { openNote } from '../../core/note/note.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { parsePolicy, quorumSatisfied } from '../../core/policy/policy.ts';
import { parseTlogProof } from '../../core/tlog-proof.ts';
import { parseAddCheckpoint } from '../../core/witness-request.ts';
import { buildVectorFiles } from '../../specs/vectors/build.ts';
import { MemoryHashStore } from '../../core/merkle/memory-hash-store.ts';
import { ReferenceTree, refLeafHash } from './reference-merkle.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../specs/vectors');
const built = buildVectorFiles();

/** Runs `f`; returns { ok: value } or { error: code }. Non-fleetlog errors are test failures. */
function attempt<T>(f: () => T): { ok: T; error?: undefined } | { ok?: undefined; error: string } {
  try {
    return { ok: f() };
  } catch (e) {
    if (isFleetlogError(e)) return { error: e.code };
    throw e;
  }
}

interface AnyVector {
  description: string;
  valid?: boolean;
  error?: string;
  kind?: string;
  [k: string]: unknown;
}
interface AnyFile {
  format: string;
  name: string;
  description: string;
  vectors: AnyVector[];
  [k: string]: unknown;
}
const load = (name: string): AnyFile => JSON.parse(readFileSync(join(dir, name), 'utf8')) as AnyFile;
const cases = (name: string): Array<[string, AnyVector]> =>
  load(name).vectors.map((v, i) => [`#${i} ${v.description}`, v]);

/** Checks a vector's expected outcome against an attempt: valid ones must succeed, invalid ones fail with the stated code. */
function expectOutcome<T>(v: AnyVector, result: ReturnType<typeof attempt<T>>): T | undefined {
  if (v.valid) {
    expect(result.error, `unexpected error ${result.error}`).toBeUndefined();
    return result.ok;
  }
  expect(result.error).toBe(v.error);
  return undefined;
}

describe('committed vector files', () => {
  it('are byte-identical to what specs/vectors/generate.ts produces (run `npm run vectors` after changing it)', () => {
    for (const [name, text] of built) expect(readFileSync(join(dir, name), 'utf8'), name).toBe(text);
  });

  it('has no stale JSON files, and every vector has a description', () => {
    const onDisk = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(onDisk).toEqual([...built.keys()].sort());
    for (const name of built.keys()) {
      const file = load(name);
      expect(file.format).toBe('fleetlog-test-vectors/v1');
      expect(`${file.name}.json`).toBe(name);
      expect(file.description.length).toBeGreaterThan(20);
      expect(file.vectors.length).toBeGreaterThan(3);
      for (const v of file.vectors)
        expect(
          typeof v.description === 'string' && v.description.length > 3,
          `${name}: ${JSON.stringify(v).slice(0, 80)}`,
        ).toBe(true);
      // Positive and negative vectors in every file that has a validity flag.
      const flags = new Set(file.vectors.map((v) => v.valid).filter((x) => x !== undefined));
      if (flags.size > 0) expect(flags).toEqual(new Set([true, false]));
    }
  });
});

describe('merkle.json', () => {
  const file = load('merkle.json');
  const trees = file.trees as Record<'kat' | 'big', string[]>;
  const leaves = { kat: trees.kat.map((e) => leafHash(fromHex(e))), big: trees.big.map((e) => leafHash(fromHex(e))) };
  const refs = {
    kat: new ReferenceTree(trees.kat.map((e) => refLeafHash(fromHex(e)))),
    big: new ReferenceTree(trees.big.map((e) => refLeafHash(fromHex(e)))),
  };
  const stores = { kat: new MemoryHashStore(leaves.kat), big: new MemoryHashStore(leaves.big) };
  const hx = (hs: readonly Uint8Array[]): string[] => hs.map(toHex);

  it.each(cases('merkle.json'))('%s', (_, v) => {
    const tree = v.tree as 'kat' | 'big' | undefined;
    if (v.kind === 'root') {
      const size = v.size as number;
      expect(toHex(rootOfLeafHashes(leaves[tree!].slice(0, size)))).toBe(v.root);
      expect(toHex(refs[tree!].root(size))).toBe(v.root);
      return;
    }
    const proof = (v.proof as string[]).map((h) => fromHex(h));
    if (v.kind === 'inclusion') {
      const [index, size] = [v.leafIndex as number, v.treeSize as number];
      expect(verifyInclusion(index, size, fromHex(v.leafHash as string), proof, fromHex(v.root as string))).toBe(
        v.valid,
      );
      if (tree) {
        expect(hx(inclusionProof(stores[tree], index, size))).toEqual(v.proof);
        expect(hx(refs[tree].inclusionProof(index, size))).toEqual(v.proof);
        expect(toHex(leaves[tree][index]!)).toBe(v.leafHash);
      }
      return;
    }
    const [m, n] = [v.size1 as number, v.size2 as number];
    expect(verifyConsistency(m, n, fromHex(v.root1 as string), fromHex(v.root2 as string), proof)).toBe(v.valid);
    if (tree) {
      expect(hx(consistencyProof(stores[tree], m, n))).toEqual(v.proof);
      expect(hx(refs[tree].consistencyProof(m, n))).toEqual(v.proof);
    }
  });
});

describe('tiles.json', () => {
  it.each(cases('tiles.json'))('%s', (_, v) => {
    if (v.kind === 'tree') {
      expect(tilesForTree(v.treeSize as number).map((t) => tilePath(t))).toEqual(v.tiles);
      return;
    }
    const r = attempt(() => parseTilePath(v.path as string));
    if (!v.valid) return void expect(r.error).toBe('bad_tile_path');
    const t = v.tile as { level: number; index: number; width: number; entries: boolean };
    expect(r.ok).toEqual({
      kind: t.entries ? 'entries' : 'hashes',
      tile: { level: t.level, index: t.index, width: t.width },
    });
    expect(tilePath({ level: t.level, index: t.index, width: t.width }, t.entries ? 'entries' : 'hashes')).toBe(v.path);
  });
});

function checkKeys(name: string): void {
  const keys = load(name).keys as Array<{ vkey: string; skey: string }>;
  for (const k of keys) expect(parseSignerKey(k.skey).vkey).toBe(k.vkey);
}

describe('signed-notes.json', () => {
  it('test keys: every skey derives its vkey', () => checkKeys('signed-notes.json'));
  it.each(cases('signed-notes.json'))('%s', (_, v) => {
    if (v.kind === 'vkey') {
      const info = expectOutcome(
        v,
        attempt(() => parseVerifierKey(v.vkey as string)),
      );
      if (info) expect(info.vkey.split('+')[1]).toBe(v.keyId);
      return;
    }
    const bytes = v.noteHex ? fromHex(v.noteHex as string) : utf8(v.note as string);
    const opened = expectOutcome(
      v,
      attempt(() =>
        openNote(
          bytes,
          (v.verifierKeys as string[]).map((k) => ed25519NoteVerifier(k)),
        ),
      ),
    );
    if (opened) {
      expect(opened.text).toBe(v.text);
      expect(opened.verified.map((x) => x.verifier.name)).toEqual(v.verifiedBy);
    }
  });
});

describe('checkpoints.json', () => {
  it('test keys: every skey derives its vkey', () => checkKeys('checkpoints.json'));
  it.each(cases('checkpoints.json'))('%s', (_, v) => {
    if (v.kind === 'text') {
      const cp = expectOutcome(
        v,
        attempt(() => parseCheckpointText(v.text as string)),
      );
      if (cp) expect({ ...cp, rootHash: toBase64(cp.rootHash) }).toEqual(v.checkpoint);
      return;
    }
    const opened = expectOutcome(
      v,
      attempt(() =>
        openCheckpoint(
          v.note as string,
          (v.logKeys as string[]).map((k) => ed25519NoteVerifier(k)),
          (v.witnessKeys as string[]).map((k) => cosignatureVerifier(k)),
        ),
      ),
    );
    if (opened) expect(opened.checkpoint.size).toBe(v.size);
  });
});

describe('cosignatures.json', () => {
  it('test keys: every skey derives its vkey', () => checkKeys('cosignatures.json'));
  it.each(cases('cosignatures.json'))('%s', (_, v) => {
    const opened = expectOutcome(
      v,
      attempt(() =>
        openNote(
          v.note as string,
          (v.cosignerKeys as string[]).map((k) => cosignatureVerifier(k)),
        ),
      ),
    );
    if (!opened) return;
    const t = cosignatureTimestamp(opened.verified[0]!.signature.signature)!;
    expect(String(t)).toBe(v.timestamp);
    expect(toHex(cosignatureMessage(t, opened.textBytes))).toBe(v.signedMessageHex);
    expect(toHex(opened.textBytes.length ? utf8(`cosignature/v1\ntime ${t}\n${opened.text}`) : new Uint8Array())).toBe(
      v.signedMessageHex,
    );
  });
});

describe('tlog-proofs.json', () => {
  const logKey = load('tlog-proofs.json').logKey as string;
  it.each(cases('tlog-proofs.json'))('%s', (_, v) => {
    const p = expectOutcome(
      v,
      attempt(() => parseTlogProof(v.proof as string)),
    );
    if (!p) return;
    expect({
      ...(p.extra ? { extra: toBase64(p.extra) } : {}),
      index: p.index,
      proof: p.proof.map(toBase64),
      checkpoint: p.checkpoint,
    }).toEqual(v.parsed);
    if (v.entryIncluded !== undefined) {
      const cp = openCheckpoint(p.checkpoint, [ed25519NoteVerifier(logKey)]).checkpoint;
      expect(verifyInclusion(p.index, cp.size, leafHash(p.extra!), p.proof, cp.rootHash)).toBe(v.entryIncluded);
    }
  });
});

describe('witness-requests.json', () => {
  it.each(cases('witness-requests.json'))('%s', (_, v) => {
    const body = v.bodyHex ? fromHex(v.bodyHex as string) : utf8(v.body as string);
    const req = expectOutcome(
      v,
      attempt(() => parseAddCheckpoint(body)),
    );
    if (req)
      expect({
        oldSize: req.oldSize,
        proof: req.proof.map(toBase64),
        checkpoint: new TextDecoder().decode(req.checkpoint),
      }).toEqual(v.parsed);
  });
});

describe('policies.json', () => {
  it.each(cases('policies.json'))('%s', (_, v) => {
    const p = expectOutcome(
      v,
      attempt(() => parsePolicy(v.policy as string)),
    );
    if (!p) return;
    expect(p.logs.map((l) => l.verifier.name)).toEqual(v.logs);
    expect([...p.witnesses.keys()]).toEqual(v.witnesses);
    expect(p.quorum).toBe(v.quorum);
    if (v.fleetlog)
      expect({
        publishers: p.publishers.length,
        countersigners: p.countersigners.length,
        hsmVendors: p.hsmVendors.length,
      }).toEqual(v.fleetlog);
    else expect(p.fleetlog).toBe(false);
    for (const e of v.evaluations as Array<{ cosigned: string[]; satisfied: boolean }>)
      expect(quorumSatisfied(p, new Set(e.cosigned)), e.cosigned.join()).toBe(e.satisfied);
  });
});

describe('entries.json', () => {
  const keys = load('entries.json').keys as { publisher: string; countersigner: string; hsmVendor: string };
  const body = (k: FleetKeyset): string =>
    canonicalJson({
      type: k.type,
      fleetId: k.fleetId,
      version: k.version,
      keys: k.keys,
      notBefore: k.notBefore,
      notAfter: k.notAfter,
      evidence: k.evidence,
    });
  it.each(cases('entries.json'))('%s', (_, v) => {
    if (v.kind === 'entry') {
      const bytes = v.entryHex ? fromHex(v.entryHex as string) : utf8(v.entry as string);
      const entry = expectOutcome(
        v,
        attempt(() => decodeEntry(bytes)),
      );
      if (entry) {
        expect(entry.type).toBe(v.type);
        expect(toHex(leafHash(bytes))).toBe(v.leafHash);
      }
      return;
    }
    if (v.kind === 'keyset-signatures') {
      const k = decodeEntry(utf8(v.entry as string)) as FleetKeyset;
      // The documented messages, built here from the format description rather than the core.
      expect(v.publisherMessageHex).toBe(toHex(utf8(`${PUBLISHER_CONTEXT}${body(k)}`)));
      expect(v.countersignerMessageHex).toBe(
        toHex(concatBytes(utf8(COUNTERSIGNER_CONTEXT), fromHex(k.publisherSignature.signature), utf8(body(k)))),
      );
      expect(toHex(publisherMessage(k))).toBe(v.publisherMessageHex);
      expect(toHex(countersignerMessage(k, k.publisherSignature))).toBe(v.countersignerMessageHex);
      const check = checkKeysetSignatures(
        k,
        (v.publisherKeys as string[]).map((x) => parseVerifierKey(x)),
        (v.countersignerKeys as string[]).map((x) => parseVerifierKey(x)),
      );
      expect(check).toEqual({ publisher: v.publisher, countersigner: v.countersigner });
      return;
    }
    if (v.kind === 'evidence') {
      const e = decodeEntry(utf8(v.entry as string)) as DeploymentEvidence;
      const h = e.hsms[0]!;
      expect(toHex(attestationMessage({ hsmId: h.id, keys: h.keys, measurement: h.measurement }))).toBe(
        v.firstAttestationMessageHex,
      );
      expect(
        evidenceProblems(
          e,
          (v.hsmVendorKeys as string[]).map((x) => parseVerifierKey(x)),
        ).length === 0,
      ).toBe(v.valid);
      return;
    }
    const k = decodeEntry(utf8(v.keyset as string)) as FleetKeyset;
    const e = decodeEntry(utf8(v.evidence as string)) as DeploymentEvidence;
    expect(keysetEvidenceProblems(k, e).length === 0).toBe(v.valid);
    // Whatever the evidence verdict, these key sets carry valid signatures by the pinned keys.
    expect(
      checkKeysetSignatures(k, [parseVerifierKey(keys.publisher)], [parseVerifierKey(keys.countersigner)]),
    ).toEqual({ publisher: true, countersigner: true });
  });
});

describe('audit.json', () => {
  it('lists the log entries with their leaf hashes', () => {
    for (const e of load('audit.json').entries as Array<{ leafHash: string; bytes: string }>)
      expect(toHex(leafHash(utf8(e.bytes)))).toBe(e.leafHash);
  });
  it.each(cases('audit.json'))('%s', (_, v) => {
    const expected = v.expected as { trusted: boolean; failedStep: number | null; reasonContains: string | null };
    const decision = decideFleetTrust({
      policy: parsePolicy(v.policy as string),
      bundle: parseFleetBundle(v.bundle as string),
      now: v.now as number,
      state: v.state as ClientState,
      ...(v.consistencyProof
        ? { consistencyProof: (v.consistencyProof as string[]).map((h) => fromBase64(h, 32)) }
        : {}),
      ...(v.fleetId ? { fleetId: v.fleetId as string } : {}),
    });
    expect(decision.trusted).toBe(expected.trusted);
    const failed = decision.steps.find((s) => !s.ok);
    expect(failed?.step ?? null).toBe(expected.failedStep);
    if (failed) expect(failed.reason).toContain(expected.reasonContains);
    expect(decision.steps.map((s) => s.step)).toEqual(
      Array.from({ length: expected.failedStep ?? 8 }, (_, i) => i + 1),
    );
  });
});

describe('ed25519.json', () => {
  it.each(cases('ed25519.json'))('%s', (_, v) => {
    const key = fromHex(v.publicKey as string);
    expect(publicKeyProblem(key) === undefined).toBe(v.keyAccepted);
    if (!v.keyAccepted) return;
    const pk = new Ed25519PublicKey(key);
    for (const backend of [nativeBackend!, nobleBackend])
      expect(pk.verify(fromHex(v.message as string), fromHex(v.signature as string), backend), backend.name).toBe(
        v.valid,
      );
  });
});
