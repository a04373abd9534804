/**
 * `fleetlog sim run`: deploy a fleet (in-process, or as processes on localhost), register a backup
 * with embedded (pinned) fleet keys, inject faults, make wrong guesses, try to recover, and print
 * what every replica holds. No log is involved: this is the fleet on its own.
 */
import { count as plural } from '../cli/plural.ts';
import { KEY_TYPE_ED25519, generateKey, parseSignerKey } from '../core/note/keys.ts';
import { FleetlogError, isFleetlogError } from '../core/errors.ts';
import { ceremonyWithKeyset, type CeremonyHsm } from './ceremony.ts';
import { BackupClient, FAST_KEY_STRETCHING } from './client/backup-client.ts';
import { EmbeddedTrust } from './client/fleet-trust-source.ts';
import { SimFleet } from './fleet.ts';
import { ALG_IDENTITY } from './hsm/device.ts';
import type { HsmEndpoint } from './hsm/endpoint.ts';
import { firmwareImage } from './hsm/firmware.ts';
import type { ReplicaStatus } from './hsm/messages.ts';
import { HsmVendor } from './hsm/vendor.ts';
import { ProcessFleet } from './process-fleet.ts';
import { delayedEndpoint } from './net/delayed-endpoint.ts';
import { LatencyModel, type LatencyMatrix } from './net/latency.ts';
import { SimNetwork } from './net/sim-network.ts';
import { Report } from './report.ts';
import { coordinatorOrder, recoveryBound } from './study/round-trip-bound.ts';

export interface SimRunOptions {
  readonly processes: boolean;
  readonly size: number;
  readonly regions: readonly string[];
  /** HSM numbers (1-based) or ids to stop after registration. */
  readonly stop: readonly string[];
  /** HSM numbers or ids to bring back (restart, catch up) after the wrong guesses. */
  readonly restart?: readonly string[];
  /** Region groups to partition into after registration. */
  readonly partition?: readonly (readonly string[])[];
  readonly wrongGuesses: number;
  /** Delay messages by this latency model (the client sits in the first region). */
  readonly latency?: LatencyMatrix;
  readonly guessLimit: number;
  readonly write?: (line: string) => void;
}

interface Driver {
  readonly ids: readonly string[];
  readonly regions: readonly string[];
  ceremonyHsms(): CeremonyHsm[];
  endpoints(): HsmEndpoint[];
  stop(ids: string[]): Promise<void>;
  /** Brings HSMs back and waits until they have caught up (specs/consensus.md §2.1). */
  restart(ids: string[]): Promise<void>;
  partition(groups: readonly (readonly string[])[]): Promise<void>;
  status(userId: string): Promise<(ReplicaStatus | { hsmId: string; kind: 'down' })[]>;
  describe(): string[];
  close(): Promise<void>;
}

async function inProcess(vendor: HsmVendor, o: SimRunOptions): Promise<Driver> {
  const fleet = SimFleet.create({
    fleetId: 'sim-fleet',
    vendor,
    size: o.size,
    regions: o.regions,
    guessLimit: o.guessLimit,
    ...(o.latency ? { network: new SimNetwork({ latency: new LatencyModel(o.latency) }) } : {}),
  });
  return {
    ids: fleet.hsms.map((h) => h.id),
    regions: fleet.regions(),
    ceremonyHsms: () => [...fleet.hsms],
    endpoints: () => fleet.endpoints(o.latency ? o.regions[0] : undefined),
    stop: async (ids) => fleet.stop(...ids),
    restart: async (ids) => {
      const back = await fleet.rejoin(...ids);
      if (back.length < ids.length)
        throw new FleetlogError('unavailable', `only ${back.join(', ') || 'none'} of ${ids.join(', ')} caught up`);
    },
    partition: async (groups) => fleet.partition(groups),
    status: async (userId) =>
      fleet.hsms.map((h) =>
        fleet.network.isRunning(h.id) ? h.status(userId) : { hsmId: h.id, kind: 'down' as const },
      ),
    describe: () => fleet.hsms.map((h) => `${h.id} (${h.region}) in-process`),
    close: async () => undefined,
  };
}

async function processes(skey: string, o: SimRunOptions): Promise<Driver> {
  const fleet = await ProcessFleet.start({
    fleetId: 'sim-fleet',
    vendorSkey: skey,
    size: o.size,
    regions: o.regions,
    guessLimit: o.guessLimit,
    ...(o.latency ? { latency: o.latency } : {}),
  });
  const model = o.latency ? new LatencyModel(o.latency) : undefined;
  const places = fleet.describe().map((d) => d.region);
  return {
    ids: fleet.hsmIds,
    regions: fleet.regions(),
    ceremonyHsms: () => fleet.ceremonyHsms(),
    endpoints: () =>
      fleet.endpoints().map((e, i) => (model ? delayedEndpoint(e, model, o.regions[0]!, places[i]!) : e)),
    stop: (ids) => fleet.stop(...ids),
    restart: (ids) => fleet.restart(...ids),
    partition: (groups) => fleet.partition(groups),
    status: (userId) => fleet.status(userId),
    describe: () => fleet.describe().map((d) => `${d.hsmId} (${d.region}) pid ${d.pid} at ${d.url}`),
    close: () => fleet.close(),
  };
}

