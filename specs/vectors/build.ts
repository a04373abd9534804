/**
 * Builds every vector file in memory: file name -> exact JSON text. generate.ts writes them;
 * test/core/vectors.test.ts rebuilds them and compares with the committed files byte for byte.
 */
import { toHex } from '../../core/bytes.ts';
import { formatFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { buildAuditScenarios } from './audit-scenarios.ts';
import { buildEd25519Cases } from './ed25519-cases.ts';
import { buildEntryVectors } from './build-entries.ts';
import { buildPolicyVectors, buildTlogProofVectors, buildWitnessRequestVectors } from './build-formats.ts';
import { buildMerkleVectors, buildTileVectors } from './build-merkle.ts';
import { buildCheckpointVectors, buildCosignatureVectors, buildNoteVectors } from './build-notes.ts';
import { b64, buildWorld, NOW } from './fixtures.ts';
import { vectorFile, type VectorFile } from './vector-file.ts';

export interface AuditVector {
  readonly description: string;
  readonly policy: string;
  /** The offline fleet bundle: two C2SP tlog-proofs (key set, then evidence), entries in `extra`. */
  readonly bundle: string;
  /** Seconds since the epoch. */
  readonly now: number;
  /** The client state before the decision (fleetlog-client-state/v1 without the format field). */
  readonly state: unknown;
  readonly consistencyProof: readonly string[] | null;
  readonly fleetId: string | null;
  /**
   * `failedStep`: the one step that fails (the steps before it pass, later ones do not run).
   * `reasonContains`: a fragment of fleetlog's own reason text (informative, not normative).
   */
  readonly expected: {
    readonly trusted: boolean;
    readonly failedStep: number | null;
    readonly reasonContains: string | null;
  };
}

function buildAuditVectors(): VectorFile<AuditVector> {
  const world = buildWorld();
  const vectors = buildAuditScenarios(world).map(
    (s): AuditVector => ({
      description: s.description,
      policy: s.policy,
      bundle: formatFleetBundle(s.bundle),
      now: s.now,
      state: s.state,
      consistencyProof: s.consistencyProof ? b64(s.consistencyProof) : null,
      fleetId: s.fleetId ?? null,
      expected: s.expected.trusted
        ? { trusted: true, failedStep: null, reasonContains: null }
        : { trusted: false, failedStep: s.expected.failedStep, reasonContains: s.expected.reason },
    }),
  );
  return vectorFile(
    'audit',
    `The eight audit steps of specs/audit.md applied to offline fleet bundles: bundles that are trusted, and bundles that fail at each step 1..8 (the first failing step is expected). The log holds 9 entries; "now" is ${NOW} (2026-01-01T00:00:00Z) unless a vector says otherwise.`,
    vectors,
    {
      entries: world.entries.map((e, i) => ({
        index: i,
        leafHash: toHex(leafHash(e)),
        bytes: new TextDecoder().decode(e),
      })),
    },
  );
}

function buildEd25519Vectors(): VectorFile<ReturnType<typeof buildEd25519Cases>[number]> {
  return vectorFile(
    'ed25519',
    'fleetlog Ed25519 acceptance rules (specs/formats.md §3, core/crypto/ed25519.ts): A: the public key is the canonical encoding of a point not of small order; S: S < L; E: the cofactorless [S]B - [k]A encodes to exactly R. `keyAccepted` is rule A; `valid` is A, S and E together. Hex throughout.',
    buildEd25519Cases(),
  );
}

/** Every vector file: name -> JSON text (2-space indent, trailing newline). */
export function buildVectorFiles(): Map<string, string> {
  const files: Array<[string, VectorFile<unknown>]> = [
    ['merkle.json', buildMerkleVectors()],
    ['tiles.json', buildTileVectors()],
    ['signed-notes.json', buildNoteVectors()],
    ['checkpoints.json', buildCheckpointVectors()],
    ['cosignatures.json', buildCosignatureVectors()],
    ['tlog-proofs.json', buildTlogProofVectors()],
    ['witness-requests.json', buildWitnessRequestVectors()],
    ['policies.json', buildPolicyVectors()],
    ['entries.json', buildEntryVectors()],
    ['audit.json', buildAuditVectors()],
    ['ed25519.json', buildEd25519Vectors()],
  ];
  return new Map(files.map(([name, file]) => [name, `${JSON.stringify(file, null, 2)}\n`]));
}
