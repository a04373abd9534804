/**
 * How a client reaches one HSM: in-process through the simulated network, or over HTTP
 * (http/hsm-client.ts). Errors arrive as FleetlogErrors with their codes either way.
 */
import type { ClientRequest } from './messages.ts';

export interface HsmEndpoint {
  readonly hsmId: string;
  call<T = unknown>(request: ClientRequest): Promise<T>;
}
