import { MemoryStore } from '../../src/store/memory/index.js';
import { runOzStoreConformance } from './oz-conformance.js';

runOzStoreConformance({
  name: 'memory',
  open: async () => new MemoryStore(),
  destroy: async (store) => store.close(),
});
