/**
 * One C2SP tlog-witness add-checkpoint exchange, and the reading of its answer: the cosignature
 * line (verified under the witness's pinned key), a 409 with the witness's size, or a refusal.
 */
import { utf8 } from '../../core/bytes.ts';
import { parseDecimal } from '../../core/decimal.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import { type NoteSignature, parseSignatureLine } from '../../core/note/note.ts';
import { formatKeyId } from '../../core/note/keys.ts';
import type { PolicyWitness } from '../../core/policy/policy.ts';
import { formatAddCheckpoint } from '../../core/witness-request.ts';
import { readStreamCapped } from '../../service/body.ts';
import { isRedirect, redirectTarget } from '../../service/http-redirects.ts';

/** Witness answers are a few signature lines or a size; anything longer is refused unread. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export type WitnessAnswer =
  | { readonly kind: 'cosigned'; readonly line: string }
  | { readonly kind: 'conflict'; readonly size: number }
  | { readonly kind: 'refused'; readonly status: number; readonly message: string }
  | { readonly kind: 'bad_response'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string; readonly timeout: boolean };

export interface AddCheckpointCall {
  readonly witness: PolicyWitness;
  readonly url: string;
  readonly oldSize: number;
  readonly proof: readonly Hash[];
  /** The log-signed checkpoint note. */
  readonly note: string;
  /** The checkpoint text (the signed part of the note), which the cosignature must cover. */
  readonly text: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
}

function addCheckpointUrl(prefix: string): string {
  return `${prefix.replace(/\/+$/, '')}/add-checkpoint`;
}

export async function addCheckpoint(call: AddCheckpointCall): Promise<WitnessAnswer> {
  const body = formatAddCheckpoint({ oldSize: call.oldSize, proof: call.proof, checkpoint: call.note });
  let response: Response;
  let text: string;
  try {
    // Redirects as the auditor follows them (service/http-redirects.ts); each hop has its own
    // deadline over headers and body, like each of the auditor's requests.
    let url = addCheckpointUrl(call.url);
    for (let hop = 0; ; hop++) {
      const signals = [AbortSignal.timeout(call.timeoutMs)];
      if (call.signal) signals.push(call.signal);
      response = await (call.fetch ?? fetch)(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        redirect: 'manual',
        signal: AbortSignal.any(signals),
      });
      text = await readCapped(response);
      if (!isRedirect(response.status)) break;
      try {
        url = redirectTarget(url, response.status, response.headers.get('location'), hop + 1, 'POST').href;
      } catch (e) {
        return { kind: 'bad_response', message: (e as Error).message };
      }
    }
  } catch (e) {
    const timeout = (e as Error).name === 'TimeoutError';
    return {
      kind: 'unreachable',
      timeout,
      message: timeout ? `no answer within ${call.timeoutMs} ms` : String((e as Error).message ?? e),
    };
  }
  if (response.status === 200) return readCosignature(call, text);
  if (response.status === 409) {
    const type = response.headers.get('content-type') ?? '';
    const m = /^([0-9]+)\n$/.exec(text);
    if (type.split(';')[0]!.trim() !== 'text/x.tlog.size' || !m) {
      return {
        kind: 'bad_response',
        message: `409 without a text/x.tlog.size body (${JSON.stringify(text.slice(0, 60))})`,
      };
    }
    try {
      return { kind: 'conflict', size: parseDecimal(m[1]!, 'witness tree size') };
    } catch (e) {
      return { kind: 'bad_response', message: (e as Error).message };
    }
  }
  return { kind: 'refused', status: response.status, message: text.slice(0, 300).trim() };
}

/** Picks this witness's cosignature out of the response and verifies it over the checkpoint text. */
function readCosignature(call: AddCheckpointCall, text: string): WitnessAnswer {
  if (!text.endsWith('\n')) return { kind: 'bad_response', message: 'response does not end in a newline' };
  const v = call.witness.verifier;
  const textBytes = utf8(call.text);
  const otherKeys: string[] = [];
  for (const raw of text.slice(0, -1).split('\n')) {
    let sig: NoteSignature;
    try {
      sig = parseSignatureLine(raw);
    } catch (e) {
      return { kind: 'bad_response', message: `malformed signature line: ${(e as Error).message}` };
    }
    if (sig.name !== v.name || sig.keyId !== v.keyId) {
      otherKeys.push(`${sig.name} key ID ${formatKeyId(sig.keyId)}`);
      continue; // other keys are ignored (tlog-witness)
    }
    if (!v.verify(textBytes, sig.signature))
      return { kind: 'bad_response', message: `cosignature by ${v.name} does not verify` };
    return { kind: 'cosigned', line: sig.line };
  }
  // Name what the witness did sign with: usually a witness key rotated without updating the policy.
  const signed = otherKeys.length ? `; it signed with ${otherKeys.slice(0, 5).join(', ')}` : '';
  return {
    kind: 'bad_response',
    message: `response carries no cosignature by ${v.name} key ID ${formatKeyId(v.keyId)} (the policy's key for witness ${call.witness.name})${signed}`,
  };
}

async function readCapped(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new Error(`response of ${declared} bytes is too large`);
  }
  if (!response.body) return '';
  const body = await readStreamCapped(response.body, MAX_RESPONSE_BYTES);
  if (body === undefined) throw new Error('response is too large');
  return Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8');
}
