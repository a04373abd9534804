/**
 * The publisher's view of a log-server over HTTP: submit an entry, and read what publishing needs
 * (the published checkpoint, offline proofs, the fleet bundle, whether an entry is logged, the
 * witnesses' status). Every request has a deadline and a body cap. A log that cannot be reached
 * is `unavailable`; a log's own error answer keeps its code ({code, message}, formats.md §15.1).
 * Nothing read here is trusted: callers verify it under the policy.
 */
import { FleetlogError, type ErrorCode } from '../core/errors.ts';
import { MAX_TLOG_PROOF_BYTES } from '../core/tlog-proof.ts';
import { readStreamCapped } from '../service/body.ts';

export interface SubmittedEntry {
  readonly index: number;
  readonly leafHash: string;
  /** True when the log already held this exact entry (a resubmission). */
  readonly duplicate: boolean;
}

export interface WitnessStatus {
  readonly name: string;
  readonly status: string;
  readonly lastCosignedSize?: number | null;
  readonly lastError?: string | null;
}

const MAX_JSON_BYTES = 1024 * 1024;

export class PublishLogClient {
  readonly url: string;
  readonly #timeoutMs: number;

  constructor(url: string, options: { timeoutMs?: number } = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new FleetlogError('usage', `--log ${JSON.stringify(url)} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new FleetlogError('usage', `--log must be an http or https URL, not ${parsed.protocol}`);
    this.url = parsed.href.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Submits one entry's exact bytes; a resubmission of a logged entry succeeds with duplicate: true. */
  async submit(entry: Uint8Array, token: string): Promise<SubmittedEntry> {
    const r = await this.#request('/add-entry', MAX_TLOG_PROOF_BYTES * 2, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: entry as Uint8Array<ArrayBuffer>,
    });
    const body = parseJson(r) as { index?: unknown; leafHash?: unknown; duplicate?: unknown };
    if (!Number.isSafeInteger(body.index) || typeof body.leafHash !== 'string')
      throw new FleetlogError('bad_entry', `the log at ${this.url} answered add-entry without an index`);
    return { index: body.index as number, leafHash: body.leafHash, duplicate: body.duplicate === true };
  }

  /** The published (quorum-cosigned) checkpoint, or undefined while the log has published none. */
  async publishedCheckpoint(): Promise<string | undefined> {
    return this.#optionalText('/checkpoint', 64 * 1024);
  }

  /** The tlog-proof of entry `index` against the published checkpoint; undefined if not covered yet. */
  async proof(index: number): Promise<string | undefined> {
    return this.#optionalText(`/proof/${index}`, MAX_TLOG_PROOF_BYTES);
  }

  /** The log's bundle for the fleet's latest published key set; undefined if it has none. */
  async fleetBundle(fleetId: string): Promise<string | undefined> {
    return this.#optionalText(`/fleet-bundle/${encodeURIComponent(fleetId)}`, MAX_TLOG_PROOF_BYTES * 2);
  }

  /** The index of the entry with this leaf hash in the newest tree, or undefined if it is not logged. */
  async findLeaf(leafHashHex: string): Promise<number | undefined> {
    const text = await this.#optionalText(`/proof/inclusion?leaf=${leafHashHex}`, MAX_JSON_BYTES);
    if (text === undefined) return undefined;
    const index = (parseJson(text) as { index?: unknown }).index;
    return Number.isSafeInteger(index) ? (index as number) : undefined;
  }

  /** The log's own view of its witnesses (GET /health), for saying which did not cosign. */
  async witnessStatus(): Promise<WitnessStatus[]> {
    const r = await this.#fetch('/health', {});
    const text = await this.#body(r, MAX_JSON_BYTES, '/health');
    const w = (parseJson(text) as { witnesses?: unknown }).witnesses;
    return Array.isArray(w) ? (w as WitnessStatus[]) : [];
  }

  async #optionalText(path: string, maxBytes: number): Promise<string | undefined> {
    const r = await this.#fetch(path, {});
    if (r.status === 404 || r.status === 503) {
      await r.body?.cancel().catch(() => {});
      return undefined;
    }
    if (!r.ok) throw await this.#error(r, path);
    return this.#body(r, maxBytes, path);
  }

  async #request(path: string, maxBytes: number, init: RequestInit): Promise<string> {
    const r = await this.#fetch(path, init);
    if (!r.ok) throw await this.#error(r, path);
    return this.#body(r, maxBytes, path);
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, { ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new FleetlogError('unavailable', `the log at ${this.url} did not answer: ${why}`);
    }
  }

  async #body(r: Response, maxBytes: number, path: string): Promise<string> {
    const bytes = r.body ? await readStreamCapped(r.body, maxBytes) : new Uint8Array();
    if (bytes === undefined)
      throw new FleetlogError('too_large', `the log's answer to ${path} is larger than ${maxBytes} bytes`);
    return new TextDecoder().decode(bytes);
  }

  async #error(r: Response, path: string): Promise<FleetlogError> {
    const text = await this.#body(r, MAX_JSON_BYTES, path).catch(() => '');
    let body: { code?: unknown; message?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not a fleetlog error body
    }
    const code = typeof body.code === 'string' ? (body.code as ErrorCode) : 'unavailable';
    const message = typeof body.message === 'string' ? body.message : `HTTP ${r.status}`;
    return new FleetlogError(code, `the log refused ${path.split('?')[0]}: ${message}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FleetlogError('unavailable', 'the log answered with something that is not JSON');
  }
}
