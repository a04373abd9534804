/**
 * `fleetlog sim hsm serve`: one simulated HSM as its own process on localhost, for fleets run as
 * processes (process-fleet.ts). Its peers are given as id=url pairs. With a data directory
 * (`--data`) it keeps, as a real HSM does, its acceptor state (`acceptor.db`) and its identity key
 * (`identity.key`, mode 0600) across restarts: a restarted process is the same device, which the
 * pinned key set still names. The fleet secrets and the transport key stay in memory only, so a
 * restarted process is enrolled again by a live HSM (specs/consensus.md §5).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ed25519Signer } from '../core/crypto/ed25519.ts';
import { generateKey, KEY_TYPE_ED25519, parseSignerKey } from '../core/note/keys.ts';
import { FleetlogError } from '../core/errors.ts';
import { readKeyFile, writeKeyFile } from '../service/key-file.ts';
import { createLogger } from '../service/logger.ts';
import { exitOnSignals, parseListen } from '../service/serve.ts';
import { SqliteAcceptorStore } from './consensus/sqlite-store.ts';
import { fleetHsm } from './fleet-members.ts';
import { HsmVendor } from './hsm/vendor.ts';
import { startHsmServer } from './http/hsm-server.ts';
import { HttpPeerTransport } from './http/peer-transport.ts';
import { LatencyModel, parseLatencyMatrix, seededRandom } from './net/latency.ts';

export interface HsmProcessOptions {
  readonly id: string;
  readonly region: string;
  readonly index: number;
  readonly listen: string;
  /** "id=url,id=url,…", this HSM included. */
  readonly replicas: string;
  readonly vendorKeyFile: string;
  readonly adminTokenFile: string;
  /** The HSM's data directory: acceptor state and identity key survive a restart (default: memory). */
  readonly dataDir?: string;
  readonly guessLimit?: number;
  /** A latency matrix file (net/latency.ts): delay every HSM-to-HSM message by the model. */
  readonly latencyFile?: string;
  /** "id=region,…" for every peer, needed with `latencyFile`. */
  readonly peerRegions?: string;
  /** Exit when standard input closes: a parent that dies (even by SIGKILL) takes its HSMs with it. */
  readonly exitWithParent?: boolean;
}

export function parseReplicas(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(',')) {
    const m = /^([a-z0-9][a-z0-9._-]{0,63})=(http:\/\/[^\s,]+)$/.exec(part.trim());
    if (!m)
      throw new FleetlogError(
        'usage',
        `--replicas wants id=url pairs separated by commas, got ${JSON.stringify(part)}`,
      );
    map.set(m[1]!, m[2]!.replace(/\/$/, ''));
  }
  return map;
}

/** "id=region,id=region" -> Map. */
export function parsePeerRegions(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const m = /^([a-z0-9][a-z0-9._-]{0,63})=([a-z0-9][a-z0-9._-]{0,63})$/.exec(part.trim());
    if (!m) throw new FleetlogError('usage', `--peer-regions wants id=region pairs, got ${JSON.stringify(part)}`);
    map.set(m[1]!, m[2]!);
  }
  return map;
}

/**
 * The identity key of HSM `id` kept in `dataDir/identity.key` (an skey named after the HSM, mode
 * 0600): read back on a restart, created on the first start. A file that names another HSM, or
 * that others can read, is refused rather than replaced.
 */
export function loadOrCreateIdentity(dataDir: string, id: string): Ed25519Signer {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'identity.key');
  if (!existsSync(path)) writeKeyFile(path, generateKey(id, KEY_TYPE_ED25519).skey);
  const key = parseSignerKey(readKeyFile(path));
  if (key.name !== id) throw new FleetlogError('usage', `${path} is the identity key of HSM ${key.name}, not of ${id}`);
  return key.signer;
}

export async function serveHsmProcess(o: HsmProcessOptions): Promise<void> {
  const logger = createLogger(`sim-hsm.${o.id}`);
  const urls = parseReplicas(o.replicas);
  if (!urls.has(o.id)) throw new FleetlogError('usage', `--replicas must include this HSM (${o.id})`);
  const latency = o.latencyFile
    ? {
        model: new LatencyModel(parseLatencyMatrix(readFileSync(o.latencyFile, 'utf8')), seededRandom(o.index)),
        region: o.region,
        regions: parsePeerRegions(o.peerRegions ?? ''),
      }
    : undefined;
  const transport = new HttpPeerTransport(o.id, [...urls.keys()], urls, latency);
  const vendor = new HsmVendor(readKeyFile(o.vendorKeyFile));
  const identity = o.dataDir ? loadOrCreateIdentity(o.dataDir, o.id) : undefined;
  const store = o.dataDir ? new SqliteAcceptorStore(join(o.dataDir, 'acceptor.db')) : undefined;
  const hsm = fleetHsm(
    { id: o.id, region: o.region, index: o.index },
    { vendor, guessLimit: o.guessLimit },
    transport,
    store,
    identity,
  );
  const starting = startHsmServer({
    hsm,
    adminToken: readKeyFile(o.adminTokenFile),
    transport,
    ...parseListen(o.listen),
    logger,
  });
  exitOnSignals(starting, logger);
  const server = await starting;
  logger.info('HSM listening', { url: server.url, region: o.region, replicas: urls.size });
  if (o.exitWithParent) {
    const leave = (): never => process.exit(0);
    process.stdin.on('end', leave);
    process.stdin.on('close', leave);
    process.stdin.on('error', leave);
    process.stdin.resume();
  }
}
