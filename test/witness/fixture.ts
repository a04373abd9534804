/** An in-process witness (app.request, no socket) with helpers to submit and inspect state. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fromBase64, toBase64 } from '../../core/bytes.ts';
import { cosignatureTimestamp, cosignatureVerifier } from '../../core/cosignature.ts';
import { parseNote, verifyNote } from '../../core/note/note.ts';
import { silentLogger } from '../../service/logger.ts';
import {
  addLog,
  addLogAt,
  initWitness,
  openPgWitness,
  openWitness,
  type OpenWitness,
  type OpenWitnessOptions,
} from '../../witness/index.ts';
import { originHash } from '../../witness/store.ts';
import { freshPgUrl, pgQuery } from '../support/postgres.ts';
import { tempDir } from '../support/process.ts';
import { TestLog } from './test-log.ts';

export const WITNESS_NAME = 'witness.example/w1';

export interface Reply {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
}

export async function replyOf(res: Response): Promise<Reply> {
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

export type FixtureOptions = Omit<OpenWitnessOptions, 'dataDir' | 'logger' | 'database'>;

/** Where the witness keeps its state: SQLite in its data directory, or a fresh PostgreSQL schema. */
export type WitnessBackend = 'SQLite' | 'PostgreSQL';

export class WitnessFixture {
  constructor(
    readonly dataDir: string,
    readonly vkey: string,
    public witness: OpenWitness,
    /** The PostgreSQL URL, when the state lives there. */
    readonly database?: string,
  ) {}

  static async create(options: FixtureOptions = {}, backend: WitnessBackend = 'SQLite'): Promise<WitnessFixture> {
    const dataDir = tempDir('fleetlog-witness-');
    const database = backend === 'PostgreSQL' ? await freshPgUrl() : undefined;
    const { vkey } = await initWitness({ dataDir, name: WITNESS_NAME, ...(database ? { database } : {}) });
    return new WitnessFixture(dataDir, vkey, await openAt(dataDir, database, options), database);
  }

  /** A fresh witness that trusts a fresh test log: where most tests start. */
  static async withLog(
    options: FixtureOptions = {},
    backend: WitnessBackend = 'SQLite',
  ): Promise<{ fx: WitnessFixture; log: TestLog }> {
    const fx = await WitnessFixture.create(options, backend);
    const log = new TestLog();
    await fx.trust(log);
    return { fx, log };
  }

  /** Another witness instance on the same database: its own connection and group commit, like a second process. */
  second(options: FixtureOptions = {}): Promise<OpenWitness> {
    return openAt(this.dataDir, this.database, options);
  }

  async reopen(options: FixtureOptions = {}): Promise<void> {
    await this.witness.close();
    this.witness = await openAt(this.dataDir, this.database, options);
  }

  async trust(log: TestLog): Promise<void> {
    if (this.database) await addLogAt({ database: this.database, origin: log.origin, vkey: log.vkey });
    else addLog({ dataDir: this.dataDir, origin: log.origin, vkey: log.vkey });
  }

  async post(body: string | Uint8Array, witness: OpenWitness = this.witness): Promise<Reply> {
    return replyOf(
      await witness.app.request('/add-checkpoint', {
        method: 'POST',
        body: typeof body === 'string' ? body : new Uint8Array(body),
      }),
    );
  }

  /** Submits `log`'s checkpoint at `size` with a proof from `oldSize`, and expects it cosigned (200). */
  async cosign(log: TestLog, oldSize: number, size = log.size, witness: OpenWitness = this.witness): Promise<Reply> {
    const reply = await this.post(log.body(oldSize, size), witness);
    expect(reply.status, reply.text).toBe(200);
    return reply;
  }

  /** `cosign`, then checks the cosignature as an outside client would; returns its timestamp. */
  async cosignAndVerify(log: TestLog, oldSize: number, size = log.size): Promise<bigint> {
    return verifyCosignature(log.checkpoint(size), (await this.cosign(log, oldSize, size)).text, this.vkey);
  }

  async get(path: string): Promise<Reply> {
    return replyOf(await this.witness.app.request(path));
  }

  async cosigned(origin: string): Promise<Reply> {
    return this.get(`/${originHash(origin)}/checkpoint`);
  }

  /** Every row of the witness's safety state and evidence, read through a separate connection. */
  async dump(): Promise<{ checkpoints: unknown[]; evidence: number }> {
    if (this.database) {
      const checkpoints = await pgQuery(
        this.database,
        "SELECT origin, tree_size::text, upper(encode(root_hash, 'hex')) AS root, note, last_timestamp::text FROM witness_checkpoints ORDER BY origin",
      );
      const [evidence] = await pgQuery<{ n: string }>(this.database, 'SELECT count(*) AS n FROM witness_evidence');
      return { checkpoints, evidence: Number(evidence!.n) };
    }
    const db = new Database(join(this.dataDir, 'witness.db'), { readonly: true });
    try {
      return {
        checkpoints: db
          .prepare(
            'SELECT origin, tree_size, hex(root_hash) AS root, note, last_timestamp FROM checkpoints ORDER BY origin',
          )
          .all(),
        evidence: (db.prepare('SELECT count(*) AS n FROM evidence').get() as { n: number }).n,
      };
    } finally {
      db.close();
    }
  }

  close(): Promise<void> {
    return this.witness.close();
  }
}

function openAt(dataDir: string, database: string | undefined, options: FixtureOptions): Promise<OpenWitness> {
  return database
    ? openPgWitness({ dataDir, database, logger: silentLogger, ...options })
    : Promise.resolve(openWitness({ dataDir, logger: silentLogger, ...options }));
}

/**
 * Checks a 200 body the way an independent client would: append the lines to the checkpoint and
 * verify the note with only the witness's cosigner key. Returns the cosignature timestamp.
 */
export function verifyCosignature(checkpointNote: string, body: string, witnessVkey: string): bigint {
  const verified = verifyNote(parseNote(checkpointNote + body), [cosignatureVerifier(witnessVkey)]);
  const timestamp = cosignatureTimestamp(verified.verified[0]!.signature.signature);
  if (timestamp === undefined) throw new Error('cosignature has no timestamp');
  return timestamp;
}

/** Flips one bit inside the signature (not the key ID) of the note's `line`-th signature line. */
export function flipSignatureBit(note: string, line = 0): string {
  const lines = note.split('\n');
  const at = lines.findIndex((l) => l.startsWith('— ')) + line;
  const [dash, name, b64] = lines[at]!.split(' ') as [string, string, string];
  const raw = fromBase64(b64);
  raw[30]! ^= 0x10;
  lines[at] = `${dash} ${name} ${toBase64(raw)}`;
  return lines.join('\n');
}
