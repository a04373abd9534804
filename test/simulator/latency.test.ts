// The latency model (simulator/net/latency.ts), the virtual clock, and the round-trip bound
// arithmetic (simulator/study/round-trip-bound.ts), with known answers from the default matrix.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LATENCY_MATRIX } from '../../simulator/net/default-latency.ts';
import { LatencyModel, parseLatencyMatrix, seededRandom } from '../../simulator/net/latency.ts';
import { clientIn, SimNetwork } from '../../simulator/net/sim-network.ts';
import { VirtualClock } from '../../simulator/net/virtual-clock.ts';
import {
  CLIENT_ROUND_TRIPS,
  coordinatorOrder,
  nearestMajorityRttMs,
  QUORUM_ROUND_TRIPS,
  recoveryBound,
} from '../../simulator/study/round-trip-bound.ts';
import { type FleetlogError, isFleetlogError } from '../../core/errors.ts';

/** The FleetlogError `f` throws, checked to carry `code`. */
function expectCode(f: () => unknown, code: string): FleetlogError {
  try {
    f();
  } catch (e) {
    if (!isFleetlogError(e)) throw e;
    expect(e.code).toBe(code);
    return e;
  }
  throw new Error('expected a FleetlogError, nothing was thrown');
}

const noJitter = new LatencyModel({ ...DEFAULT_LATENCY_MATRIX, jitter: 0 });
const matrix = (over: Record<string, unknown>): string => JSON.stringify({ ...DEFAULT_LATENCY_MATRIX, ...over });

describe('latency matrix files', () => {
  it('loads the default matrix from its JSON form and uses the mean of both published directions', () => {
    const m = new LatencyModel(parseLatencyMatrix(JSON.stringify(DEFAULT_LATENCY_MATRIX)));
    expect(m.regions).toEqual(['us-east-1', 'eu-west-1', 'ap-northeast-1', 'us-west-2', 'eu-central-1']);
    expect(m.rttMs('us-east-1', 'eu-west-1')).toBeCloseTo((80.55 + 80.52) / 2, 9);
    expect(m.rttMs('eu-west-1', 'us-east-1')).toBeCloseTo((80.55 + 80.52) / 2, 9);
    expect(m.rttMs('ap-northeast-1', 'us-west-2')).toBeCloseTo((89.16 + 89.1) / 2, 9);
    expect(m.rttMs('eu-west-1', 'eu-west-1')).toBe(1);
  });

  it('accepts one direction per pair', () => {
    const m = new LatencyModel(
      parseLatencyMatrix(
        JSON.stringify({
          source: 's',
          date: '2025',
          sameRegionRttMs: 0.5,
          jitter: 0,
          rttMs: { a: { b: 10, c: 30 }, b: { c: 20 } },
        }),
      ),
    );
    expect([m.rttMs('a', 'b'), m.rttMs('c', 'a'), m.rttMs('c', 'b'), m.rttMs('b', 'b')]).toEqual([10, 30, 20, 0.5]);
  });

  it('refuses bad files with a one-line usage error', () => {
    const bad: [string, RegExp][] = [
      ['{not json', /not JSON/],
      ['[]', /JSON object/],
      [matrix({ source: '' }), /source/],
      [matrix({ date: 'April' }), /date/],
      [matrix({ jitter: -1 }), /jitter/],
      [matrix({ sameRegionRttMs: 'fast' }), /sameRegionRttMs/],
      [matrix({ rttMs: { a: { b: -5 } } }), /"rttMs"."a"."b"/],
      [matrix({ rttMs: { a: { b: 1e9 } } }), /10000/],
      [matrix({ rttMs: { a: { a: 1 } } }), /sameRegionRttMs/],
      [matrix({ rttMs: { 'A B': { c: 1 } } }), /region name/],
      [matrix({ rttMs: { a: [1] } }), /must be an object/],
    ];
    for (const [text, message] of bad) {
      const e = expectCode(() => parseLatencyMatrix(text), 'usage');
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain('\n');
    }
    // Parses, but a pair has no time at all.
    expectCode(() => new LatencyModel(parseLatencyMatrix(matrix({ rttMs: { a: { b: 1 }, c: { b: 2 } } }))), 'usage');
    expectCode(() => noJitter.rttMs('us-east-1', 'mars-1'), 'usage');
  });
});

