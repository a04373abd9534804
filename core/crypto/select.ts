/**
 * Picks the crypto backend once, at load: native node:crypto where it exists, @noble elsewhere.
 * `FLEETLOG_CRYPTO=noble` forces the pure-JS backend for a whole process (the browser code path).
 * Tests and benchmarks compare the two directly, through `nativeBackend` and `nobleBackend`.
 */
import type { CryptoBackend } from './backend.ts';
import { createNativeBackend } from './native.ts';
import { nobleBackend } from './noble.ts';

async function loadNative(): Promise<CryptoBackend | undefined> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.FLEETLOG_CRYPTO === 'noble') return undefined;
  try {
    // biome-ignore lint/correctness/noNodejsModules: the one sanctioned exception: a guarded dynamic import that browser bundles leave external and that fails there (test/core/browser-purity.test.ts).
    const nodeCrypto = await import('node:crypto');
    if (typeof nodeCrypto.hash !== 'function') return undefined; // Node < 20.12
    return createNativeBackend(nodeCrypto);
  } catch {
    return undefined; // not Node: browsers get the pure-JS backend
  }
}

export const nativeBackend: CryptoBackend | undefined = await loadNative();

/** The backend every fleetlog component uses. */
export const backend: CryptoBackend = nativeBackend ?? nobleBackend;

export { nobleBackend };
