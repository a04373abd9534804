// The human output of the audit commands (auditor-cli/human.ts): plurals, failure lines with their
// reason, witnesses by policy name, and a long run of identical alerts ending in a summary.
import { describe, expect, it } from 'vitest';
import { count } from '../../cli/plural.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { ALERTS_SHOWN_PER_KIND, alertLines, failedLine, logReport, roundReport } from '../../auditor-cli/human.ts';
import type { AuditLogResult } from '../../auditor-cli/log-audit/audit-log.ts';
import type { Alert, MonitorRound } from '../../auditor-cli/monitor.ts';
import { policyText } from '../auditor/support/fleet-fixtures.ts';
import { makeLogKeys } from '../auditor/support/synthetic-log.ts';

const audit = (over: Partial<AuditLogResult> = {}): AuditLogResult => ({
  ok: true,
  log: 'http://log.test/',
  origin: 'log.test/a',
  size: 1,
  rootHash: 'ab'.repeat(32),
  previousSize: 0,
  checks: [],
  newEntries: 1,
  requests: 1,
  bytes: 1000,
  workers: 1,
  elapsedMs: 10,
  fleetRules: true,
  newKeysets: [],
  newViolations: [],
  newWarnings: [],
  ...over,
});

describe('human output', () => {
  it('counts in the singular and the plural', () => {
    expect(count(1, 'key set')).toBe('1 key set');
    expect(count(2, 'key set')).toBe('2 key sets');
    expect(count(1, 'entry', 'entries')).toBe('1 entry');
    expect(count(0, 'entry', 'entries')).toBe('0 entries');
    const line = logReport(audit(), false).find((l) => l?.includes('request'))!;
    expect(line).toContain('1 new entry, 1 request,');
    expect(line).toContain('1 worker thread)');
  });

  it('a failure line carries the reason of the first failed check', () => {
    const checks = [
      { step: 3 as const, title: 't3', status: 'pass' as const, reason: 'ok' },
      { step: 4 as const, title: 't4', status: 'fail' as const, reason: 'cosigned by w1: quorum not met' },
    ];
    expect(failedLine(checks)).toBe('FAILED: step 4: cosigned by w1: quorum not met');
    expect(logReport(audit({ ok: false, checks }), false).at(-1)).toBe(
      'FAILED: step 4: cosigned by w1: quorum not met',
    );
  });

  it('a long run of identical alerts ends with a summary line', () => {
    const alerts: Alert[] = Array.from({ length: 25 }, (_, i) => ({
      kind: 'verification_failed',
      rule: 'F3',
      message: `version ${i} does not increase`,
      key: `k${i}`,
    }));
    alerts.push({ kind: 'new_keyset', rule: 'M5', message: 'new key set', key: 'n' });
    const lines = alertLines(alerts);
    expect(lines.filter((l) => l.includes('ALERT verification_failed'))).toHaveLength(ALERTS_SHOWN_PER_KIND);
    expect(lines).toContain('  ALERT new_keyset [M5]: new key set');
    expect(lines.at(-1)).toBe(
      `  ... and ${25 - ALERTS_SHOWN_PER_KIND} more alerts verification_failed [F3] (all of them in --json and the hook)`,
    );
  });

  it('the monitor names witnesses by their policy names', () => {
    const keys = makeLogKeys('log.test/a');
    const policy = parsePolicy(policyText(keys, { quorum: 1 }).replace(/^(witness w1 \S+)$/m, '$1 http://w1.test/'));
    const round: MonitorRound = {
      alerts: [],
      warnings: [],
      audit: audit(),
      witnesses: [
        { url: 'http://w1.test/', size: 1, relation: 'same' },
        { url: 'http://10.0.0.2/', name: 'w2', size: 1, relation: 'same' },
        { url: 'http://elsewhere.test/', note: 'not consulted: down' },
      ],
    };
    const text = roundReport(round, [], policy, new Date(0)).join('\n');
    expect(text).toContain('witness w1 (http://w1.test/): size 1 (same)');
    expect(text).toContain('witness w2 (http://10.0.0.2/): size 1 (same)');
    expect(text).toContain('witness http://elsewhere.test/: not consulted: down');
    expect(text).toContain('1 new entry, 0 alerts');
  });
});
