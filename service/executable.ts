/**
 * The path of the `fleetlog` executable, for components that start copies of themselves as child
 * processes. This module sits at service/ in the sources and at dist/service/ when compiled.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function locate(): string {
  for (const candidate of ['../bin/fleetlog.js', '../../bin/fleetlog.js']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('cannot find bin/fleetlog.js next to the fleetlog sources');
}

export const FLEETLOG_EXECUTABLE = locate();
