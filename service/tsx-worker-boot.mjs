// Worker-thread entry when running from the TypeScript sources (see service/worker.ts): register
// the tsx loader in this thread, then import the real entry, whose URL is argv[2].
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
