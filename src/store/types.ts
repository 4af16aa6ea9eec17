/**
 * The storage of ticketd: a small lifecycle part and one narrow part per
 * domain (parts/*.ts). Every surface works on every backend (SQLite, also
 * in memory; PostgreSQL; Redis) because it only ever talks to these parts,
 * and each service takes only the parts it uses. In every backend folder,
 * one file implements one part on that backend's handle, and `index.ts`
 * wires them. The conformance suites (test/store/*-conformance.ts) hold
 * every backend to the contracts written on the parts.
 *
 * Conventions for every method:
 * - Times are epoch milliseconds and always come from the caller (`now`), so
 *   expiry is deterministic under an injected clock. A store never reads the
 *   wall clock to decide whether a record is alive.
 * - A record whose expiry is `<= now` is dead: no read returns it, no write
 *   revives it, whether or not the purge has removed it yet.
 * - Secrets given to clients (tickets, session and access-token ids) reach a
 *   store only as digests; records are copies, shared with no caller.
 * - Methods reject with `StoreUnavailableError` when the backend cannot be
 *   reached, and with any other error only for bugs.
 */
import type { AccessTokenStore } from './parts/access-tokens.js';
import type { AppStore } from './parts/apps.js';
import type { AuditStore } from './parts/audit.js';
import type { GrantStore } from './parts/grants.js';
import type { LockoutStore } from './parts/lockouts.js';
import type { MetaStore } from './parts/meta.js';
import type { NonceStore } from './parts/nonces.js';
import type { OutboxStore } from './parts/outbox.js';
import type { ProfileStore } from './parts/profiles.js';
import type { RateLimitStore } from './parts/rate-limits.js';
import type { SessionStore } from './parts/sessions.js';
import type { TenantStore } from './parts/tenants.js';
import type { TicketStore } from './parts/tickets.js';
import type { WebhookStore } from './parts/webhooks.js';

export type * from './parts/access-tokens.js';
export type * from './parts/apps.js';
export type * from './parts/audit.js';
export type * from './parts/grants.js';
export type * from './parts/lockouts.js';
export type * from './parts/meta.js';
export type * from './parts/nonces.js';
export type * from './parts/outbox.js';
export type * from './parts/profiles.js';
export type * from './parts/rate-limits.js';
export type * from './parts/sessions.js';
export type * from './parts/tenants.js';
export type * from './parts/tickets.js';
export type * from './parts/webhooks.js';

export interface Store {
  /** `sqlite`, `memory`, `postgres`, `redis`: as shown by `GET /v1/info`. */
  readonly kind: string;

  readonly tenants: TenantStore;
  readonly tickets: TicketStore;
  readonly profiles: ProfileStore;
  readonly sessions: SessionStore;
  readonly accessTokens: AccessTokenStore;
  readonly meta: MetaStore;
  readonly apps: AppStore;
  readonly grants: GrantStore;
  readonly nonces: NonceStore;
  readonly lockouts: LockoutStore;
  readonly rateLimits: RateLimitStore;
  readonly webhooks: WebhookStore;
  readonly outbox: OutboxStore;
  readonly audit: AuditStore;

  /** Applies pending schema migrations; idempotent, safe to run from several processes. */
  migrate(): Promise<void>;
  /** The schema version the backend is at (0 before any migration). */
  schemaVersion(): Promise<number>;
  /** The schema version this build's migrations bring the backend to (`/readyz` waits for it). */
  readonly latestSchemaVersion: number;
  /** Resolves when the backend answers a trivial query. */
  ping(): Promise<void>;
  /** Releases connections and files. No call may follow. */
  close(): Promise<void>;
  /**
   * Removes the tenant and everything that belongs to it (opaque tickets,
   * profiles, sessions, Oz apps and their grants, webhook endpoints) in one atomic step; false
   * when there was no such tenant. Hawk nonces belong to no tenant and stay.
   */
  deleteTenant(name: string): Promise<boolean>;
}

/** The backend could not be reached; HTTP surfaces answer 503. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
