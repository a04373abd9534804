/**
 * Every parser of fleetlog that takes bytes from outside (a network peer, a file a user was given),
 * as a fuzz target: valid samples to mutate, the parse, and the property it must keep.
 *
 * The property, for every input: the parser never crashes or hangs. It either rejects the input
 * with a FleetlogError whose code is one of the target's documented codes, or returns a value that
 * re-serialises to the same bytes ('exact'). Formats without a byte-exact serialiser say so:
 * 'stable' means that serialising the value and parsing it again gives the same value, and the
 * same bytes again ('fixpoint'); 'none' means only the first half of the property (policies have
 * no serialiser: they are written by people).
 */
import { readFileSync } from 'node:fs';
import { bytesEqual, concatBytes, fromHex, toHex, utf8 } from '../core/bytes.ts';
import { formatCheckpointText, parseCheckpointNote, parseCheckpointText } from '../core/checkpoint.ts';
import { cosignatureTimestamp } from '../core/cosignature.ts';
import { type ErrorCode, FleetlogError } from '../core/errors.ts';
import { decodeEntry, encodeEntry } from '../core/entries/entry.ts';
import { decodeEntryBundle, encodeEntryBundle } from '../core/entry-bundle.ts';
import { formatFleetBundle, parseFleetBundle } from '../core/audit/fleet-bundle.ts';
import { parseState, serializeState, type ClientState } from '../core/audit/client-state.ts';
import { parseTilePath, tileHashes, tilePath } from '../core/merkle/tiles.ts';
import { emptyHistory } from '../auditor-cli/log-audit/fleet-history.ts';
import {
  parseLogAuditState,
  parsePartialAudit,
  serializeLogAuditState,
  serializePartialAudit,
} from '../auditor-cli/log-audit/log-state.ts';
import { formatSignatureLine, parseNote, parseSignatureLine } from '../core/note/note.ts';
import { formatVerifierKey, parseVerifierKey } from '../core/note/keys.ts';
import { parsePolicy } from '../core/policy/policy.ts';
import {
  formatSplitViewEvidenceList,
  makeSplitViewEvidence,
  parseSplitViewEvidenceList,
} from '../core/split-view-evidence.ts';
import { formatTlogProof, parseTlogProof } from '../core/tlog-proof.ts';
import { formatAddCheckpoint, parseAddCheckpoint } from '../core/witness-request.ts';

export type InputShape = 'text' | 'json' | 'binary';

export interface FuzzTarget {
  readonly name: string;
  /** Which structure-aware mutations fit (text: lines and tokens; json: values; binary: lengths). */
  readonly shape: InputShape;
  /** Valid (and some invalid) inputs to start from. */
  readonly samples: readonly Uint8Array[];
  /** The codes a rejection may carry. */
  readonly codes: readonly ErrorCode[];
  readonly roundTrip: 'exact' | 'stable' | 'none';
  /**
   * Parses `input`; throws the parser's FleetlogError on a rejection, or a PropertyViolation if an
   * accepted value does not re-serialise as the round trip requires.
   */
  check(input: Uint8Array): void;
}

/** An accepted input whose value breaks the round-trip property. */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
}

function same(expected: Uint8Array, actual: Uint8Array, what: string): void {
  if (!bytesEqual(expected, actual))
    throw new PropertyViolation(`${what}: re-serialised bytes differ (${toHex(actual).slice(0, 80)}…)`);
}

/** As a file or a body a user hands over: UTF-8 with replacement and any BOM kept, as Buffer#toString does. */
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
const text = (input: Uint8Array): string => lenient.decode(input);

const VECTORS = new URL('../specs/vectors/', import.meta.url);
interface VectorFile {
  readonly vectors: ReadonlyArray<Record<string, unknown>>;
}
function vectors(file: string): VectorFile['vectors'] {
  return (JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8')) as VectorFile).vectors;
}
function field(file: string, name: string): string[] {
  return vectors(file)
    .map((v) => v[name])
    .filter((x): x is string => typeof x === 'string');
}
function hexField(file: string, name: string): Uint8Array[] {
  return field(file, name).map((h) => fromHex(h));
}
const bytesOf = (xs: readonly string[]): Uint8Array[] => xs.map(utf8);

function signatureLines(notes: readonly string[]): string[] {
  return [...new Set(notes.flatMap((n) => n.split('\n').filter((l) => l.startsWith('\u2014 '))))];
}

/** A two-byte big-endian count, then the bundle: the count a client expects is outside input too. */
function withCount(count: number, bundle: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([count >> 8, count & 0xff]), bundle);
}

