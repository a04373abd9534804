// Worker-thread entry: load the TypeScript writer through tsx, as bin/fleetlog.js does for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./writer-worker.ts');
