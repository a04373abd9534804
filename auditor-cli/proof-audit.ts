/**
 * `audit proof FILE`: verifies an offline C2SP tlog-proof and its entry with no network: the entry
 * (from the `extra` line, or given separately) is included in the checkpoint (step 2), the
 * checkpoint is signed by the log (step 3) and cosigned by a quorum (step 4), and a fleetlog entry
 * passes the checks that need nothing else (a key set's signatures, step 1, and validity window,
 * step 8; a deployment evidence's attestations, step 6). A file holding two proofs is a fleet
 * bundle and gets the full trust decision of `audit fleet --proof`.
 */
import { count as plural } from '../cli/plural.ts';
import { EMPTY_STATE } from '../core/audit/client-state.ts';
import { step1Signatures, step2Inclusion, step8Validity } from '../core/audit/steps.ts';
import { evidenceProblems } from '../core/entries/deployment-evidence.ts';
import { decodeEntry } from '../core/entries/entry.ts';
import { FLEET_KEYSET_TYPE } from '../core/entries/fleet-keyset.ts';
import type { Policy } from '../core/policy/policy.ts';
import { parseTlogProof, TLOG_PROOF_HEADER } from '../core/tlog-proof.ts';
import { auditFleet } from './fleet-audit.ts';
import { check, fromStepResult, passed, type CheckResult } from './report.ts';
import { verifyCheckpointNote } from './verify-checkpoint.ts';

export interface ProofAuditResult {
  readonly ok: boolean;
  readonly kind: 'tlog-proof' | 'fleet-bundle';
  readonly checks: CheckResult[];
  readonly index?: number;
  readonly entryType?: string;
}

export async function auditProof(o: {
  text: string;
  policy: Policy;
  entry?: Uint8Array;
  now?: number;
}): Promise<ProofAuditResult> {
  if (o.text.indexOf(`\n${TLOG_PROOF_HEADER}\n`) >= 0) {
    const r = await auditFleet({
      policy: o.policy,
      bundleText: o.text,
      state: EMPTY_STATE,
      ...(o.now !== undefined ? { now: o.now } : {}),
    });
    return {
      ok: r.trusted,
      kind: 'fleet-bundle',
      checks: r.checks,
      ...(r.keyset ? { index: r.keyset.index, entryType: FLEET_KEYSET_TYPE } : {}),
    };
  }
  const proof = parseTlogProof(o.text);
  const entry = proof.extra ?? o.entry;
  const checks: CheckResult[] = [];
  if (!entry) {
    checks.push(
      check(
        2,
        'entry inclusion in the checkpoint',
        false,
        'the proof carries no entry (no extra line); pass the entry with --entry FILE',
      ),
    );
    return { ok: false, kind: 'tlog-proof', checks, index: proof.index };
  }
  const s2 = step2Inclusion(proof.checkpoint, entry, proof.index, proof.proof);
  checks.push({ ...fromStepResult(s2), title: 'entry inclusion in the checkpoint' });
  checks.push(...verifyCheckpointNote(o.policy, proof.checkpoint).checks);
  let entryType: string | undefined;
  if (o.policy.fleetlog) {
    try {
      const decoded = decodeEntry(entry);
      entryType = decoded.type;
      if (decoded.type === FLEET_KEYSET_TYPE) {
        checks.push(
          fromStepResult(step1Signatures(o.policy, decoded)),
          fromStepResult(step8Validity(decoded, o.now ?? Math.floor(Date.now() / 1000))),
        );
      } else {
        const problems = evidenceProblems(decoded, o.policy.hsmVendors);
        checks.push(
          check(
            6,
            'deployment evidence valid',
            problems.length === 0,
            problems.length === 0
              ? `${plural(decoded.hsms.length, 'HSM')} attested by pinned vendor keys`
              : problems.join('; '),
          ),
        );
      }
    } catch (e) {
      checks.push(check(undefined, 'a well-formed fleetlog entry', false, (e as Error).message));
    }
  }
  return { ok: passed(checks), kind: 'tlog-proof', checks, index: proof.index, ...(entryType ? { entryType } : {}) };
}