describe('message delays', () => {
  it('without jitter a leg is half the round trip; jitter only adds, about its mean', () => {
    expect(noJitter.oneWayMs('us-east-1', 'ap-northeast-1')).toBeCloseTo(145.3 / 2, 9);
    const jittery = new LatencyModel(DEFAULT_LATENCY_MATRIX, seededRandom(7));
    const draws = Array.from({ length: 4000 }, () => jittery.oneWayMs('us-east-1', 'ap-northeast-1'));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(145.3 / 2);
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(mean / (145.3 / 2)).toBeGreaterThan(1.04);
    expect(mean / (145.3 / 2)).toBeLessThan(1.06);
    expect(noJitter.scaled(0.1).rttMs('us-east-1', 'ap-northeast-1')).toBeCloseTo(14.53, 9);
  });

  it('the in-process network delays by the model between the two regions, in simulated time', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ latency: noJitter, clock });
    net.attach('tokyo', 'ap-northeast-1', async () => 'pong');
    net.attach('dublin', 'eu-west-1', async () => 'pong');
    expect(await net.send(clientIn('us-east-1'), 'tokyo', 'ping')).toBe('pong');
    expect(clock.now()).toBeCloseTo(145.3, 9);
    await net.send('tokyo', 'dublin', 'ping');
    expect(clock.now()).toBeCloseTo(145.3 + 212.4, 9);
    // A plain client sits next to the HSM it calls.
    await net.send('client', 'dublin', 'ping');
    expect(clock.now()).toBeCloseTo(145.3 + 212.4 + 1, 9);
  });

  it('the virtual clock wakes sleepers in time order, concurrent sleeps overlapping', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    await Promise.all([
      clock.sleep(30).then(() => order.push(`a@${clock.now()}`)),
      clock.sleep(10).then(async () => {
        order.push(`b@${clock.now()}`);
        await clock.sleep(5);
        order.push(`c@${clock.now()}`);
      }),
      clock.sleep(10).then(() => order.push(`d@${clock.now()}`)),
    ]);
    expect(order).toEqual(['b@10', 'd@10', 'c@15', 'a@30']);
  });
});

describe('the round-trip bound', () => {
  // 5 HSMs round-robin over three regions, as the study places them.
  const five = ['us-east-1', 'eu-west-1', 'ap-northeast-1', 'us-east-1', 'eu-west-1'];
  const usEu = (80.55 + 80.52) / 2;

  it('counts 2 round trips per CASPaxos operation, 2 operations and 2 client round trips per recovery', () => {
    expect([QUORUM_ROUND_TRIPS, CLIENT_ROUND_TRIPS]).toEqual([4, 2]);
  });

  it('nearest majority: the own vote is free, then the M - 1 closest peers', () => {
    expect(nearestMajorityRttMs(noJitter, five, 0)).toBeCloseTo(usEu, 9); // itself, its us-east twin, then eu-west
    expect(nearestMajorityRttMs(noJitter, five, 2)).toBeCloseTo(145.3, 9); // Tokyo: two us-east HSMs are nearest
    expect(nearestMajorityRttMs(noJitter, ['eu-west-1'], 0)).toBe(0);
    expect(nearestMajorityRttMs(noJitter, ['eu-west-1', 'eu-west-1', 'us-east-1'], 0)).toBe(1);
  });

  it('known answers: the best coordinator for each client', () => {
    const us = recoveryBound(noJitter, five, 'us-east-1');
    expect(us.coordinatorRegion).toBe('us-east-1');
    expect(us.boundMs).toBeCloseTo(4 * usEu + 2 * 1, 9); // 324.14
    // A client in Tokyo does better through the Tokyo HSM (4 × 145.3 + 2 × 1) than through
    // us-east-1 (4 × 80.535 + 2 × 145.3).
    const tokyo = recoveryBound(noJitter, five, 'ap-northeast-1');
    expect(tokyo.coordinatorRegion).toBe('ap-northeast-1');
    expect(tokyo.boundMs).toBeCloseTo(583.2, 9);
    expect(coordinatorOrder(noJitter, five, 'ap-northeast-1')[0]).toBe(2);
    // One region: everything is local.
    expect(recoveryBound(noJitter, ['eu-west-1', 'eu-west-1', 'eu-west-1'], 'eu-west-1').boundMs).toBe(6);
    // A remote client pays its own round trips to the fleet's region.
    expect(recoveryBound(noJitter, ['eu-west-1', 'eu-west-1', 'eu-west-1'], 'us-east-1').boundMs).toBeCloseTo(
      4 + 2 * usEu,
      9,
    );
  });
});
