/**
 * HSM-fleet simulator: OPAQUE recovery latency and throughput with 5 HSMs (CASPaxos quorum
 * replication), each against the same workload on a single HSM (no replication) in the same run,
 * in-process and over localhost HTTP. A recovery is two consensus operations (count the guess,
 * then reset), each a prepare and an accept round to every replica. The client uses the light
 * Argon2id setting so the figures show the fleet's cost, not the password hash's.
 */
import { KEY_TYPE_ED25519, generateKey, parseSignerKey } from '../core/note/keys.ts';
import { ceremonyWithKeyset, type CeremonyHsm } from '../simulator/ceremony.ts';
import { BackupClient, FAST_KEY_STRETCHING } from '../simulator/client/backup-client.ts';
import { EmbeddedTrust } from '../simulator/client/fleet-trust-source.ts';
import { SimFleet } from '../simulator/fleet.ts';
import type { HsmEndpoint } from '../simulator/hsm/endpoint.ts';
import { firmwareImage } from '../simulator/hsm/firmware.ts';
import { HsmVendor } from '../simulator/hsm/vendor.ts';
import { LocalhostFleet } from '../simulator/localhost-fleet.ts';
import { figure, percentile, type Figure } from './harness.ts';

interface Target {
  readonly endpoints: HsmEndpoint[];
  readonly hsms: CeremonyHsm[];
  readonly fleetId: string;
  readonly vendor: HsmVendor;
  close(): Promise<void>;
}

async function clients(t: Target, users: number): Promise<BackupClient[]> {
  const now = Math.floor(Date.now() / 1000);
  const key = (n: string) => parseSignerKey(generateKey(n, KEY_TYPE_ED25519).skey);
  const {
    keyset: { keyset },
  } = await ceremonyWithKeyset({
    fleetId: t.fleetId,
    hsms: t.hsms,
    firmware: firmwareImage(),
    vendorKeys: [t.vendor.vkey],
    now,
    publisher: key('p'),
    countersigner: key('c'),
    validitySeconds: 3600,
  });
  const trust = new EmbeddedTrust(t.fleetId, keyset.keys);
  const out: BackupClient[] = [];
  for (let i = 0; i < users; i++) {
    const c = new BackupClient({
      userId: `user-${i}`,
      fleetId: t.fleetId,
      endpoints: t.endpoints,
      trust,
      keyStretching: FAST_KEY_STRETCHING,
    });
    await c.register(`password-${i}`);
    out.push(c);
  }
  return out;
}

/** Sequential recoveries: latency percentiles in ms. */
async function latency(cs: BackupClient[], n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = cs[i % cs.length]!;
    const start = performance.now();
    await c.recover(`password-${i % cs.length}`);
    ms.push(performance.now() - start);
  }
  return ms.sort((a, b) => a - b);
}

/** Concurrent recoveries for ~`durationMs`: recoveries per second. */
async function throughput(cs: BackupClient[], durationMs: number): Promise<number> {
  let done = 0;
  const until = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    cs.map(async (c, i) => {
      while (performance.now() < until) {
        await c.recover(`password-${i}`);
        done++;
      }
    }),
  );
  return (done * 1000) / (performance.now() - start);
}

async function inProcess(size: number): Promise<Target> {
  const vendor = HsmVendor.generate();
  const fleet = SimFleet.create({ fleetId: `bench-${size}`, vendor, size });
  return {
    endpoints: fleet.endpoints(),
    hsms: [...fleet.hsms],
    fleetId: fleet.fleetId,
    vendor,
    close: async () => undefined,
  };
}

async function overHttp(size: number): Promise<Target> {
  const vendor = HsmVendor.generate();
  const fleet = await LocalhostFleet.start({ fleetId: `bench-http-${size}`, vendor, size });
  return {
    endpoints: fleet.endpoints(),
    hsms: fleet.ceremonyHsms(),
    fleetId: fleet.fleetId,
    vendor,
    close: () => fleet.close(),
  };
}

interface Side {
  readonly target: Target;
  readonly clients: BackupClient[];
  readonly ms: number[];
  readonly rates: number[];
}

/**
 * Measures the 5-HSM fleet and the single HSM in alternating rounds, so that load from other work
 * on a shared machine falls on both alike. Latency: sequential recoveries. Throughput: 8 clients
 * recovering concurrently.
 */
async function compare(
  make: (size: number) => Promise<Target>,
  rounds: number,
  perRound: number,
  roundMs: number,
): Promise<{ single: Side; fleet: Side }> {
  const side = async (size: number): Promise<Side> => {
    const target = await make(size);
    return { target, clients: await clients(target, 8), ms: [], rates: [] };
  };
  const single = await side(1);
  const fleet = await side(5);
  try {
    for (const s of [single, fleet]) await latency(s.clients, 10); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const s of r % 2 === 0 ? [single, fleet] : [fleet, single]) {
        s.ms.push(...(await latency(s.clients, perRound)));
        s.rates.push(await throughput(s.clients, roundMs));
      }
    }
  } finally {
    await single.target.close();
    await fleet.target.close();
  }
  for (const s of [single, fleet]) {
    s.ms.sort((a, b) => a - b);
    s.rates.sort((a, b) => a - b);
  }
  return { single, fleet };
}

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [label, make, perRound] of [
    ['in-process', inProcess, 40],
    ['localhost HTTP', overHttp, 25],
  ] as const) {
    const { single, fleet } = await compare(make, 4, perRound, 500);
    const base = (value: number) => ({ name: '1 HSM, no replication', value });
    figures.push(
      figure(
        `sim recovery latency p50, 5 HSMs (${label})`,
        percentile(fleet.ms, 50),
        'ms',
        base(percentile(single.ms, 50)),
      ),
      figure(
        `sim recovery latency p99, 5 HSMs (${label})`,
        percentile(fleet.ms, 99),
        'ms',
        base(percentile(single.ms, 99)),
      ),
      figure(
        `sim recovery throughput, 5 HSMs, 8 clients (${label})`,
        percentile(fleet.rates, 50),
        'recoveries/s',
        base(percentile(single.rates, 50)),
      ),
    );
  }
  return figures;
}
