/**
 * Inputs the fuzzer (fuzz/) found that crashed a parser instead of being refused with a
 * FleetlogError. Each stays here so the crash cannot come back.
 */
import { describe, expect, it } from 'vitest';
import {
  parseLogAuditState,
  parsePartialAudit,
  serializeLogAuditState,
} from '../../auditor-cli/log-audit/log-state.ts';
import { parseState } from '../../core/audit/client-state.ts';
import { codeOf } from '../support/error-code.ts';

describe('fuzz regressions', () => {
  it.each([
    // TypeError: Cannot read properties of null (reading 'origin')
    ['a null checkpoint', '{"format":"fleetlog-client-state/v1","checkpoint":null,"fleets":{}}'],
    ['fleets as an array', '{"format":"fleetlog-client-state/v1","fleets":[]}'],
    ['a null fleet', '{"format":"fleetlog-client-state/v1","fleets":{"a":null}}'],
    [
      'a root hash that is an array',
      `{"format":"fleetlog-client-state/v1","checkpoint":{"origin":"o","size":1,"rootHash":["${'a'.repeat(64)}"]},"fleets":{}}`,
    ],
    [
      'a leaf hash that is an array',
      `{"format":"fleetlog-client-state/v1","fleets":{"a":{"version":1,"leafHash":["${'a'.repeat(64)}"]}}}`,
    ],
    ['a state that is null', 'null'],
  ])('client state file: %s is refused as io', (_, text) => {
    expect(codeOf(() => parseState(text))).toBe('io');
  });

  it.each([
    // TypeError: Cannot read properties of null (reading 'size')
    ['null', 'null'],
    ['a number', '7'],
  ])('audit log progress file: %s is refused as io', (_, text) => {
    expect(codeOf(() => parsePartialAudit(text))).toBe('io');
  });

  it('audit log state file: a null fleet history is refused as io', () => {
    // TypeError: Cannot read properties of null (reading 'fleets')
    const state = serializeLogAuditState({
      checkpoint: { origin: 'o', size: 0, rootHash: '0'.repeat(64) },
      frontier: [],
      fleetRules: true,
      runs: 1,
      lastRun: '',
    });
    const withNullHistory = state.replace(/}\n$/, ',"history":null}\n');
    expect(withNullHistory).toContain('"history":null');
    expect(codeOf(() => parseLogAuditState(withNullHistory))).toBe('io');
  });
});