function loadTargets(): FuzzTarget[] {
  const notes = [...field('signed-notes.json', 'note'), ...field('checkpoints.json', 'note')];
  const cosigned = field('cosignatures.json', 'note');
  const entries = [...bytesOf(field('entries.json', 'entry')), ...hexField('entries.json', 'entryHex')];
  const validEntries = vectors('entries.json')
    .filter((v) => v.valid === true && typeof v.entry === 'string')
    .map((v) => utf8(v.entry as string));
  const states = vectors('audit.json')
    .map((v) => v.state as ClientState | undefined)
    .filter((s): s is ClientState => s !== undefined)
    .map((s) => serializeState(s));
  const uniqueStates = [...new Set(states)];

  return [
    {
      name: 'signed note',
      shape: 'text',
      samples: [...bytesOf(notes), ...bytesOf(cosigned), ...hexField('signed-notes.json', 'noteHex')],
      codes: ['bad_note', 'bad_encoding', 'too_large'],
      roundTrip: 'exact',
      check(input) {
        const note = parseNote(input);
        same(input, utf8(`${note.text}\n${note.signatures.map((s) => s.line).join('')}`), 'note');
      },
    },
    {
      name: 'checkpoint note',
      shape: 'text',
      samples: bytesOf([...field('checkpoints.json', 'note'), ...cosigned]),
      codes: ['bad_note', 'bad_checkpoint', 'bad_encoding', 'too_large'],
      roundTrip: 'exact',
      check(input) {
        const { checkpoint, note } = parseCheckpointNote(input);
        const body = `${formatCheckpointText(checkpoint)}${checkpoint.extensions.map((l) => `${l}\n`).join('')}`;
        same(utf8(note.text), utf8(body), 'checkpoint text');
        same(input, utf8(`${note.text}\n${note.signatures.map((s) => s.line).join('')}`), 'checkpoint note');
      },
    },
    {
      name: 'checkpoint text',
      shape: 'text',
      samples: bytesOf(field('checkpoints.json', 'text')),
      codes: ['bad_checkpoint'],
      roundTrip: 'exact',
      check(input) {
        const t = text(input);
        const cp = parseCheckpointText(t);
        same(utf8(t), utf8(formatCheckpointText(cp) + cp.extensions.map((l) => `${l}\n`).join('')), 'checkpoint');
      },
    },
    {
      name: 'signature and cosignature line',
      shape: 'text',
      samples: bytesOf(signatureLines([...notes, ...cosigned])),
      codes: ['bad_note'],
      roundTrip: 'exact',
      check(input) {
        const t = text(input);
        const sig = parseSignatureLine(t);
        cosignatureTimestamp(sig.signature); // a cosignature's timestamp: defined or undefined, never a throw
        same(utf8(`${t}\n`), utf8(formatSignatureLine(sig.name, sig.keyId, sig.signature)), 'signature line');
      },
    },
    {
      name: 'verifier key',
      shape: 'text',
      samples: bytesOf(
        field('policies.json', 'policy').flatMap((p) => p.split(/\s+/).filter((w) => /\+[0-9a-f]{8}\+/.test(w))),
      ),
      codes: ['bad_key', 'bad_encoding'],
      roundTrip: 'exact',
      check(input) {
        const t = text(input);
        const k = parseVerifierKey(t);
        same(utf8(t), utf8(formatVerifierKey(k.name, k.type as 1 | 4, k.publicKey.bytes)), 'vkey');
      },
    },
    {
      name: 'tlog-proof',
      shape: 'text',
      samples: bytesOf(field('tlog-proofs.json', 'proof')),
      codes: ['bad_proof', 'bad_encoding', 'too_large'],
      roundTrip: 'exact',
      check(input) {
        same(input, utf8(formatTlogProof(parseTlogProof(input))), 'tlog-proof');
      },
    },
    {
      name: 'fleet bundle',
      shape: 'text',
      samples: bytesOf([...new Set(field('audit.json', 'bundle'))]),
      codes: ['bad_proof', 'bad_encoding', 'too_large'],
      roundTrip: 'exact',
      check(input) {
        const t = text(input);
        same(utf8(t), utf8(formatFleetBundle(parseFleetBundle(t))), 'fleet bundle');
      },
    },
    {
      name: 'witness add-checkpoint body',
      shape: 'text',
      samples: [...bytesOf(field('witness-requests.json', 'body')), ...hexField('witness-requests.json', 'bodyHex')],
      codes: ['bad_witness_request', 'too_large'],
      roundTrip: 'exact',
      check(input) {
        const req = parseAddCheckpoint(input);
        // The checkpoint is kept as bytes, verbatim: the head is re-serialised and the bytes appended.
        const head = utf8(formatAddCheckpoint({ oldSize: req.oldSize, proof: req.proof, checkpoint: '' }));
        same(input, concatBytes(head, req.checkpoint), 'request');
      },
    },
    {
      name: 'policy',
      shape: 'text',
      samples: bytesOf([...field('policies.json', 'policy'), ...new Set(field('audit.json', 'policy'))]),
      codes: ['bad_policy', 'too_large'],
      roundTrip: 'none',
      check(input) {
        parsePolicy(text(input));
      },
    },
    {
      name: 'entry',
      shape: 'json',
      samples: entries,
      codes: ['bad_entry', 'unknown_entry_type', 'bad_encoding', 'too_large'],
      roundTrip: 'exact',
      check(input) {
        same(input, encodeEntry(decodeEntry(input)), 'entry');
      },
    },
    {
      name: 'entry bundle',
      shape: 'binary',
      samples: [
        withCount(3, encodeEntryBundle(validEntries.slice(0, 3))),
        withCount(1, encodeEntryBundle(validEntries.slice(0, 1))),
        withCount(
          256,
          encodeEntryBundle(Array.from({ length: 256 }, (_, i) => validEntries[i % validEntries.length]!)),
        ),
      ],
      codes: ['bad_tile'],
      roundTrip: 'exact',
      check(input) {
        if (input.length < 2) throw new FleetlogError('bad_tile', '(harness) no expected count');
        const count = (input[0]! << 8) | input[1]!;
        const bundle = input.subarray(2);
        same(bundle, encodeEntryBundle(decodeEntryBundle(bundle, count)), 'entry bundle');
      },
    },
    {
      name: 'tile path',
      shape: 'text',
      samples: bytesOf(field('tiles.json', 'path')),
      codes: ['bad_tile_path'],
      roundTrip: 'exact',
      check(input) {
        const t = text(input);
        const { kind, tile } = parseTilePath(t);
        same(utf8(t), utf8(tilePath(tile, kind)), 'tile path');
      },
    },
    {
      name: 'hash tile',
      shape: 'binary',
      // First byte: the tile width less one (a client knows the width from the tree size).
      samples: [
        concatBytes(new Uint8Array([255]), new Uint8Array(256 * 32).fill(7)),
        concatBytes(new Uint8Array([2]), new Uint8Array(3 * 32).fill(1)),
      ],
      codes: ['bad_tile'],
      roundTrip: 'exact',
      check(input) {
        if (input.length < 1) throw new FleetlogError('bad_tile', '(harness) no width');
        const data = input.subarray(1);
        same(data, concatBytes(...tileHashes(data, input[0]! + 1)), 'hash tile');
      },
    },
    {
      name: 'client state file',
      shape: 'json',
      samples: bytesOf(uniqueStates),
      codes: ['io'],
      roundTrip: 'stable',
      check(input) {
        const first = serializeState(parseState(text(input)));
        const again = serializeState(parseState(first));
        same(utf8(first), utf8(again), 'state file');
      },
    },
    {
      name: 'audit log state file',
      shape: 'json',
      samples: bytesOf(logAuditStates()),
      codes: ['io'],
      roundTrip: 'stable',
      check(input) {
        const first = serializeLogAuditState(parseLogAuditState(text(input)));
        same(utf8(first), utf8(serializeLogAuditState(parseLogAuditState(first))), 'audit state file');
      },
    },
    {
      name: 'audit log progress file',
      shape: 'json',
      samples: bytesOf(logAuditStates().map((s) => partialOf(s))),
      codes: ['io'],
      roundTrip: 'stable',
      check(input) {
        const first = serializePartialAudit(parsePartialAudit(text(input)));
        same(utf8(first), utf8(serializePartialAudit(parsePartialAudit(first))), 'audit progress file');
      },
    },
    {
      name: 'split-view evidence list',
      shape: 'json',
      samples: [utf8(formatSplitViewEvidenceList([])), ...splitViewSamples()],
      codes: ['bad_evidence', 'bad_encoding', 'too_large'],
      roundTrip: 'stable',
      check(input) {
        const first = formatSplitViewEvidenceList(parseSplitViewEvidenceList(input));
        same(utf8(first), utf8(formatSplitViewEvidenceList(parseSplitViewEvidenceList(first))), 'evidence list');
      },
    },
  ];
}

