// Entry point of a validation worker thread. Worker threads do not inherit the TypeScript loader
// of the main thread, so register tsx here, then load the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
