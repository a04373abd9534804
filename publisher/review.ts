/**
 * The countersigner's human review of a key set, as text: what it is signing (fleet, version, keys
 * per HSM, window, evidence), what changes against the log's current version, and every check.
 * Formatting only; the checks are core/publish/publish-checks.ts.
 */
import type { DeploymentEvidence } from '../core/entries/deployment-evidence.ts';
import type { KeysetDraft } from '../core/publish/keyset-draft.ts';
import type { KeysetDiff } from '../core/publish/keyset-diff.ts';
import type { PublishCheck } from '../core/publish/publish-checks.ts';
import type { CurrentKeyset } from './current-keyset.ts';

export interface CountersignReview {
  readonly draft: KeysetDraft;
  readonly evidence: DeploymentEvidence;
  readonly checks: readonly PublishCheck[];
  readonly current?: CurrentKeyset;
  readonly diff?: KeysetDiff;
  /** Where the evidence is in the log, if it is logged already. */
  readonly evidenceIndex?: number;
  readonly ok: boolean;
}

const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const days = (a: number, b: number): string => `${((b - a) / 86_400).toFixed((b - a) % 86_400 === 0 ? 0 : 1)} days`;
const short = (hex: string): string => (hex.length > 16 ? `${hex.slice(0, 16)}…` : hex);

export function formatReview(r: CountersignReview): string {
  const { body, publisherSignature } = r.draft;
  const e = r.evidence;
  const regions = [...new Set(e.hsms.map((h) => h.region))];
  const out: string[] = [];
  out.push(`Key set to counter-sign`);
  out.push(`  fleet        ${body.fleetId}`);
  out.push(
    `  version      ${body.version}${r.current ? ` (the log's current version is ${r.current.keyset.version}, at index ${r.current.index})` : ' (the log has no key set for this fleet yet)'}`,
  );
  out.push(`  valid        ${iso(body.notBefore)} to ${iso(body.notAfter)} (${days(body.notBefore, body.notAfter)})`);
  out.push(
    `  publisher    ${publisherSignature ? `${publisherSignature.name} (key ID ${publisherSignature.keyId})` : 'not signed'}`,
  );
  out.push(
    `  evidence     ${short(body.evidence)}: ${e.hsms.length} HSMs in ${regions.join(', ')}, firmware ${e.firmware.release} (${short(e.firmware.sha256)}), ceremony ${e.ceremony.id} at ${iso(e.ceremony.time)}`,
  );
  out.push(
    `               ${r.evidenceIndex !== undefined ? `logged at index ${r.evidenceIndex}` : 'not logged yet: fleet submit logs it before the key set'}`,
  );
  out.push(`  keys per HSM`);
  for (const hsm of e.hsms) {
    const keys = body.keys.filter((k) => k.hsmId === hsm.id);
    if (keys.length === 0) continue;
    out.push(`    ${hsm.id} (${hsm.region})`);
    for (const k of keys) out.push(`      ${k.alg.padEnd(22)} ${k.publicKey}`);
  }
  const strays = body.keys.filter((k) => !e.hsms.some((h) => h.id === k.hsmId));
  for (const k of strays) out.push(`    ${k.hsmId} (NOT IN THE EVIDENCE) ${k.alg} ${k.publicKey}`);
  if (r.diff) {
    const d = r.diff;
    out.push(`  changes against version ${d.previousVersion}`);
    for (const h of d.addedHsms) out.push(`    + HSM ${h}`);
    for (const h of d.removedHsms) out.push(`    - HSM ${h}`);
    for (const k of d.addedKeys) out.push(`    + ${k.hsmId} ${k.alg} ${short(k.publicKey)}`);
    for (const k of d.removedKeys) out.push(`    - ${k.hsmId} ${k.alg} ${short(k.publicKey)}`);
    const [b0, b1] = d.window.before;
    const [a0, a1] = d.window.after;
    if (b0 !== a0 || b1 !== a1) out.push(`    window ${iso(b0)}..${iso(b1)} -> ${iso(a0)}..${iso(a1)}`);
    out.push(`    evidence ${d.evidenceChanged ? 'is a new deployment' : 'is the same deployment as before'}`);
    if (d.addedKeys.length + d.removedKeys.length === 0) out.push('    no key changed');
  }
  out.push(`  checks`);
  for (const c of r.checks) out.push(`    ${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
  return `${out.join('\n')}\n`;
}
