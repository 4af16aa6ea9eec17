/**
 * The one storage interface of ticketd. Every surface works on every backend
 * (memory, SQLite, PostgreSQL and Redis) because it only ever talks to
 * `Store`, which every backend implements whole: the ticket part below
 * (`TicketStore`: lifecycle, tenants, opaque tickets), the profile part
 * (`ProfileStore`, profile-types.ts) and the Oz part (`OzStore`,
 * oz-types.ts). No caller checks whether a backend has a part.
 * `test/store/conformance.ts`, `profile-conformance.ts` and
 * `oz-conformance.ts` hold every backend to it.
 *
 * Conventions for every method:
 * - Times are epoch milliseconds and always come from the caller (`now`), so
 *   expiry is deterministic under an injected clock. A store never reads the
 *   wall clock to decide whether a record is alive.
 * - A record whose `expiresAt` is `<= now` is dead: no read returns it, no
 *   write revives it, whether or not the purge has removed it yet.
 * - Ticket ids are the SHA-256 of the ticket string (32 bytes); the ticket
 *   itself is never given to a store.
 * - Methods reject with `StoreUnavailableError` when the backend cannot be
 *   reached, and with any other error only for bugs.
 */

import type { TenantSettings } from '../core/tenant-settings.js';
import type { OzStore } from './oz-types.js';
import type { ProfileStore } from './profile-types.js';

export interface TicketRecord {
  tenant: string;
  /** SHA-256 of the ticket string. */
  id: Buffer;
  /** Uses left; `null` means unlimited. Never stored as 0: a used-up ticket is removed. */
  usesLeft: number | null;
  /** Epoch ms after which the ticket is dead; `null` means it never expires. */
  expiresAt: number | null;
  createdAt: number;
  /** The payload sealed by the core (AES-256-GCM); `null` when there is none. */
  payload: Buffer | null;
}

export interface UsedTicket {
  /** Uses left after this use; `null` when unlimited. */
  usesLeft: number | null;
  payload: Buffer | null;
}

export interface TicketInfo {
  usesLeft: number | null;
  expiresAt: number | null;
  createdAt: number;
}

export interface TenantRecord {
  name: string;
  settings: TenantSettings;
  createdAt: number;
}

export type CreateTicketResult = 'created' | 'limit';

/** What one purgeTickets call removed: in all, and per tenant (tenants with none left out). */
export interface PurgedTickets {
  removed: number;
  byTenant: Record<string, number>;
}

/** The ticket part of `Store`: lifecycle, tenants and opaque tickets. */
export interface TicketStore {
  /** `sqlite`, `memory`, ... as shown by `GET /v1/info`. */
  readonly kind: string;

  /** Applies pending schema migrations; idempotent, safe to run from several processes. */
  migrate(): Promise<void>;
  /** The schema version the backend is at (0 before any migration). */
  schemaVersion(): Promise<number>;
  /** Resolves when the backend answers a trivial query. */
  ping(): Promise<void>;
  /** Releases connections and files. No call may follow. */
  close(): Promise<void>;

  // ---- tenants -------------------------------------------------------------

  getTenant(name: string): Promise<TenantRecord | null>;
  /** Creates the tenant, or replaces its settings when it exists (its tickets stay). */
  putTenant(tenant: TenantRecord): Promise<void>;
  /**
   * Creates the tenant unless one with its name exists, and then changes
   * nothing: `exists`, the stored tenant's settings and createdAt untouched.
   * Atomic with respect to every other call on any process sharing the
   * backend: of concurrent creates with one name, exactly one returns
   * `created`. A created tenant's counters start at 0 (no tickets).
   */
  createTenant(tenant: TenantRecord): Promise<'created' | 'exists'>;
  listTenants(): Promise<TenantRecord[]>;
  /**
   * Removes the tenant and everything that belongs to it (opaque tickets,
   * profiles, login tickets, persistent logins, Oz apps and their grants) in
   * one atomic step; false when there was no such tenant. Hawk nonces belong
   * to no tenant and stay.
   */
  deleteTenant(name: string): Promise<boolean>;

  // ---- opaque tickets ------------------------------------------------------

  /**
   * Inserts a ticket unless its tenant already holds `max` live tickets
   * (`max` 0: no limit). Atomic with respect to every other call on any
   * process sharing the backend: of N concurrent creates against room for k
   * more tickets, exactly min(N, k) return `created`. Expired tickets of the
   * tenant that are not yet purged do not count against the limit. The
   * tenant must exist. Checking the limit costs O(1) while the tenant is
   * under it (a maintained counter, never a count over the table).
   */
  createTicket(ticket: TicketRecord, max: number, now: number): Promise<CreateTicketResult>;

  /**
   * Takes one use, atomically: of N concurrent calls on a ticket with k uses
   * left, exactly min(N, k) return a result. Returns the uses left after this
   * use (`null` when unlimited) and the sealed payload; the use that leaves
   * 0 removes the ticket. `null` for an unknown, expired, used-up or deleted
   * ticket, or one of another tenant.
   */
  useTicket(tenant: string, id: Buffer, now: number): Promise<UsedTicket | null>;

  /**
   * Removes a live ticket of this tenant and returns the uses it had left
   * (`null` when unlimited), or returns `null` when there was no live ticket.
   * Of concurrent deletes and uses, each use that succeeded happened before
   * the delete, and at most one delete returns a result.
   */
  deleteTicket(tenant: string, id: Buffer, now: number): Promise<{ usesLeft: number | null } | null>;

  /** Reads a live ticket without taking a use; `null` as for `useTicket`. */
  peekTicket(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null>;

  /** Live tickets of the tenant as the maintained counter says (O(1)); expired but unpurged ones included. */
  countTickets(tenant: string): Promise<number>;

  /**
   * Removes up to `limit` tickets that expired at or before `now`, oldest
   * expiry first, through the expiry index (never a full scan), and returns
   * how many it removed, in all and per tenant. Safe to run concurrently
   * from several processes.
   */
  purgeTickets(now: number, limit: number): Promise<PurgedTickets>;
}

/** The one store interface: every backend implements all of it. */
export interface Store extends TicketStore, ProfileStore, OzStore {}

/** The backend could not be reached; HTTP surfaces answer 503. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
