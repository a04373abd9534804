// Independent check of the guess limit (specs/consensus.md I6, I7): an attacker guesses through
// random partitions, stopped HSMs, message delays and concurrency, and this test counts the OPAQUE
// responses (KE2) the attacker actually RECEIVED. However the faults fall, that count never
// exceeds the limit, and once it is spent the correct password is refused by every HSM.
// HSMs also come back (rejoin, specs/consensus.md §2.1): once one has caught up, its own copy is
// the latest value the fleet holds, and at the end every HSM that rejoins holds the tombstone.
// Half of the runs deliver messages with the default inter-region latency model (scaled down,
// with jitter), the other half with random 0/1 ms delays.
import * as opaque from '@serenity-kit/opaque';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFleetlogError } from '../../core/errors.ts';
import type { RecoverStartReply } from '../../simulator/hsm/messages.ts';
import { DEFAULT_LATENCY_MATRIX } from '../../simulator/net/default-latency.ts';
import { LatencyModel, seededRandom } from '../../simulator/net/latency.ts';
import { SimNetwork } from '../../simulator/net/sim-network.ts';
import { ceremoniedFleet, embeddedClient } from './support.ts';

const LIMIT = 4;
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-1'];

type Op =
  | { t: 'guess'; hsms: number[]; abort: boolean }
  | { t: 'partition'; groups: string[][] }
  | { t: 'stop'; hsm: number }
  | { t: 'start'; hsm: number }
  | { t: 'rejoin'; hsm: number }
  | { t: 'heal' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('guess' as const),
      hsms: fc.array(fc.nat(4), { minLength: 1, maxLength: 3 }),
      abort: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .shuffledSubarray(REGIONS)
      .map((first) => ({ t: 'partition' as const, groups: [first, REGIONS.filter((r) => !first.includes(r))] })),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('stop' as const), hsm: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('start' as const), hsm: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rejoin' as const), hsm: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'heal' as const }) },
);

/** "round.node" as one comparable number (node indexes are below 1000 here). */
const ballotOf = (s: string): number => {
  const [round, node] = s.split('.').map(Number);
  return round! * 1000 + node!;
};

describe('guess limit under partitions (property)', () => {
  it('no schedule of faults lets an attacker get more than LIMIT answered guesses', async () => {
    await opaque.ready;
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 4, maxLength: 24 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.boolean(),
        async (ops, seed, regional) => {
          let rng = seed;
          const random = (): number => {
            rng = (rng * 1103515245 + 12345) % 2 ** 31;
            return rng / 2 ** 31;
          };
          // 1/50 of the published RTTs: 1.6-4.2 ms between regions, the same shape and jitter.
          const network = regional
            ? new SimNetwork({ latency: new LatencyModel(DEFAULT_LATENCY_MATRIX, seededRandom(seed)).scaled(0.02) })
            : new SimNetwork({ delayMs: () => (random() < 0.7 ? 0 : 1) });
          const f = await ceremoniedFleet({ network, guessLimit: LIMIT, regions: REGIONS });
          const owner = embeddedClient(f, 'victim');
          await owner.register('the right password');
          const endpoints = f.fleet.endpoints();
          let answered = 0;

          const guess = async (i: number, abort: boolean): Promise<void> => {
            const { startLoginRequest } = opaque.client.startLogin({ password: `wrong-${random()}` });
            try {
              const reply = await endpoints[i]!.call<RecoverStartReply>({
                op: 'recover-start',
                userId: 'victim',
                request: startLoginRequest,
              });
              answered++;
              if (abort)
                await endpoints[i]!.call({ op: 'recover-abort', attemptId: reply.attemptId }).catch(() => undefined);
            } catch (e) {
              if (!isFleetlogError(e, 'unavailable') && !isFleetlogError(e, 'forbidden')) throw e;
            }
          };

          for (const op of ops) {
            if (op.t === 'guess') await Promise.all(op.hsms.map((i) => guess(i, op.abort)));
            else if (op.t === 'partition') f.fleet.partition(op.groups);
            else if (op.t === 'stop') f.fleet.stop(f.fleet.hsms[op.hsm]!.id);
            else if (op.t === 'start') f.fleet.start(f.fleet.hsms[op.hsm]!.id);
            else if (op.t === 'rejoin') {
              const id = f.fleet.hsms[op.hsm]!.id;
              if ((await f.fleet.rejoin(id)).length === 1) {
                // Caught up: its copy is the value with the highest accepted ballot in the fleet.
                const all = f.fleet.replicaStatus('victim');
                const latest = all.reduce((a, b) => (ballotOf(b.accepted) > ballotOf(a.accepted) ? b : a));
                const mine = all[op.hsm]!;
                expect(f.fleet.hsms[op.hsm]!.stale).toBe(false);
                expect({ kind: mine.kind, remaining: mine.remaining }).toEqual({
                  kind: latest.kind,
                  remaining: latest.remaining,
                });
              }
            } else f.fleet.heal();
            expect(answered).toBeLessThanOrEqual(LIMIT);
          }

          // Heal and spend whatever is left: the total stays within the limit...
          f.fleet.heal();
          for (let i = 0; i < LIMIT + 2; i++) await guess(i % 5, true);
          expect(answered).toBeLessThanOrEqual(LIMIT);
          // ...and the limit is spent, so even the right password is refused, by every HSM.
          await expect(owner.recover('the right password')).rejects.toMatchObject({ code: 'forbidden' });
          // Every HSM comes back and catches up: the tombstone reaches all of them.
          expect(await f.fleet.rejoin(...f.fleet.hsms.map((h) => h.id))).toHaveLength(5);
          expect(f.fleet.replicaStatus('victim').map((s) => s.kind)).toEqual([
            'destroyed',
            'destroyed',
            'destroyed',
            'destroyed',
            'destroyed',
          ]);
        },
      ),
      { numRuns: 25 },
    );
    // About 20-30 s on 2 cores; the margin is for a machine shared with other test files.
  }, 120_000);
});
