/** SHA-256 through the selected backend: the single entry point for hashing in fleetlog. */
import { backend } from './select.ts';

export function sha256(data: Uint8Array): Uint8Array {
  return backend.sha256(data);
}
