/**
 * Split-view evidence (specs/witness-evidence.md): what a fleetlog witness keeps and publishes when
 * a log presents a checkpoint, signed with the log's trusted key, that conflicts with one the
 * witness already cosigned. One JSON document holds both signed notes and the consistency proof
 * the log sent, so anyone can re-check it offline with nothing but the log's vkey.
 *
 * The verifier decides what the evidence PROVES, and is honest about the limit: two signed heads of
 * the same size with different roots, or a proof that rebuilds the larger root but a different
 * prefix root, cannot both be true. A proof that merely fails to verify shows the log sent a bad
 * proof, which a buggy but honest log could also do; that is reported as `proven: false`.
 */
import { bytesEqual, decodeUtf8, fromBase64, toBase64 } from './bytes.ts';
import { parseCheckpointNote, type Checkpoint } from './checkpoint.ts';
import { cosignatureVerifier } from './cosignature.ts';
import { FleetlogError } from './errors.ts';
import { consistencyProofRoots } from './merkle/consistency-roots.ts';
import { EMPTY_ROOT, HASH_SIZE, type Hash } from './merkle/hash.ts';
import type { PublicKeyInfo } from './note/keys.ts';
import { verifyNote } from './note/note.ts';
import { ed25519NoteVerifier } from './note/verifiers.ts';
import { MAX_WITNESS_PROOF_LINES } from './witness-request.ts';

export const SPLIT_VIEW_EVIDENCE_TYPE = 'fleetlog/split-view-evidence/v1';
/**
 * One document: two checkpoint notes (48 KiB each at most) and a short proof. JSON escaping can
 * double a note (every '"' in an extension line becomes '\"'), so the cap allows 2 x 2 x 48 KiB.
 */
export const MAX_SPLIT_VIEW_EVIDENCE_BYTES = 256 * 1024;
/** A list served by a witness (GET /evidence). */
export const MAX_SPLIT_VIEW_EVIDENCE_LIST_BYTES = 64 * 1024 * 1024;

/** The document, exactly as serialised (field order is fixed; see formatSplitViewEvidence). */
export interface SplitViewEvidence {
  readonly type: typeof SPLIT_VIEW_EVIDENCE_TYPE;
  /** The log's origin line; both checkpoints carry it. */
  readonly origin: string;
  /** The vkey of the witness that observed the conflict (context; see verify options). */
  readonly witness: string;
  /** When the witness saw the conflicting checkpoint, seconds since the epoch, its own clock. */
  readonly observed: number;
  /** The checkpoint the witness had cosigned: note text, the log's signature(s), the witness's cosignature. */
  readonly cosigned: string;
  /** The conflicting checkpoint the log presented: note text and the log's signature(s). */
  readonly presented: string;
  /** The consistency proof the log sent with it (base64 hashes); empty when the sizes are equal. */
  readonly proof: readonly string[];
}

const FIELDS = ['type', 'origin', 'witness', 'observed', 'cosigned', 'presented', 'proof'] as const;

function bad(message: string): never {
  throw new FleetlogError('bad_evidence', message);
}

export function makeSplitViewEvidence(input: {
  origin: string;
  witness: string;
  observed: number;
  cosigned: string;
  presented: string;
  proof: readonly Hash[];
}): SplitViewEvidence {
  return {
    type: SPLIT_VIEW_EVIDENCE_TYPE,
    origin: input.origin,
    witness: input.witness,
    observed: input.observed,
    cosigned: input.cosigned,
    presented: input.presented,
    proof: input.proof.map((h) => toBase64(h)),
  };
}

/** One compact JSON object with the fields in the order of the spec. */
export function formatSplitViewEvidence(evidence: SplitViewEvidence): string {
  return JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, evidence[f]])));
}

/** The list a witness serves: `{"evidence":[doc, ...]}` and a newline. */
export function formatSplitViewEvidenceList(documents: readonly SplitViewEvidence[]): string {
  return joinSplitViewEvidenceList(documents.map(formatSplitViewEvidence));
}

/** The same list from documents already formatted by formatSplitViewEvidence (as a witness stores them). */
export function joinSplitViewEvidenceList(formatted: readonly string[]): string {
  return `{"evidence":[${formatted.join(',')}]}\n`;
}

function checkDocument(value: unknown): SplitViewEvidence {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('evidence must be a JSON object');
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const unknown = keys.filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) bad(`evidence has unknown field ${JSON.stringify(unknown[0])}`);
  for (const f of FIELDS) if (!(f in obj)) bad(`evidence is missing the field ${JSON.stringify(f)}`);
  if (obj.type !== SPLIT_VIEW_EVIDENCE_TYPE) bad(`evidence type must be ${JSON.stringify(SPLIT_VIEW_EVIDENCE_TYPE)}`);
  for (const f of ['origin', 'witness', 'cosigned', 'presented'] as const) {
    if (typeof obj[f] !== 'string' || (obj[f] as string).length === 0)
      bad(`evidence field ${f} must be a non-empty string`);
  }
  if (typeof obj.observed !== 'number' || !Number.isSafeInteger(obj.observed) || obj.observed < 0)
    bad('evidence field observed must be a non-negative integer');
  if (
    !Array.isArray(obj.proof) ||
    obj.proof.length > MAX_WITNESS_PROOF_LINES ||
    obj.proof.some((p) => typeof p !== 'string')
  ) {
    bad(`evidence field proof must be an array of at most ${MAX_WITNESS_PROOF_LINES} base64 strings`);
  }
  return obj as unknown as SplitViewEvidence;
}

function parseJson(input: string | Uint8Array, maxBytes: number, what: string): unknown {
  if (input.length > maxBytes) throw new FleetlogError('too_large', `${what} is larger than ${maxBytes} bytes`);
  const text = typeof input === 'string' ? input : decodeUtf8(input, what);
  try {
    return JSON.parse(text);
  } catch {
    return bad(`${what} is not valid JSON`);
  }
}

