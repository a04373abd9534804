// Entry point of the storage writer thread (see writer-thread.ts). Worker threads do not inherit
// the main thread's TypeScript loader, so register tsx here, then load the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./writer-worker-main.ts');
