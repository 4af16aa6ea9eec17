import { MemoryStore } from '../../src/store/memory/index.js';
import { runProfileStoreConformance } from './profile-conformance.js';

runProfileStoreConformance({
  name: 'memory',
  open: async () => new MemoryStore(),
  destroy: async (store) => store.close(),
});
