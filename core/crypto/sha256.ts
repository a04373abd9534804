/** SHA-256 through the selected backend: the single entry point for hashing in fleetlog. */
import { backend } from './select.ts';

export function sha256(data: Uint8Array): Uint8Array {
  return backend.sha256(data);
}

/** SHA-256 of `data` into out[offset, offset + 32), allocating nothing (Merkle hot loops). */
export function sha256Into(data: Uint8Array, out: Uint8Array, offset = 0): void {
  backend.sha256Into(data, out, offset);
}
