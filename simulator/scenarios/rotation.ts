/**
 * Fleet rotation: a second deployment of the same fleet (new HSMs, new evidence, key set v2)
 * published through the same library as `fleetlog fleet …`. Over-the-air clients move to v2;
 * clients with embedded v1 keys refuse the new HSMs and say an app update is needed; a key set
 * past notAfter is refused at step 8; the log audit shows both deployments in the timeline.
 */
import { auditLog } from '../../auditor-cli/index.ts';
import { BackupClient, FAST_KEY_STRETCHING } from '../client/backup-client.ts';
import { EmbeddedTrust, MemoryStateStore } from '../client/fleet-trust-source.ts';
import { describeRefusal, refusal } from './outcome.ts';
import type { Scenario } from './scenario.ts';

export const rotation: Scenario = {
  name: 'rotation',
  title: 'the fleet rotates to a second deployment',
  expect:
    'over-the-air clients move to key set v2 on the new HSMs; a client with embedded v1 keys refuses them and says an app update is needed; a key set past notAfter is refused at step 8; the log audit shows both deployments',
  async run(world) {
    const lines: string[] = [];
    const fleetId = 'rotating-fleet';
    const v1 = await world.deploy(fleetId);
    const state = new MemoryStateStore();
    await world.client(v1, { state, userId: 'ota-user' }).register('pw-rotation');
    lines.push(
      `v1 published at index ${v1.deployment.keysetEntry.index}; an over-the-air client trusts v${state.load().fleets[fleetId]?.version}`,
    );

    const v2 = await world.deploy(fleetId, { version: 2 });
    lines.push(
      `second deployment: ${v2.deployment.ceremony.evidence.hsms.length} new HSMs, evidence at index ${v2.deployment.evidenceEntry.index}, key set v2 at index ${v2.deployment.keysetEntry.index}`,
    );
    const moved = await refusal(() => world.client(v2, { state, userId: 'ota-user' }).register('pw-rotation'));
    const otaVersion = state.load().fleets[fleetId]?.version;
    lines.push(
      moved
        ? `over-the-air client on the new HSMs: ${describeRefusal(moved)}`
        : `over-the-air client registered on the new HSMs, now trusting v${otaVersion}`,
    );

    const embedded = new BackupClient({
      userId: 'embedded-user',
      fleetId,
      endpoints: v2.fleet.endpoints(),
      trust: new EmbeddedTrust(fleetId, v1.deployment.keyset.keyset.keys),
      keyStretching: FAST_KEY_STRETCHING,
    });
    const stale = await refusal(() => embedded.register('pw-embedded'));
    lines.push(`client with embedded v1 keys on the new HSMs: ${describeRefusal(stale)}`);

    const notAfter = v2.deployment.keyset.keyset.notAfter;
    const late = await refusal(() =>
      world.client(v2, { state: new MemoryStateStore(), userId: 'late-user', now: () => notAfter }).register('pw-late'),
    );
    lines.push(`a client whose clock is at v2's notAfter: ${describeRefusal(late)}`);

    const audit = await auditLog({
      log: world.stack.log.url,
      policy: world.stack.policy,
      policyText: world.stack.policyText,
      workers: 0,
      timeoutMs: 30_000,
    });
    const record = audit.history?.fleets[fleetId];
    lines.push(
      `log audit: ${audit.ok ? 'passed' : 'FAILED'}; ${fleetId}: ${record?.deployments} deployments, ${record?.keysets} key sets, latest v${record?.version}`,
    );
    return {
      passed:
        moved === undefined &&
        otaVersion === 2 &&
        stale?.code === 'forbidden' &&
        /app update is needed/.test(stale.message) &&
        late?.step === 8 &&
        audit.ok &&
        record?.deployments === 2 &&
        record.keysets === 2 &&
        record.version === 2,
      refusedAtStep: 8,
      refusedBy: 'the embedded-key check, then audit step 8',
      lines,
    };
  },
};
