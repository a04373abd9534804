/**
 * A small C2SP log written for the witness tests, independent of log-server/: it keeps every
 * perfect subtree in memory, signs checkpoints with its own Ed25519 key and builds add-checkpoint
 * bodies with consistency proofs between any two sizes it has had.
 */
import { randomBytes } from 'node:crypto';
import { signCheckpoint } from '../../core/checkpoint.ts';
import { leafHash, type Hash } from '../../core/merkle/hash.ts';
import { assembleProof, consistencyProof, planRoot } from '../../core/merkle/proof-plan.ts';
import { KEY_TYPE_ED25519, generateKey, parseSignerKey, type SignerKey } from '../../core/note/keys.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { formatAddCheckpoint } from '../../core/witness-request.ts';
import { EMPTY_ROOT } from '../../core/merkle/hash.ts';
import { MemoryHashStore } from '../support/memory-hash-store.ts';

export class TestLog {
  readonly origin: string;
  readonly key: SignerKey;
  readonly tree = new MemoryHashStore();
  readonly leaves: Hash[] = [];

  constructor(origin = `example.com/test-log-${randomBytes(4).toString('hex')}`, key?: SignerKey) {
    this.origin = origin;
    this.key = key ?? parseSignerKey(generateKey(origin, KEY_TYPE_ED25519).skey);
  }

  get vkey(): string {
    return this.key.vkey;
  }

  get size(): number {
    return this.tree.frontier.size;
  }

  /** Appends `n` leaves; `tag` makes two logs' leaves differ (for forks). */
  grow(n: number, tag = 'a'): this {
    for (let i = 0; i < n; i++) {
      const leaf = leafHash(new TextEncoder().encode(`${tag}:${this.leaves.length}`));
      this.leaves.push(leaf);
      this.tree.append(leaf);
    }
    return this;
  }

  root(size = this.size): Hash {
    if (size === 0) return EMPTY_ROOT;
    const plan = planRoot(size);
    return assembleProof(plan, this.tree.readNodes(plan.nodes))[0]!;
  }

  /** The signed checkpoint at `size` (any size the log has had), signed by `key` (default: the log's). */
  checkpoint(size = this.size, key: SignerKey = this.key): string {
    return signCheckpoint({ origin: this.origin, size, rootHash: this.root(size) }, [ed25519NoteSigner(key)]);
  }

  proof(oldSize: number, newSize = this.size): Hash[] {
    return consistencyProof(this.tree, oldSize, newSize);
  }

  /** A well-formed add-checkpoint body from `oldSize` to `size`. */
  body(oldSize: number, size = this.size, options: { key?: SignerKey; proof?: Hash[] } = {}): string {
    const proof = options.proof ?? (oldSize > 0 && oldSize <= size ? this.proof(oldSize, size) : []);
    return formatAddCheckpoint({ oldSize, proof, checkpoint: this.checkpoint(size, options.key) });
  }

  /** A second log with the same origin and key whose leaves agree up to `at` and then differ. */
  fork(at: number): TestLog {
    const other = new TestLog(this.origin, this.key);
    for (const leaf of this.leaves.slice(0, at)) {
      other.leaves.push(leaf);
      other.tree.append(leaf);
    }
    return other;
  }
}
