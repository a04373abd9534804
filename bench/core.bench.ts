/**
 * Core hot paths against the raw native primitive they are built on, measured in the same run.
 *
 *   - Merkle root of 2^20 leaves vs raw SHA-256 of as many 65-byte inputs (goal: ratio >= 0.67,
 *     i.e. within 1.5x);
 *   - inclusion and consistency proof verification vs raw SHA-256 of as many 65-byte inputs as the
 *     verifier hashes (goal: within 1.5x);
 *   - Ed25519 verify through Ed25519PublicKey.verify vs bare node:crypto crypto.verify with a
 *     KeyObject (goal: within 1.2x); the noble backend for information;
 *   - leaf hashing, Frontier appends and proof generation, for information.
 *
 * The raw SHA-256 baseline is node:crypto's one-shot crypto.hash('sha256', 65 bytes) with its
 * default hex output: the cheapest way Node computes a digest (the 'buffer' output is about 3x
 * slower on Node 20 because it allocates an external ArrayBuffer per call; shown for reference).
 *
 * The machine is shared, so time is process CPU time (user + system, GC threads included), each
 * side the median of several interleaved rounds: being descheduled does not count against either.
 * Rates are per second of CPU; ratio = core / baseline (higher is better, 1 = as fast as raw).
 */
import { createPublicKey, hash, randomFillSync, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { concatBytes, utf8 } from '../core/bytes.ts';
import { Ed25519PublicKey, Ed25519Signer } from '../core/crypto/ed25519.ts';
import { nativeBackend, nobleBackend } from '../core/crypto/select.ts';
import { HASH_SIZE, leafHash, nodeHash, type Hash } from '../core/merkle/hash.ts';
import { consistencyProof, inclusionProof, type SyncHashReader } from '../core/merkle/proof-plan.ts';
import { isPowerOfTwo, type NodeId } from '../core/merkle/subtree.ts';
import { Frontier, rootOfLeafHashes } from '../core/merkle/tree.ts';
import { verifyConsistency, verifyInclusion } from '../core/merkle/verify.ts';
import { figure, type Figure } from './harness.ts';

const RAW_NAME = "raw node:crypto crypto.hash('sha256') of 65 bytes, same count";

/** CPU milliseconds (user + system) spent in `fn`. */
function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/**
 * Runs each side `rounds` times, alternating, and returns the median CPU time of each. Adjacent
 * runs see the same machine conditions, and the median ignores the rounds another process spoiled.
 */
function medianInterleaved(rounds: number, sides: Record<string, () => void>): Record<string, number> {
  const times: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(sides)) {
      times[name] ??= [];
      times[name].push(cpuMs(fn));
    }
  }
  const median: Record<string, number> = {};
  for (const [name, list] of Object.entries(times))
    median[name] = list.sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  return median;
}

const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE).fill(0x5a);
function rawHashes(count: number): void {
  for (let i = 0; i < count; i++) hash('sha256', nodeInput);
}
function rawHashesBuffer(count: number): void {
  for (let i = 0; i < count; i++) hash('sha256', nodeInput, 'buffer');
}

/** All perfect-subtree hashes of a tree, one flat buffer per level (what a log stores). */
class FlatTree implements SyncHashReader {
  readonly levels: Uint8Array[] = [];
  constructor(leaves: Uint8Array) {
    this.levels.push(leaves);
    for (let level = leaves; level.length >= 2 * HASH_SIZE; ) {
      const count = Math.floor(level.length / HASH_SIZE / 2);
      const next = new Uint8Array(count * HASH_SIZE);
      for (let i = 0; i < count; i++) {
        next.set(
          nodeHash(
            level.subarray(2 * i * HASH_SIZE, (2 * i + 1) * HASH_SIZE),
            level.subarray((2 * i + 1) * HASH_SIZE, (2 * i + 2) * HASH_SIZE),
          ),
          i * HASH_SIZE,
        );
      }
      this.levels.push(next);
      level = next;
    }
  }
  readNodes(nodes: readonly NodeId[]): Hash[] {
    return nodes.map((n) => this.levels[n.level]!.subarray(n.index * HASH_SIZE, (n.index + 1) * HASH_SIZE));
  }
}

