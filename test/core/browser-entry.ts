/**
 * Entry point bundled by browser-purity.test.ts for a Web-only sandbox. It imports the whole pure
 * core and runs known-answer checks with whatever backend the core picks there; the host passes
 * inputs as JSON in `__fleetlogInput` and reads the outcome from `__fleetlogResult`.
 */
import { backend } from '../../core/crypto/select.ts';
import { fromBase64, fromHex, toBase64, toHex, utf8 } from '../../core/bytes.ts';
import { openCheckpoint, parseCheckpointNote, signCheckpoint } from '../../core/checkpoint.ts';
import { cosignatureVerifier } from '../../core/cosignature.ts';
import { parseDecimal } from '../../core/decimal.ts';
import { decodeEntryBundle, encodeEntryBundle } from '../../core/entry-bundle.ts';
import { formatFleetBundle, parseFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { decideFleetTrust } from '../../core/audit/fleet-trust.ts';
import { parseState, serializeState } from '../../core/audit/client-state.ts';
import { decodeEntry } from '../../core/entries/entry.ts';
import { evidenceProblems } from '../../core/entries/deployment-evidence.ts';
import { checkKeysetSignatures } from '../../core/entries/fleet-keyset.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { MemoryHashStore } from '../../core/merkle/memory-hash-store.ts';
import { consistencyProof, inclusionProof } from '../../core/merkle/proof-plan.ts';
import { rootOfLeafHashes } from '../../core/merkle/tree.ts';
import { parseTilePath, tilesForTree } from '../../core/merkle/tiles.ts';
import { verifyConsistency, verifyInclusion } from '../../core/merkle/verify.ts';
import { generateKey, parseSignerKey, parseVerifierKey } from '../../core/note/keys.ts';
import { openNote } from '../../core/note/note.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { openCheckpointWithPolicy } from '../../core/policy/checkpoint-trust.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { parseTlogProof } from '../../core/tlog-proof.ts';
import { parseAddCheckpoint } from '../../core/witness-request.ts';

interface Input {
  note: { vkey: string; text: string; signatureLine: string };
  cosignature: { vkey: string; checkpointText: string; line: string };
  merkle: {
    leaves: string[];
    roots: string[];
    inclusion: { index: number; size: number; proof: string[] };
    consistency: { old: number; size: number; proof: string[] };
  };
  fleet: { policy: string; bundle: string; now: number; logVkey: string; checkpoint: string };
  skey: string;
}

function outcome(f: () => unknown): string {
  try {
    return `ok: ${String(f())}`;
  } catch (e) {
    return `error: ${(e as { code?: string }).code ?? (e as Error).message}`;
  }
}

async function run(input: Input): Promise<Record<string, unknown>> {
  const r: Record<string, unknown> = {};
  r.backend = backend.name;
  r.environment = {
    process: typeof (globalThis as { process?: unknown }).process,
    Buffer: typeof (globalThis as { Buffer?: unknown }).Buffer,
    require: typeof (globalThis as { require?: unknown }).require,
  };
  try {
    await import('node:crypto');
    r.nodeCryptoImport = 'loaded';
  } catch (e) {
    r.nodeCryptoImport = `failed: ${(e as Error).name}`;
  }

  // Signed note and cosignature known answers (KAT in specs/vectors/build-notes.ts).
  r.note = outcome(
    () =>
      openNote(`${input.note.text}\n${input.note.signatureLine}`, [ed25519NoteVerifier(input.note.vkey)]).verified
        .length,
  );
  r.noteTampered = outcome(() =>
    openNote(`${input.note.text.replace('answer', 'Answer')}\n${input.note.signatureLine}`, [
      ed25519NoteVerifier(input.note.vkey),
    ]),
  );
  r.cosignature = outcome(
    () =>
      openNote(`${input.cosignature.checkpointText}\n${input.cosignature.line}`, [
        cosignatureVerifier(input.cosignature.vkey),
      ]).verified.length,
  );

  // Merkle known answers: roots, and the inclusion / consistency proofs verify, computed here too.
  const leaves = input.merkle.leaves.map((h) => leafHash(fromHex(h)));
  const roots = input.merkle.roots;
  r.roots = leaves.map((_, i) => toHex(rootOfLeafHashes(leaves.slice(0, i + 1)))).every((h, i) => h === roots[i]);
  const reader = new MemoryHashStore(leaves); // every node, as Frontier.append reports them
  r.frontierRoot = toHex(reader.frontier.root()) === roots[roots.length - 1];
  const inc = input.merkle.inclusion;
  const con = input.merkle.consistency;
  r.inclusionProof = inclusionProof(reader, inc.index, inc.size).map(toHex).join() === inc.proof.join();
  r.inclusion = verifyInclusion(
    inc.index,
    inc.size,
    leaves[inc.index]!,
    inc.proof.map((h) => fromHex(h)),
    fromHex(roots[inc.size - 1]!),
  );
  r.inclusionWrongIndex = verifyInclusion(
    inc.index + 1,
    inc.size,
    leaves[inc.index]!,
    inc.proof.map((h) => fromHex(h)),
    fromHex(roots[inc.size - 1]!),
  );
  r.consistencyProof = consistencyProof(reader, con.old, con.size).map(toHex).join() === con.proof.join();
  r.consistency = verifyConsistency(
    con.old,
    con.size,
    fromHex(roots[con.old - 1]!),
    fromHex(roots[con.size - 1]!),
    con.proof.map((h) => fromHex(h)),
  );
  r.tiles = tilesForTree(70000).length;
  r.tilePath = outcome(() => JSON.stringify(parseTilePath('tile/1/x001/234.p/17')));

  // A checkpoint signed in Node (native backend), opened here with the noble backend; then the
  // whole eight-step audit of a fleet bundle.
  r.checkpoint = outcome(
    () => openCheckpoint(input.fleet.checkpoint, [ed25519NoteVerifier(input.fleet.logVkey)]).checkpoint.size,
  );
  const policy = parsePolicy(input.fleet.policy);
  r.checkpointPolicy = outcome(() => openCheckpointWithPolicy(policy, input.fleet.checkpoint).quorumMet);
  const bundle = parseFleetBundle(input.fleet.bundle);
  r.bundleRoundTrip = formatFleetBundle(bundle) === input.fleet.bundle;
  const decision = decideFleetTrust({ policy, bundle, now: input.fleet.now, state: { fleets: {} } });
  r.audit = { trusted: decision.trusted, steps: decision.steps.map((s) => `${s.step}:${s.ok}`) };
  r.auditExpired = decideFleetTrust({
    policy,
    bundle,
    now: input.fleet.now + 400 * 86400,
    state: { fleets: {} },
  }).steps.at(-1)?.step;
  r.stateRoundTrip = serializeState(parseState(serializeState(decision.state))) === serializeState(decision.state);
  const keyset = decodeEntry(bundle.keyset.bytes);
  r.keysetSignatures =
    keyset.type === 'fleetlog/fleet-keyset/v1'
      ? checkKeysetSignatures(keyset, policy.publishers, policy.countersigners)
      : 'not a key set';
  const evidence = decodeEntry(bundle.evidence.bytes);
  r.evidenceProblems =
    evidence.type === 'fleetlog/deployment-evidence/v1'
      ? evidenceProblems(evidence, policy.hsmVendors).length
      : 'not evidence';
  r.tlogProof = outcome(
    () =>
      parseTlogProof(input.fleet.bundle.slice(0, input.fleet.bundle.indexOf('\nc2sp.org/tlog-proof@v1\n') + 1)).index,
  );
  r.addCheckpoint = outcome(() => parseAddCheckpoint(utf8(`old 0\n\n${input.fleet.checkpoint}`)).oldSize);

  // Signing with the pure-JS backend, and fresh keys from crypto.getRandomValues.
  const signer = parseSignerKey(input.skey);
  const cp = signCheckpoint({ origin: signer.name, size: 3, rootHash: leaves[0]! }, [ed25519NoteSigner(signer)]);
  r.signedCheckpoint = outcome(() => parseCheckpointNote(cp).checkpoint.size);
  r.signedCheckpointVerifies = outcome(() => openCheckpoint(cp, [ed25519NoteVerifier(signer.vkey)]).checkpoint.size);
  r.signedNote = cp;
  const fresh = generateKey('fresh.example', 0x01);
  r.generatedKey = parseSignerKey(fresh.skey).vkey === parseVerifierKey(fresh.vkey).vkey;

  // The Buffer-free codecs keep their strictness.
  r.base64 = [
    toBase64(fromHex('ffef')),
    outcome(() => fromBase64('AB==')),
    outcome(() => fromBase64('AA')),
    outcome(() => toHex(fromBase64('AA=='))),
  ];
  r.decimal = [outcome(() => parseDecimal('01', 'n')), outcome(() => parseDecimal('9007199254740991', 'n'))];
  r.entryBundle = toHex(decodeEntryBundle(encodeEntryBundle([utf8('a'), new Uint8Array(0)]), 2)[0]!);
  r.utf8Strict = outcome(() => openNote(Uint8Array.of(0xff, 0x0a), []));
  return r;
}

const g = globalThis as unknown as { __fleetlogInput: string; __fleetlogResult: unknown };
g.__fleetlogResult = await run(JSON.parse(g.__fleetlogInput) as Input);