export async function runSimulation(o: SimRunOptions): Promise<{ recovered: boolean; lines: readonly string[] }> {
  const r = new Report(o.write);
  const vendorSkey = generateKey('hsm-vendor.example', KEY_TYPE_ED25519).skey;
  const vendor = new HsmVendor(vendorSkey);
  const fleet = o.processes ? await processes(vendorSkey, o) : await inProcess(vendor, o);
  try {
    const toId = (s: string): string => {
      const id = /^[0-9]+$/.test(s) ? fleet.ids[Number(s) - 1] : fleet.ids.find((x) => x === s);
      if (!id) throw new FleetlogError('usage', `--stop: no HSM ${s} (give 1-${fleet.ids.length} or an HSM id)`);
      return id;
    };
    const stop = o.stop.map(toId);
    const restart = (o.restart ?? []).map(toId);
    r.section(
      `Fleet of ${plural(fleet.ids.length, 'HSM')} (${o.processes ? 'processes on localhost' : 'in-process'}), guess limit ${o.guessLimit}`,
    );
    for (const d of fleet.describe()) r.info(d);

    const now = Math.floor(Date.now() / 1000);
    const signer = (name: string) => parseSignerKey(generateKey(name, KEY_TYPE_ED25519).skey);
    const {
      ceremony,
      keyset: { keyset },
    } = await ceremonyWithKeyset({
      fleetId: 'sim-fleet',
      hsms: fleet.ceremonyHsms(),
      firmware: firmwareImage(),
      vendorKeys: [vendor.vkey],
      now,
      publisher: signer('publisher.example'),
      countersigner: signer('countersigner.example'),
      validitySeconds: 86_400,
    });
    r.ok(
      `ceremony done: fleet OPAQUE key ${ceremony.opaquePublicKey.slice(0, 16)}…; ${plural(keyset.keys.length, 'key')} pinned in the client (embedded mode)`,
    );

    // With a latency model the client (in the first region) tries the best coordinator first.
    const model = o.latency ? new LatencyModel(o.latency) : undefined;
    const places = fleet.ids.map((_, i) => o.regions[i % o.regions.length]!);
    const endpoints = fleet.endpoints();
    const ordered = model ? coordinatorOrder(model, places, o.regions[0]!).map((i) => endpoints[i]!) : endpoints;
    const client = new BackupClient({
      userId: 'user',
      fleetId: 'sim-fleet',
      endpoints: ordered,
      trust: new EmbeddedTrust('sim-fleet', keyset.keys),
      keyStretching: FAST_KEY_STRETCHING,
    });
    r.section('Register a backup');
    const reg = await client.register('the password');
    r.ok(`registered via ${reg.hsmId}; ${reg.remaining} guesses`);

    r.section('Inject faults');
    if (stop.length) {
      await fleet.stop(stop);
      r.ok(`stopped ${stop.join(', ')}`);
    }
    if (o.partition) {
      await fleet.partition(o.partition);
      r.ok(`partitioned regions: ${o.partition.map((g) => `[${g.join(' ')}]`).join(' | ')}`);
    }
    if (!stop.length && !o.partition) r.info('none');

    if (o.wrongGuesses > 0) r.section(`${o.wrongGuesses} wrong guesses`);
    for (let i = 1; i <= o.wrongGuesses; i++) {
      try {
        await client.recover(`wrong-${i}`);
        r.fail(`guess ${i} was accepted`);
      } catch (e) {
        if (!isFleetlogError(e)) throw e;
        r.info(`guess ${i}: ${e.code}: ${e.message.split('\n')[0]}`);
      }
    }

    if (restart.length) {
      r.section('Bring HSMs back');
      try {
        await fleet.restart(restart);
        r.ok(
          `${restart.join(', ')} ${o.processes ? 'restarted, enrolled again by a live HSM, and' : 'back and'} caught up on every register`,
        );
        // A real HSM keeps its identity key across a restart: the pinned key set still names it.
        const hsms = fleet.ceremonyHsms();
        for (const id of restart) {
          const now = (await hsms[fleet.ids.indexOf(id)]!.describe()).identityKey;
          const pinned = keyset.keys.find((k) => k.hsmId === id && k.alg === ALG_IDENTITY)?.publicKey;
          if (now === pinned) r.ok(`${id} kept its identity key: the pinned key set still names it`);
          else r.fail(`${id} came back with a new identity key; the pinned key set names another`);
        }
        for (const s of await fleet.status('user'))
          if (restart.includes(s.hsmId) && s.kind !== 'down')
            r.info(
              `${s.hsmId} after catching up: ${s.kind}${s.remaining !== undefined ? `, ${s.remaining} guesses` : ''}`,
            );
      } catch (e) {
        if (!isFleetlogError(e)) throw e;
        r.fail(`${e.code}: ${e.message}`);
      }
    }

    r.section('Recover with the right password');
    let recovered = false;
    try {
      const t0 = performance.now();
      const rec = await client.recover('the password');
      const took = performance.now() - t0;
      recovered = true;
      r.ok(`recovered via ${rec.hsmId}; counter reset to ${rec.remaining}`);
      if (model)
        r.info(
          `took ${Math.round(took)} ms for a client in ${o.regions[0]}; round-trip limit ${Math.round(recoveryBound(model, places, o.regions[0]!).boundMs)} ms (${model.matrix.date} matrix; jitter, CPU and I/O come on top)`,
        );
    } catch (e) {
      if (!isFleetlogError(e)) throw e;
      r.fail(`${e.code}: ${e.message}`);
    }

    r.section("Replica state (each HSM's local copy)");
    for (const s of await fleet.status('user')) {
      r.info(
        s.kind === 'down'
          ? `${s.hsmId}: down`
          : `${s.hsmId}: ${s.kind}${s.remaining !== undefined ? `, ${s.remaining} guesses` : ''}, accepted ballot ${s.accepted}, promised ${s.promised}`,
      );
    }
    return { recovered, lines: r.lines };
  } finally {
    await fleet.close();
  }
}
