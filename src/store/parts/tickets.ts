import type { OutboxEvent } from './outbox.js';

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

export type CreateTicketResult = 'created' | 'limit';

/** A ticket the purge removed. */
export interface ExpiredTicket {
  tenant: string;
  id: Buffer;
  expiresAt: number;
}

/** What one purge call removed: in all, per tenant (tenants with none left out), and each ticket. */
export interface PurgedTickets {
  removed: number;
  byTenant: Record<string, number>;
  tickets: ExpiredTicket[];
}

/** The ticket.expired event of a removed ticket (docs/events.md), when an endpoint takes it. */
export type RaiseExpired = (ticket: ExpiredTicket) => OutboxEvent | undefined;

/** A purge's answer, from the tickets it removed. */
export function purgedTickets(tickets: ExpiredTicket[]): PurgedTickets {
  const byTenant: Record<string, number> = {};
  for (const t of tickets) byTenant[t.tenant] = (byTenant[t.tenant] ?? 0) + 1;
  return { removed: tickets.length, byTenant, tickets };
}

/** Flat `tenant, idHex, expiresAt, ...` (the Redis purge scripts' answer) as tickets. */
export function expiredFromFlat(flat: readonly unknown[]): ExpiredTicket[] {
  const out: ExpiredTicket[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    out.push({ tenant: String(flat[i]), id: Buffer.from(String(flat[i + 1]), 'hex'), expiresAt: Number(flat[i + 2]) });
  }
  return out;
}

/**
 * Opaque tickets (docs/tickets.md). Ticket ids are SHA-256 of the ticket: the ticket itself never reaches a store.
 * create, use and delete take the webhook event the change raises (docs/events.md), if any: it is written to
 * the outbox in the same atomic step as the change, and only when the change happens.
 */
export interface TicketStore {
  /**
   * Inserts a ticket unless its tenant already holds `max` live tickets
   * (`max` 0: no limit). Atomic with respect to every other call on any
   * process sharing the backend: of N concurrent creates against room for k
   * more tickets, exactly min(N, k) return `created`. Expired tickets of the
   * tenant that are not yet purged do not count against the limit. The
   * tenant must exist. Checking the limit costs O(1) while the tenant is
   * under it (a maintained counter, never a count over the table).
   */
  create(ticket: TicketRecord, max: number, now: number, event?: OutboxEvent): Promise<CreateTicketResult>;

  /**
   * Takes one use, atomically: of N concurrent calls on a ticket with k uses
   * left, exactly min(N, k) return a result. Returns the uses left after this
   * use (`null` when unlimited) and the sealed payload; the use that leaves
   * 0 removes the ticket. `null` for an unknown, expired, used-up or deleted
   * ticket, or one of another tenant.
   */
  use(tenant: string, id: Buffer, now: number, event?: OutboxEvent): Promise<UsedTicket | null>;

  /**
   * Removes a live ticket of this tenant and returns the uses it had left
   * (`null` when unlimited), or returns `null` when there was no live ticket.
   * Of concurrent deletes and uses, each use that succeeded happened before
   * the delete, and at most one delete returns a result.
   */
  delete(tenant: string, id: Buffer, now: number, event?: OutboxEvent): Promise<{ usesLeft: number | null } | null>;

  /** Reads a live ticket without taking a use; `null` as for `use`. */
  peek(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null>;

  /** Live tickets of the tenant as the maintained counter says (O(1)); expired but unpurged ones included. */
  count(tenant: string): Promise<number>;

  /**
   * Removes up to `limit` tickets that expired at or before `now`, oldest
   * expiry first, through the expiry index (never a full scan), and returns
   * what it removed. Safe to run concurrently from several processes.
   * `raise` makes the ticket.expired events of the removed tickets: SQLite
   * and PostgreSQL write them in the purge's own transaction, Redis right
   * after its script (docs/events.md).
   */
  purge(now: number, limit: number, raise?: RaiseExpired): Promise<PurgedTickets>;
}