/** Node hashes verifyConsistency computes for a proof from m to n (two per step on the old-tree path). */
function consistencyHashCount(m: number, n: number, proofLength: number): number {
  if (m === 0 || m === n) return 0;
  const steps = proofLength + (isPowerOfTwo(m) ? 1 : 0) - 1;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let count = 0;
  for (let i = 0; i < steps; i++) {
    if (fn % 2 === 1 || fn === sn) {
      count += 2;
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      count += 1;
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return count;
}

/** Deterministic pseudo-random integers (xorshift), so every run measures the same proofs. */
function prng(seed: number): (max: number) => number {
  let x = seed >>> 0 || 1;
  return (max) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % max;
  };
}

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const N = 2 ** 20;
  const leafBytes = new Uint8Array(N * HASH_SIZE);
  randomFillSync(leafBytes);
  const leaves = Array.from({ length: N }, (_, i) => leafBytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));

  // 1. Root of 2^20 leaves: N - 1 node hashes.
  {
    let root: Hash | undefined;
    const best = medianInterleaved(5, {
      core: () => (root = rootOfLeafHashes(leaves)),
      raw: () => rawHashes(N - 1),
    });
    if (root?.length !== HASH_SIZE) throw new Error('no root');
    const rate = (ms: number): number => ((N - 1) * 1000) / ms;
    figures.push(
      figure(
        'core: Merkle root of 1,048,576 leaves (rootOfLeafHashes), node hashes per CPU second [goal ratio >= 0.67]',
        rate(best.core!),
        'hashes/s',
        { name: RAW_NAME, value: rate(best.raw!) },
      ),
    );
    const outputs = medianInterleaved(9, { buffer: () => rawHashesBuffer(100_000), hex: () => rawHashes(100_000) });
    figures.push(
      figure(
        "info: raw crypto.hash('sha256', 65 bytes, 'buffer') vs its hex output",
        (100_000 * 1000) / outputs.buffer!,
        'hashes/s',
        { name: RAW_NAME, value: (100_000 * 1000) / outputs.hex! },
      ),
    );
    const appendBest = medianInterleaved(3, {
      core: () => {
        const f = Frontier.empty();
        for (const l of leaves) f.append(l);
      },
      raw: () => rawHashes(N - 1),
    });
    figures.push(
      figure(
        'info: Frontier.append of 1,048,576 leaves (O(1) amortised), node hashes per CPU second',
        rate(appendBest.core!),
        'hashes/s',
        { name: RAW_NAME, value: rate(appendBest.raw!) },
      ),
    );
  }

  // 2. Proof verification over the 2^20-leaf tree, at random sizes near and below it.
  {
    const tree = new FlatTree(leafBytes);
    const next = prng(0x5eed);
    const inclusion = Array.from({ length: 2000 }, () => {
      const size = N - next(N / 2);
      const index = next(size);
      return { index, size, proof: inclusionProof(tree, index, size) };
    });
    const roots = new Map<number, Hash>();
    const rootOf = (size: number): Hash => {
      let r = roots.get(size);
      if (!r) {
        r = Frontier.restore(size, tree.readNodes(Frontier.nodes(size))).root();
        roots.set(size, r);
      }
      return r;
    };
    for (const p of inclusion) rootOf(p.size);
    const perHash = (ms: number, hashes: number): number => (hashes * 1000) / ms;
    // A verifier checks a proof it has just parsed, so the goal figures verify a small working set
    // of proofs (in cache) over and over; the "cold" figures verify 2000 proofs spread over memory.
    const HOT = 64;
    const hotRepeats = Math.ceil(1000 / HOT);
    const incHashes = (set: typeof inclusion): number => set.reduce((s, p) => s + p.proof.length, 0);
    const hotInc = inclusion.slice(0, HOT);
    let ok = true;
    const verifyAll = (set: typeof inclusion, repeats: number) => (): void => {
      for (let k = 0; k < repeats; k++)
        for (const p of set) ok = verifyInclusion(p.index, p.size, leaves[p.index]!, p.proof, rootOf(p.size)) && ok;
    };
    const best = medianInterleaved(15, {
      hot: verifyAll(hotInc, hotRepeats),
      rawHot: () => rawHashes(incHashes(hotInc) * hotRepeats),
      cold: verifyAll(inclusion, 1),
      rawCold: () => rawHashes(incHashes(inclusion)),
    });
    if (!ok) throw new Error('an inclusion proof failed to verify');
    const hotCount = incHashes(hotInc) * hotRepeats;
    figures.push(
      figure(
        `core: inclusion proof verification, ${HOT} proofs in cache (${(incHashes(hotInc) / HOT).toFixed(1)} hashes each), hashes per CPU second [goal ratio >= 0.67]`,
        perHash(best.hot!, hotCount),
        'hashes/s',
        { name: RAW_NAME, value: perHash(best.rawHot!, hotCount) },
      ),
    );
    figures.push(
      figure(
        'info: inclusion proof verification, 2000 proofs spread over memory (cache misses)',
        perHash(best.cold!, incHashes(inclusion)),
        'hashes/s',
        { name: RAW_NAME, value: perHash(best.rawCold!, incHashes(inclusion)) },
      ),
    );
    figures.push(
      figure(
        'info: inclusion proofs verified per CPU second (2^20-leaf tree, in cache)',
        (HOT * hotRepeats * 1000) / best.hot!,
        'proofs/s',
      ),
    );

    const consistency = Array.from({ length: 2000 }, () => {
      const size = N - next(N / 2);
      const old = 1 + next(size - 1);
      return { old, size, proof: consistencyProof(tree, old, size) };
    });
    for (const p of consistency) {
      rootOf(p.old);
      rootOf(p.size);
    }
    const conHashes = (set: typeof consistency): number =>
      set.reduce((s, p) => s + consistencyHashCount(p.old, p.size, p.proof.length), 0);
    const hotCon = consistency.slice(0, HOT);
    const verifyCon = (set: typeof consistency, repeats: number) => (): void => {
      for (let k = 0; k < repeats; k++)
        for (const p of set) ok = verifyConsistency(p.old, p.size, rootOf(p.old), rootOf(p.size), p.proof) && ok;
    };
    const cbest = medianInterleaved(15, {
      hot: verifyCon(hotCon, hotRepeats),
      rawHot: () => rawHashes(conHashes(hotCon) * hotRepeats),
      cold: verifyCon(consistency, 1),
      rawCold: () => rawHashes(conHashes(consistency)),
    });
    if (!ok) throw new Error('a consistency proof failed to verify');
    const hotConCount = conHashes(hotCon) * hotRepeats;
    figures.push(
      figure(
        `core: consistency proof verification, ${HOT} proofs in cache (${(conHashes(hotCon) / HOT).toFixed(1)} hashes each), hashes per CPU second [goal ratio >= 0.67]`,
        perHash(cbest.hot!, hotConCount),
        'hashes/s',
        { name: RAW_NAME, value: perHash(cbest.rawHot!, hotConCount) },
      ),
    );
    figures.push(
      figure(
        'info: consistency proof verification, 2000 proofs spread over memory (cache misses)',
        perHash(cbest.cold!, conHashes(consistency)),
        'hashes/s',
        { name: RAW_NAME, value: perHash(cbest.rawCold!, conHashes(consistency)) },
      ),
    );

    const gbest = medianInterleaved(3, {
      core: () => {
        for (const p of inclusion) inclusionProof(tree, p.index, p.size);
      },
    });
    figures.push(
      figure(
        'info: inclusion proof generation from stored nodes (plan + read + assemble), per CPU second',
        (2000 * 1000) / gbest.core!,
        'proofs/s',
      ),
    );
  }

  // 3. Ed25519 verification: a checkpoint-sized message.
  {
    const native = nativeBackend;
    if (!native) throw new Error('node:crypto backend unavailable');
    const signer = new Ed25519Signer(new Uint8Array(32).fill(7), native);
    const message = utf8('log.fleetlog.example/bench\n1048576\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');
    const signature = signer.sign(message);
    const key = new Ed25519PublicKey(signer.publicKey.bytes);
    const keyObject: KeyObject = createPublicKey({
      key: Buffer.from(
        concatBytes(
          Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]),
          signer.publicKey.bytes,
        ),
      ),
      format: 'der',
      type: 'spki',
    });
    const COUNT = 300;
    let ok = true;
    const best = medianInterleaved(21, {
      core: () => {
        for (let i = 0; i < COUNT; i++) ok = key.verify(message, signature, native) && ok;
      },
      raw: () => {
        for (let i = 0; i < COUNT; i++) ok = nodeVerify(null, message, keyObject, signature) && ok;
      },
    });
    if (!ok) throw new Error('Ed25519 verification failed');
    const rate = (ms: number, count = COUNT): number => (count * 1000) / ms;
    figures.push(
      figure(
        'core: Ed25519PublicKey.verify (native backend, strict rules), per CPU second [goal ratio >= 0.83]',
        rate(best.core!),
        'verifies/s',
        { name: 'raw node:crypto crypto.verify(null, msg, KeyObject, sig)', value: rate(best.raw!) },
      ),
    );
    const NOBLE = 100;
    const nbest = medianInterleaved(3, {
      noble: () => {
        for (let i = 0; i < NOBLE; i++) ok = key.verify(message, signature, nobleBackend) && ok;
      },
    });
    if (!ok) throw new Error('noble Ed25519 verification failed');
    figures.push(
      figure(
        'info: Ed25519PublicKey.verify with the noble (pure JS) backend vs native',
        rate(nbest.noble!, NOBLE),
        'verifies/s',
        { name: 'Ed25519PublicKey.verify, native backend', value: rate(best.core!) },
      ),
    );
  }

  // 4. Leaf hashing: SHA-256(0x00 || entry) for typical entry sizes.
  for (const size of [256, 4096]) {
    const entry = new Uint8Array(size).fill(0x61);
    const prefixed = concatBytes(Uint8Array.of(0), entry);
    const COUNT = 20000;
    const best = medianInterleaved(9, {
      core: () => {
        for (let i = 0; i < COUNT; i++) leafHash(entry);
      },
      raw: () => {
        for (let i = 0; i < COUNT; i++) hash('sha256', prefixed);
      },
    });
    figures.push(
      figure(`info: leafHash of ${size}-byte entries, per CPU second`, (COUNT * 1000) / best.core!, 'hashes/s', {
        name: `raw crypto.hash of the ${size + 1}-byte prefixed entry`,
        value: (COUNT * 1000) / best.raw!,
      }),
    );
  }
  return figures;
}
