/**
 * The fleetlog version, from the package.json this code ships in (found from the sources and from
 * dist/ alike). Servers put it in /health, /metrics (fleetlog_build_info) and their startup line.
 */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fleetlog' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}

export const FLEETLOG_VERSION = readVersion();
