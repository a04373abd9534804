/**
 * Each signature line of a checkpoint note, checked on its own in the browser: which key it claims,
 * whether that key is one the policy names (the log, or a witness), and whether it verifies. The
 * audit steps need only the verdict; a reader wants to see every line.
 */
import { cosignatureTimestamp } from '../../core/cosignature.ts';
import { formatKeyId } from '../../core/note/keys.ts';
import { parseNote } from '../../core/note/note.ts';
import type { Policy } from '../../core/policy/policy.ts';

export interface SignatureRow {
  readonly name: string;
  readonly keyId: string;
  /** 'log', 'witness <policy name>', or 'unknown key'. */
  readonly role: string;
  readonly status: 'verified' | 'failed' | 'unknown key';
  /** Cosignature time (seconds), for witness cosignatures. */
  readonly timestamp?: bigint;
}

export function checkSignatures(note: string, policy: Policy): SignatureRow[] {
  const parsed = parseNote(note);
  return parsed.signatures.map((sig) => {
    const base = { name: sig.name, keyId: formatKeyId(sig.keyId) };
    for (const log of policy.logs) {
      const v = log.verifier;
      if (v.name === sig.name && v.keyId === sig.keyId)
        return { ...base, role: 'log', status: v.verify(parsed.textBytes, sig.signature) ? 'verified' : 'failed' };
    }
    for (const w of policy.witnesses.values()) {
      const v = w.verifier;
      if (v.name !== sig.name || v.keyId !== sig.keyId) continue;
      const ok = v.verify(parsed.textBytes, sig.signature);
      const ts = cosignatureTimestamp(sig.signature);
      return {
        ...base,
        role: `witness ${w.name}`,
        status: ok ? 'verified' : 'failed',
        ...(ts !== undefined ? { timestamp: ts } : {}),
      };
    }
    return { ...base, role: 'unknown key', status: 'unknown key' };
  });
}
