// The in-memory hash store moved to core, where the vector generator and the simulator use it too.
export { MemoryHashStore } from '../../core/merkle/memory-hash-store.ts';
