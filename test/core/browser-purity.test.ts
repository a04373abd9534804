/**
 * The core is pure and runs in a browser. What this test proves:
 *  1. esbuild can bundle core/checkpoint, cosignature, merkle/*, note/*, policy/*, entries/*,
 *     audit/*, tlog-proof and witness-request for platform "browser" with ONLY node:crypto left
 *     external: no other Node built-in (fs, path, buffer, ...) is imported anywhere in the core,
 *     and the bundle names no other `node:` module.
 *  2. The bundle runs in a node:vm context that exposes only Web globals (TextEncoder/TextDecoder,
 *     crypto.getRandomValues, atob/btoa, console): no process, Buffer or require. There the
 *     dynamic import of node:crypto fails, so the core falls back to the @noble backend, and the
 *     Buffer-free codecs in core/bytes.ts are the ones exercised.
 *  3. In that sandbox the core verifies the signed-note and cosignature known answers, the RFC 9162
 *     known-answer roots and proofs, a checkpoint signed in Node by the native backend, and runs
 *     all eight audit steps on a fleet bundle to "trusted"; it also signs with noble and makes keys.
 * What it does not prove: behaviour of a particular browser engine (the sandbox is V8, as in
 * Chrome), or that bundlers other than esbuild handle the top-level await in core/crypto/select.ts.
 *
 * How it runs the ES module: the core uses top-level await (to pick a backend), and vm.Script has
 * no module support without --experimental-vm-modules. The bundle has no imports or exports left
 * (the one dynamic import is an expression), so its body is run as the body of an async function,
 * which gives top-level await the same meaning inside a single module.
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../core/bytes.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { formatFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { buildWorld, NOW } from '../../specs/vectors/fixtures.ts';
import { MemoryHashStore } from '../../core/merkle/memory-hash-store.ts';
import { consistencyProof, inclusionProof } from '../../core/merkle/proof-plan.ts';
import { rootOfLeafHashes } from '../../core/merkle/tree.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { openCheckpoint } from '../../core/checkpoint.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs inside the context first: wraps host functions so that every value the core sees is of the sandbox's own realm. */
const PRELUDE = `
'use strict';
const host = globalThis.__host;
delete globalThis.__host;
class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(s = '') { return new Uint8Array(host.encode(String(s))); }
}
class TextDecoder {
  #fatal; #ignoreBOM;
  constructor(label = 'utf-8', options = {}) {
    if (String(label).toLowerCase() !== 'utf-8') throw new RangeError('only utf-8');
    this.#fatal = Boolean(options.fatal);
    this.#ignoreBOM = Boolean(options.ignoreBOM);
  }
  get encoding() { return 'utf-8'; }
  decode(bytes) {
    try { return host.decode(bytes, this.#fatal, this.#ignoreBOM); } catch (e) { throw new TypeError(String(e && e.message)); }
  }
}
Object.defineProperties(globalThis, {
  TextEncoder: { value: TextEncoder },
  TextDecoder: { value: TextDecoder },
  crypto: { value: Object.freeze({ getRandomValues: (a) => { host.getRandomValues(a); return a; } }) },
  atob: { value: (s) => host.atob(String(s)) },
  btoa: { value: (s) => host.btoa(String(s)) },
  console: { value: Object.freeze({ log: host.log, warn: host.log, error: host.log }) },
});
`;

function sandbox(): vm.Context {
  const context = vm.createContext(
    {
      __host: {
        encode: (s: string) => new TextEncoder().encode(s),
        decode: (b: Uint8Array, fatal: boolean, ignoreBOM: boolean) =>
          new TextDecoder('utf-8', { fatal, ignoreBOM }).decode(b),
        getRandomValues: (a: Uint8Array) => globalThis.crypto.getRandomValues(a),
        atob: (s: string) => atob(s),
        btoa: (s: string) => btoa(s),
        log: (...args: unknown[]) => console.log('[sandbox]', ...args),
      },
    },
    { codeGeneration: { strings: false, wasm: false } },
  );
  new vm.Script(PRELUDE, { filename: 'web-globals-prelude.js' }).runInContext(context);
  return context;
}

const wire = {
  note: {
    vkey: 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    text: "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
    signatureLine:
      '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n',
  },
  cosignature: {
    vkey: 'witness.example/w1+cc9a7044+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    checkpointText: 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    line: '\u2014 witness.example/w1 zJpwRAAAAABkGFDLJeR//pqzhnEKVvEm2wWbh2RJ6oru5+cUUfm5X9NnlaGr8aSH9QE5RVZD4QGlxl2F5UpVIIi94p178KLfqPPsAA==\n',
  },
};
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];

let bundleText = '';
let result: Record<string, unknown> = {};
let input: Record<string, unknown>;

