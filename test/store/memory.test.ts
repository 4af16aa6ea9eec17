import { MemoryStore } from '../../src/store/memory/index.js';
import { type ConformanceTarget, runStoreConformance } from './conformance.js';
import { runOzStoreConformance } from './oz-conformance.js';
import { runProfileStoreConformance } from './profile-conformance.js';

const target: ConformanceTarget = {
  name: 'memory',
  open: async () => new MemoryStore(),
  destroy: async (store) => store.close(),
};

runStoreConformance(target);
runProfileStoreConformance(target);
runOzStoreConformance(target);
