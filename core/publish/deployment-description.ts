/**
 * The operator's description of a deployment, turned into a `fleetlog/deployment-evidence/v1`
 * entry. The description is the evidence object in any JSON formatting, with or without its
 * `type` member (formats.md §5.1): HSMs with their keys, firmware measurement and vendor
 * attestation, the firmware release, the ceremony. The entry is its canonical form, and it is
 * only produced when it passes the evidence rules E1-E4 (audit step 6b) under the policy.
 */
import { FleetlogError } from '../errors.ts';
import type { Json } from '../entries/canonical-json.ts';
import {
  DEPLOYMENT_EVIDENCE_TYPE,
  evidenceProblems,
  parseDeploymentEvidence,
  type DeploymentEvidence,
} from '../entries/deployment-evidence.ts';
import { encodeEntry } from '../entries/entry.ts';
import type { Policy } from '../policy/policy.ts';

export function evidenceFromDescription(
  description: Json,
  policy: Policy,
): { evidence: DeploymentEvidence; bytes: Uint8Array } {
  if (description === null || typeof description !== 'object' || Array.isArray(description))
    throw new FleetlogError('bad_entry', 'the deployment description must be a JSON object');
  const type = (description as { type?: Json }).type;
  if (type !== undefined && type !== DEPLOYMENT_EVIDENCE_TYPE)
    throw new FleetlogError('bad_entry', `$.type: must be ${DEPLOYMENT_EVIDENCE_TYPE} or absent`);
  const evidence = parseDeploymentEvidence({ ...description, type: DEPLOYMENT_EVIDENCE_TYPE });
  const problems = evidenceProblems(evidence, policy.hsmVendors);
  if (problems.length > 0)
    throw new FleetlogError('entry_rejected', `the deployment evidence fails rules E1-E4: ${problems.join('; ')}`);
  return { evidence, bytes: encodeEntry(evidence) };
}
