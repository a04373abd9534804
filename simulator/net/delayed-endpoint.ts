/**
 * A client's connection to an HSM behind HTTP, held for one leg of the latency model each way
 * (net/latency.ts): how a client "in a region" reaches HSM processes on loopback.
 */
import type { HsmEndpoint } from '../hsm/endpoint.ts';
import type { LatencyModel } from './latency.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function delayedEndpoint(
  e: HsmEndpoint,
  model: LatencyModel,
  clientRegion: string,
  hsmRegion: string,
): HsmEndpoint {
  return {
    hsmId: e.hsmId,
    call: async <T>(request: Parameters<HsmEndpoint['call']>[0]) => {
      await sleep(model.oneWayMs(clientRegion, hsmRegion));
      const reply = await e.call<T>(request);
      await sleep(model.oneWayMs(hsmRegion, clientRegion));
      return reply;
    },
  };
}
