export { loadConfig } from './config/load.js';
export type { Config } from './config/schema.js';
export { type Clock, ManualClock, systemClock } from './core/clock.js';
export {
  OzAuthError,
  OzResource,
  type OzResourceOptions,
  type OzResourceRequest,
  type OzVerified,
} from './oz/resource.js';
export { openStore } from './store/open.js';
export { SqliteStore } from './store/sqlite/index.js';
export type { Store } from './store/types.js';
export { createTicketd, startTicketd, type Ticketd } from './wire.js';