function splitViewSamples(): Uint8Array[] {
  const [held, presented] = field('checkpoints.json', 'note');
  const doc = makeSplitViewEvidence({
    origin: held!.split('\n')[0]!,
    witness: 'witness.example/w1+cc9a7044+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    observed: 1_700_000_000,
    cosigned: held!,
    presented: presented!,
    proof: [new Uint8Array(32).fill(0x11)],
  });
  return [utf8(formatSplitViewEvidenceList([doc])), utf8(formatSplitViewEvidenceList([doc, doc]))];
}

/** `audit log --state` files: empty, small and with a fleet history (the shape audit-log.ts writes). */
function logAuditStates(): string[] {
  const hash = (n: number): string => toHex(new Uint8Array(32).fill(n));
  const base = { fleetRules: false, runs: 1, lastRun: '2026-12-01T00:00:00.000Z' };
  return [
    serializeLogAuditState({ checkpoint: { origin: 'o', size: 0, rootHash: hash(0) }, frontier: [], ...base }),
    serializeLogAuditState({
      checkpoint: { origin: 'log.example/a', size: 5, rootHash: hash(1) },
      frontier: [hash(2), hash(3)],
      ...base,
      headSeenAt: 1_700_000_000,
    }),
    serializeLogAuditState({
      checkpoint: { origin: 'log.example/b', size: 7, rootHash: hash(4) },
      frontier: [hash(5), hash(6), hash(7)],
      ...base,
      fleetRules: true,
      history: emptyHistory(),
    }),
    serializeLogAuditState({
      checkpoint: { origin: 'log.example/c', size: 9, rootHash: hash(8) },
      frontier: [hash(9), hash(10)],
      ...base,
      fleetRules: true,
      history: {
        ...emptyHistory(),
        fleets: {
          'fleet-a': {
            maxVersion: 2,
            version: 2,
            leafHash: hash(11),
            index: 4,
            notBefore: 1_700_000_000,
            notAfter: 1_800_000_000,
            keysets: 2,
            deployments: 1,
            firstIndex: 0,
            events: [
              {
                index: 0,
                kind: 'deployment',
                leafHash: hash(16),
                hsms: 3,
                regions: ['eu-west', 'us-east'],
                firmware: '1.2.3',
                ok: true,
                referenced: true,
              },
              { index: 1, kind: 'keyset', version: 1, keys: 3, notBefore: 1, notAfter: 2, evidenceIndex: 0, ok: true },
              { index: 4, kind: 'keyset', version: 2, keys: 3, notBefore: 1, notAfter: 2, ok: false },
            ],
          },
        },
        evidenceWindow: [
          ['0123456789abcdef', 0],
          ['fedcba9876543210', 2],
          ['0123456789abcdef', 6],
        ],
        untrackedDeployments: 1,
        keyOwners: { [hash(12)]: 'fleet-a' },
        violations: [{ index: 4, rule: 'F2', step: 6, fleetId: 'fleet-a', message: 'not logged before it' }],
        violationCounts: { F2: 1 },
        warnings: [{ index: 4, rule: 'F5', step: 8, fleetId: 'fleet-a', message: 'expires before' }],
        warningCount: 1,
        entries: 9,
        keysets: 2,
        deployments: 3,
        pending: [
          {
            index: 8,
            fleetId: 'fleet-b',
            version: 1,
            evidence: hash(17),
            keys: [{ hsmId: 'h1', alg: 'x25519', publicKey: hash(18) }],
          },
        ],
      },
    }),
    // A v2 file (a hash prefix and index per evidence entry), migrated on reading.
    `${JSON.stringify({
      format: 'fleetlog-log-audit-state/v2',
      checkpoint: { origin: 'log.example/e', size: 4, rootHash: hash(19) },
      frontier: [hash(20)],
      ...base,
      fleetRules: true,
      history: {
        fleets: { f: { keysets: 0, deployments: 2, firstIndex: 0, events: [] } },
        evidenceAt: { '0123456789abcdef': [0, 3], fedcba9876543210: [1] },
        keyOwners: {},
        violations: [],
        violationCounts: {},
        warnings: [],
        warningCount: 0,
        entries: 4,
        keysets: 0,
        deployments: 3,
      },
    })}\n`,
    // A v1 file (it kept every evidence entry's HSM keys), migrated on reading.
    `${JSON.stringify({
      format: 'fleetlog-log-audit-state/v1',
      checkpoint: { origin: 'log.example/d', size: 2, rootHash: hash(13) },
      frontier: [hash(14)],
      ...base,
      fleetRules: true,
      history: {
        fleets: {
          f: {
            keysets: 0,
            deployments: 1,
            firstIndex: 0,
            events: [{ index: 0, kind: 'deployment', leafHash: hash(15) }],
          },
        },
        evidence: { [hash(15)]: { index: 0, fleetId: 'f', ok: true, hsms: [{ id: 'h', keys: [] }] } },
        keyOwners: {},
        violations: [],
        violationCounts: {},
        entries: 2,
        keysets: 0,
        deployments: 1,
      },
    })}\n`,
  ];
}

function partialOf(stateText: string): string {
  const s = parseLogAuditState(stateText);
  return serializePartialAudit({
    origin: s.checkpoint.origin,
    size: s.checkpoint.size,
    frontier: s.frontier,
    fleetRules: s.fleetRules,
    ...(s.history ? { history: s.history } : {}),
  });
}

let loaded: FuzzTarget[] | undefined;
export function fuzzTargets(): FuzzTarget[] {
  loaded ??= loadTargets();
  return loaded;
}
