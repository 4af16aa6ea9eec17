import { MemoryStore } from '../../src/store/memory/index.js';
import { runStoreConformance } from './conformance.js';

runStoreConformance({
  name: 'memory',
  open: async () => new MemoryStore(),
  destroy: async (store) => store.close(),
});
