/**
 * `fleetlog policy check`: parse the policy (keys valid, names unique and defined before use,
 * thresholds possible), then check that the quorum can be met and what publishing needs; warn
 * loudly on `quorum none`. With --online, also ask the log and each witness which keys they use.
 */
import { Command } from '@commander-js/extra-typings';
import { FleetlogError, isFleetlogError } from '../../core/errors.ts';
import { openCheckpointWithPolicy } from '../../core/policy/checkpoint-trust.ts';
import { policyFindings, type PolicyFinding } from '../../core/policy/policy-edit.ts';
import { parsePolicy, type Policy } from '../../core/policy/policy.ts';
import { readStreamCapped } from '../../service/body.ts';
import { jsonOption } from '../options.ts';
import { action } from '../run.ts';
import { readPolicyText } from './policy-file.ts';
import { logKeyFromServer, witnessKeyFromServer } from './server-keys.ts';

async function onlineFindings(policy: Policy): Promise<{ findings: PolicyFinding[]; ok: string[] }> {
  const findings: PolicyFinding[] = [];
  const ok: string[] = [];
  const attempt = async (what: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (e) {
      if (!isFleetlogError(e)) throw e;
      findings.push({ level: 'error', message: `${what}: ${e.message}` });
    }
  };
  for (const log of policy.logs) {
    if (log.url === undefined) continue;
    const url = log.url;
    await attempt(`log ${log.verifier.name}`, async () => {
      const served = await logKeyFromServer(url);
      if (served.vkey !== log.verifier.key.vkey) {
        findings.push({
          level: 'error',
          message: `log at ${url} uses key ${served.vkey}, the policy pins ${log.verifier.key.vkey}`,
        });
        return;
      }
      ok.push(`log ${log.verifier.name} at ${url} uses the pinned key`);
      const r = await fetch(`${url.replace(/\/+$/, '')}/checkpoint`, { signal: AbortSignal.timeout(10_000) }).catch(
        (e) => {
          throw new FleetlogError('unavailable', `no answer to /checkpoint: ${(e as Error).message}`);
        },
      );
      const body = r.body ? await readStreamCapped(r.body, 64 * 1024) : undefined;
      if (r.status === 503 || body === undefined) {
        findings.push({ level: 'warning', message: `log at ${url} has not published a checkpoint yet` });
        return;
      }
      const trusted = openCheckpointWithPolicy(policy, new TextDecoder().decode(body));
      const who = [...trusted.cosigners.keys()].join(', ') || 'no witness';
      if (trusted.quorumMet)
        ok.push(`log's published checkpoint (size ${trusted.checkpoint.size}) is cosigned by ${who}: quorum met`);
      else
        findings.push({
          level: 'error',
          message: `log's published checkpoint (size ${trusted.checkpoint.size}) is cosigned by ${who}: the quorum is NOT met`,
        });
    });
  }
  for (const w of policy.witnesses.values()) {
    if (w.url === undefined) continue;
    const url = w.url;
    await attempt(`witness ${w.name}`, async () => {
      const served = await witnessKeyFromServer(url);
      if (served !== w.verifier.key.vkey)
        findings.push({
          level: 'error',
          message: `witness ${w.name} at ${url} uses key ${served}, the policy pins ${w.verifier.key.vkey}`,
        });
      else ok.push(`witness ${w.name} at ${url} uses the pinned key`);
    });
  }
  return { findings, ok };
}

export function checkCommand() {
  return new Command('check')
    .description(
      'check a policy: it parses, the quorum can be met, publishing has its keys; --online asks the servers too',
    )
    .requiredOption('--policy <file>', 'the policy file')
    .option('--online', 'also check that the log and every witness answer with the keys the policy pins')
    .addOption(jsonOption())
    .action(
      action(async (opts) => {
        const policy = parsePolicy(readPolicyText(opts.policy));
        const findings = policyFindings(policy);
        const ok = [
          `${opts.policy} parses: ${policy.logs.length} log, ${policy.witnesses.size} witnesses, quorum ${policy.quorum}, ${policy.publishers.length} publisher, ${policy.countersigners.length} countersigner, ${policy.hsmVendors.length} HSM vendor keys`,
        ];
        if (opts.online) {
          const online = await onlineFindings(policy);
          findings.push(...online.findings);
          ok.push(...online.ok);
        }
        const errors = findings.filter((f) => f.level === 'error');
        if (opts.json) process.stdout.write(`${JSON.stringify({ ok: errors.length === 0, passed: ok, findings })}\n`);
        else {
          for (const line of ok) process.stdout.write(`ok       ${line}\n`);
          for (const f of findings)
            (f.level === 'error' ? process.stdout : process.stderr).write(
              `${f.level === 'error' ? 'ERROR  ' : 'WARNING'}  ${f.message}\n`,
            );
        }
        if (errors.length > 0)
          throw new FleetlogError(
            'bad_policy',
            `${opts.policy}: ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors[0]!.message}`,
          );
      }),
    );
}
