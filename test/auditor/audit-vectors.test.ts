// specs/vectors/audit.json (specs/audit.md A.5): every scenario through the auditor's own path
// (auditFleet with the bundle as an offline file): trusted, or failing at exactly the named step
// with the steps before it passing and the steps after it skipped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseState } from '../../core/audit/client-state.ts';
import { fromBase64 } from '../../core/bytes.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { auditFleet } from '../../auditor-cli/fleet-audit.ts';
import { REPO_ROOT } from '../support/process.ts';

interface AuditVector {
  description: string;
  policy: string;
  bundle: string;
  now: number;
  state: unknown;
  consistencyProof: string[] | null;
  fleetId: string | null;
  expected: { trusted: boolean; failedStep: number | null };
}

const file = JSON.parse(readFileSync(join(REPO_ROOT, 'specs/vectors/audit.json'), 'utf8')) as {
  vectors: AuditVector[];
};

describe('specs/vectors/audit.json through audit fleet', () => {
  it.each(file.vectors.map((v) => [v.description, v] as const))('%s', async (_name, v) => {
    const state = parseState(JSON.stringify({ format: 'fleetlog-client-state/v1', ...(v.state as object) }));
    const r = await auditFleet({
      policy: parsePolicy(v.policy),
      bundleText: v.bundle,
      state,
      now: v.now,
      ...(v.fleetId !== null ? { fleetId: v.fleetId } : {}),
      ...(v.consistencyProof ? { consistencyProof: v.consistencyProof.map((h) => fromBase64(h, 32)) } : {}),
    });
    expect(r.trusted).toBe(v.expected.trusted);
    const status = r.checks.map((c) => `${c.step}:${c.status}`);
    if (v.expected.failedStep === null) {
      expect(status).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${n}:pass`));
    } else {
      const f = v.expected.failedStep;
      expect(status).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${n}:${n < f ? 'pass' : n === f ? 'fail' : 'skip'}`));
    }
  });
});
