/**
 * The path of the `fleetlog` executable, for components that start copies of themselves as child
 * processes. This module sits at service/ in the sources and at dist/service/ when compiled; the
 * children run the same mode, since bin/fleetlog.js passes FLEETLOG_RUN on in the environment.
 */
import { fileURLToPath } from 'node:url';

const COMPILED = import.meta.url.endsWith('.js');

export const FLEETLOG_EXECUTABLE = fileURLToPath(
  new URL(COMPILED ? '../../bin/fleetlog.js' : '../bin/fleetlog.js', import.meta.url),
);
