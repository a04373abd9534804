/**
 * One simulated HSM behind HTTP on localhost:
 *   POST /client   client requests (hsm/messages.ts ClientRequest)
 *   POST /peer     CASPaxos prepare/accept from fleet peers (MAC-authenticated by the fleet key)
 *   POST /admin/…  ceremony, replica status and fault injection, bearer token required
 *   GET  /health
 * Private keys never cross this interface: the admin calls return public descriptions and
 * secrets sealed to another attested HSM.
 */
import { Hono, type Context } from 'hono';
import { timingSafeEqual } from 'node:crypto';
import { FleetlogError } from '../../core/errors.ts';
import { readBodyCapped } from '../../service/body.ts';
import { handleError } from '../../service/http-errors.ts';
import { silentLogger, type Logger } from '../../service/logger.ts';
import { startHttpServer, type RunningServer } from '../../service/serve.ts';
import type { DeviceDescription, SealedFleetSecrets } from '../hsm/device.ts';
import type { Hsm } from '../hsm/hsm.ts';
import type { ClientRequest, PeerRequest } from '../hsm/messages.ts';
import type { HttpPeerTransport } from './peer-transport.ts';

const MAX_BODY = 64 * 1024;

export interface HsmServerOptions {
  readonly hsm: Hsm;
  readonly adminToken: string;
  /** To apply partitions sent to /admin/partition. */
  readonly transport?: HttpPeerTransport;
  readonly host?: string;
  readonly port?: number;
  readonly logger?: Logger;
}

export function hsmApp(o: HsmServerOptions): Hono {
  const app = new Hono();
  const logger = o.logger ?? silentLogger;
  app.onError(handleError(logger));
  const json = async <T>(c: Context): Promise<T> => {
    const body = await readBodyCapped(c, MAX_BODY);
    try {
      return JSON.parse(new TextDecoder().decode(body)) as T;
    } catch {
      throw new FleetlogError('usage', 'request body is not JSON');
    }
  };
  const admin = (c: Context): void => {
    const given = Buffer.from(c.req.header('authorization') ?? '');
    const want = Buffer.from(`Bearer ${o.adminToken}`);
    if (given.length !== want.length || !timingSafeEqual(given, want))
      throw new FleetlogError('unauthorized', 'admin calls need the ceremony bearer token');
  };

  app.get('/health', (c) => c.json({ ok: true, hsmId: o.hsm.id, fleetId: o.hsm.fleetId }));
  app.post('/client', async (c) => c.json((await o.hsm.handleClient(await json<ClientRequest>(c))) as object));
  app.post('/peer', async (c) => {
    const from = c.req.header('x-fleetlog-peer') ?? '';
    if (o.transport?.isBlocked(from)) throw new FleetlogError('unavailable', `partitioned from ${from}`);
    return c.json(o.hsm.handlePeer(await json<PeerRequest>(c)));
  });
  app.post('/admin/describe', (c) => {
    admin(c);
    return c.json(o.hsm.describe());
  });
  app.post('/admin/create-fleet', async (c) => {
    admin(c);
    await o.hsm.createFleet((await json<{ fleetId: string }>(c)).fleetId);
    return c.json({ ok: true });
  });
  app.post('/admin/export-secrets', async (c) => {
    admin(c);
    return c.json(o.hsm.exportFleetSecrets(await json<DeviceDescription>(c)));
  });
  app.post('/admin/import-secrets', async (c) => {
    admin(c);
    const { sealed, sender } = await json<{ sealed: SealedFleetSecrets; sender: DeviceDescription }>(c);
    await o.hsm.importFleetSecrets(sealed, sender);
    return c.json({ ok: true });
  });
  app.post('/admin/fleet-record', (c) => {
    admin(c);
    return c.json(o.hsm.fleetRecord());
  });
  app.post('/admin/install-bundle', async (c) => {
    admin(c);
    o.hsm.installBundle((await json<{ bundle: string }>(c)).bundle);
    return c.json({ ok: true });
  });
  app.post('/admin/status', async (c) => {
    admin(c);
    return c.json(o.hsm.status((await json<{ userId: string }>(c)).userId));
  });
  app.post('/admin/sync', async (c) => {
    admin(c);
    return c.json(await o.hsm.sync());
  });
  app.post('/admin/partition', async (c) => {
    admin(c);
    const { blocked } = await json<{ blocked: string[] }>(c);
    if (!o.transport) throw new FleetlogError('usage', 'this HSM has no HTTP peer transport to partition');
    o.transport.block(blocked);
    return c.json({ ok: true, blocked });
  });
  return app;
}

export async function startHsmServer(o: HsmServerOptions): Promise<RunningServer> {
  return startHttpServer(hsmApp(o), { host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
}