beforeAll(async () => {
  const out = await build({
    entryPoints: [join(here, 'browser-entry.ts')],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    external: ['node:crypto'],
    logLevel: 'silent',
  });
  bundleText = out.outputFiles[0]!.text;

  // Inputs computed on the Node side (native backend), checked inside the sandbox (noble).
  const hashes = LEAVES.map((h) => leafHash(Uint8Array.from(Buffer.from(h, 'hex'))));
  const store = new MemoryHashStore(hashes);
  const world = buildWorld();
  const checkpoint = world.checkpoint(9, [0, 2]);
  input = {
    ...wire,
    merkle: {
      leaves: LEAVES,
      roots: hashes.map((_, i) => toHex(rootOfLeafHashes(hashes.slice(0, i + 1)))),
      inclusion: { index: 5, size: 8, proof: inclusionProof(store, 5, 8).map(toHex) },
      consistency: { old: 6, size: 8, proof: consistencyProof(store, 6, 8).map(toHex) },
    },
    fleet: {
      policy: world.policyText,
      bundle: formatFleetBundle(world.bundle(world.keysets.a2, world.evidence.a, checkpoint, 9)),
      now: NOW,
      logVkey: world.keys.log.vkey,
      checkpoint,
    },
    skey: 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz',
  };

  const context = sandbox();
  context.__fleetlogInput = JSON.stringify(input);
  const body = new vm.Script(`(async () => {\n'use strict';\n${bundleText}\n})()`, {
    filename: 'fleetlog-core.browser.js',
  });
  await body.runInContext(context);
  result = JSON.parse(JSON.stringify(context.__fleetlogResult)) as Record<string, unknown>;
}, 60_000);

describe('the core in a Web-only sandbox', () => {
  it('bundles for the browser with no Node built-in but the optional node:crypto', () => {
    const nodeModules = new Set(bundleText.match(/["']node:[a-z_/]+["']/g) ?? []);
    expect([...nodeModules].map((m) => m.slice(1, -1))).toEqual(['node:crypto']);
    expect(bundleText).not.toMatch(/\brequire\(/);
    expect(bundleText).not.toMatch(/^\s*import\s[^(]/m); // no static imports left: nothing for the host to provide
    expect(bundleText).not.toMatch(/^\s*export\s/m);
  });

  it('sees no Node globals, cannot import node:crypto, and so uses the noble backend', () => {
    expect(result.environment).toEqual({ process: 'undefined', Buffer: 'undefined', require: 'undefined' });
    expect(result.nodeCryptoImport).toMatch(/^failed/);
    expect(result.backend).toBe('noble');
  });

  it('verifies the signed-note and cosignature known answers', () => {
    expect(result.note).toBe('ok: 1');
    expect(result.noteTampered).toBe('error: bad_signature');
    expect(result.cosignature).toBe('ok: 1');
  });

  it('reproduces the RFC 9162 roots and proofs and verifies them', () => {
    expect(result).toMatchObject({
      roots: true,
      frontierRoot: true,
      inclusionProof: true,
      inclusion: true,
      inclusionWrongIndex: false,
      consistencyProof: true,
      consistency: true,
    });
    expect(result.tiles).toBe(273 + 1 + 2 + 1);
    expect(result.tilePath).toBe('ok: {"kind":"hashes","tile":{"level":1,"index":1234,"width":17}}');
  });

  it('opens a checkpoint signed by the native backend and runs the eight audit steps to "trusted"', () => {
    expect(result.checkpoint).toBe('ok: 9');
    expect(result.checkpointPolicy).toBe('ok: true');
    expect(result.bundleRoundTrip).toBe(true);
    expect(result.audit).toEqual({
      trusted: true,
      steps: ['1:true', '2:true', '3:true', '4:true', '5:true', '6:true', '7:true', '8:true'],
    });
    expect(result.auditExpired).toBe(8);
    expect(result.stateRoundTrip).toBe(true);
    expect(result.keysetSignatures).toEqual({ publisher: true, countersigner: true });
    expect(result.evidenceProblems).toBe(0);
    expect(result.tlogProof).toBe('ok: 4');
    expect(result.addCheckpoint).toBe('ok: 0');
  });

  it('signs with the noble backend exactly as Node does, and generates keys from crypto.getRandomValues', () => {
    expect(result.signedCheckpoint).toBe('ok: 3');
    expect(result.signedCheckpointVerifies).toBe('ok: 3');
    // Ed25519 is deterministic: the note signed in the sandbox verifies in Node, byte for byte.
    const note = String(result.signedNote);
    expect(openCheckpoint(note, [ed25519NoteVerifier(wire.note.vkey)]).checkpoint.size).toBe(3);
    expect(note.startsWith(`PeterNeumann\n3\n`)).toBe(true);
    expect(result.generatedKey).toBe(true);
  });

  it('keeps the codecs strict without Buffer', () => {
    expect(result.base64).toEqual(['/+8=', 'error: bad_encoding', 'error: bad_encoding', 'ok: 00']);
    expect(result.decimal).toEqual(['error: bad_number', 'ok: 9007199254740991']);
    expect(result.entryBundle).toBe(toHex(utf8('a')));
    expect(result.utf8Strict).toBe('error: bad_encoding');
  });
});
