import { openStore } from '../../src/store/open.js';
import { type ConformanceTarget, runStoreConformance } from './conformance.js';
import { runOzStoreConformance } from './oz-conformance.js';
import { runProfileStoreConformance } from './profile-conformance.js';

/** `memory:` is SQLite in memory: the same code as a file, each store a database of its own. */
const target: ConformanceTarget = {
  name: 'memory',
  open: () => openStore('memory:'),
  destroy: async (store) => store.close(),
};

runStoreConformance(target);
runProfileStoreConformance(target);
runOzStoreConformance(target);