/** Parses one evidence document (text or an already-parsed JSON value), checking its shape only. */
export function parseSplitViewEvidence(input: string | Uint8Array | object): SplitViewEvidence {
  if (typeof input === 'string' || input instanceof Uint8Array)
    return checkDocument(parseJson(input, MAX_SPLIT_VIEW_EVIDENCE_BYTES, 'evidence'));
  return checkDocument(input);
}

/** Parses a witness's evidence list (GET /evidence or /evidence/<hex sha256(origin)>). */
export function parseSplitViewEvidenceList(input: string | Uint8Array): SplitViewEvidence[] {
  const value = parseJson(input, MAX_SPLIT_VIEW_EVIDENCE_LIST_BYTES, 'evidence list');
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    bad('an evidence list is a JSON object {"evidence": [...]}');
  const obj = value as Record<string, unknown>;
  if (Object.keys(obj).length !== 1 || !Array.isArray(obj.evidence))
    bad('an evidence list is a JSON object {"evidence": [...]}');
  return (obj.evidence as unknown[]).map(checkDocument);
}

export type SplitViewReason =
  /** Two signed heads of one size with different roots. */
  | 'same-size-different-roots'
  /** A size-0 head whose root is not the empty-tree hash: a signed statement that cannot be true. */
  | 'empty-tree-with-other-root'
  /** The log's own proof rebuilds the larger root and a prefix root different from the smaller head. */
  | 'proof-reveals-different-prefix'
  /** The proof simply does not verify: misbehaviour (a bad proof), but not proof of a fork. */
  | 'proof-does-not-verify';

export interface SplitViewVerdict {
  readonly origin: string;
  /** True when the two signed checkpoints cannot both be true (under SHA-256 collision resistance). */
  readonly proven: boolean;
  readonly reason: SplitViewReason;
  readonly smaller: Checkpoint;
  readonly larger: Checkpoint;
  readonly explanation: string;
}

export interface VerifySplitViewOptions {
  /** Also require the witness's cosignature (type 0x04 vkey) on the `cosigned` checkpoint. */
  readonly witnessVkey?: string | PublicKeyInfo;
}

/**
 * Verifies split-view evidence offline against the log's vkey (type 0x01). Throws if the document
 * is malformed, if either checkpoint lacks a valid signature from that key (or a signature by it
 * fails), if the origins differ, or if the pair turns out to be consistent (`bad_evidence`).
 * Otherwise returns a verdict: `proven: true` means the log signed two checkpoints that cannot
 * both be true.
 */
export function verifySplitViewEvidence(
  evidence: string | Uint8Array | SplitViewEvidence,
  logVkey: string | PublicKeyInfo,
  options: VerifySplitViewOptions = {},
): SplitViewVerdict {
  const doc = parseSplitViewEvidence(evidence);
  const logKey = ed25519NoteVerifier(logVkey);

  const cosigned = parseCheckpointNote(doc.cosigned);
  const presented = parseCheckpointNote(doc.presented);
  verifyNote(cosigned.note, [logKey]);
  verifyNote(presented.note, [logKey]);
  if (options.witnessVkey !== undefined) verifyNote(cosigned.note, [cosignatureVerifier(options.witnessVkey)]);

  const a = cosigned.checkpoint;
  const b = presented.checkpoint;
  if (a.origin !== doc.origin || b.origin !== doc.origin) bad('both checkpoints must carry the evidence origin');
  const proof = doc.proof.map((p, i) => {
    try {
      return fromBase64(p, HASH_SIZE, `proof hash ${i + 1}`);
    } catch (e) {
      return bad((e as Error).message);
    }
  });
  const [smaller, larger] = a.size <= b.size ? [a, b] : [b, a];
  const verdict = (proven: boolean, reason: SplitViewReason, explanation: string): SplitViewVerdict => ({
    origin: doc.origin,
    proven,
    reason,
    smaller,
    larger,
    explanation,
  });

  if (smaller.size === larger.size) {
    if (proof.length !== 0) bad('evidence for two checkpoints of the same size must carry an empty proof');
    if (bytesEqual(smaller.rootHash, larger.rootHash))
      bad('the two checkpoints have the same size and root: there is no conflict');
    return verdict(
      true,
      'same-size-different-roots',
      `the log signed two different roots for tree size ${smaller.size}`,
    );
  }
  if (smaller.size === 0) {
    if (bytesEqual(smaller.rootHash, EMPTY_ROOT))
      bad('the empty tree is consistent with every tree: there is no conflict');
    return verdict(
      true,
      'empty-tree-with-other-root',
      'the log signed a size-0 checkpoint whose root is not the empty-tree hash',
    );
  }
  // One walk of the proof (what verifyConsistency runs), keeping both roots it implies.
  const roots = consistencyProofRoots(smaller.size, larger.size, smaller.rootHash, proof);
  if (roots && bytesEqual(roots.newRoot, larger.rootHash)) {
    if (bytesEqual(roots.oldRoot, smaller.rootHash)) {
      bad(
        `the proof shows tree size ${smaller.size} is consistent with tree size ${larger.size}: there is no conflict`,
      );
    }
    return verdict(
      true,
      'proof-reveals-different-prefix',
      `the log's own proof shows its tree of size ${larger.size} starts with a different tree of size ${smaller.size} than the one it signed`,
    );
  }
  return verdict(
    false,
    'proof-does-not-verify',
    `the log signed both checkpoints but its consistency proof from ${smaller.size} to ${larger.size} does not verify; ` +
      'this is a failure to prove consistency, not a proof of a fork: ask the log for a consistency proof between these sizes',
  );
}
