import type { OutboxEvent } from '../parts/outbox.js';
import {
  type CreateTicketResult,
  type PurgedTickets,
  purgedTickets,
  type RaiseExpired,
  type TicketInfo,
  type TicketRecord,
  type TicketStore,
  type UsedTicket,
} from '../parts/tickets.js';
import type { SqliteDb } from './db.js';
import type { SqliteOutbox } from './outbox.js';

/** How many expired tickets of a tenant at its limit are reclaimed in one create. */
const RECLAIM_BATCH = 1000;

interface TicketRow {
  uses_left: number | null;
  payload: Buffer | null;
}

/**
 * Opaque tickets on SQLite (table `tickets`, the tenant's `live_tickets`
 * counter). Every write is one step of the group commit (db.ts), so it runs
 * inside an IMMEDIATE transaction: a use reads and changes its row with no
 * other writer in between, in this process or any other on the file.
 */
export class SqliteTickets implements TicketStore {
  private readonly s;
  private readonly steps;

  constructor(
    private readonly h: SqliteDb,
    /** Where the events of ticket changes go, in the change's own step. */
    private readonly outbox: SqliteOutbox,
  ) {
    this.s = h.prepared((db) => ({
      count: db.prepare('SELECT live_tickets FROM tenants WHERE name = ?'),
      // Positional parameters on the hot statements: binding them costs half of binding named ones.
      takeSlot: db.prepare(
        'UPDATE tenants SET live_tickets = live_tickets + 1 WHERE name = ? AND (? = 0 OR live_tickets < ?)',
      ),
      release: db.prepare('UPDATE tenants SET live_tickets = live_tickets - ? WHERE name = ?'),
      reclaim: db.prepare(
        `DELETE FROM tickets WHERE rowid IN (
           SELECT rowid FROM tickets WHERE expires_at <= @now AND tenant = @tenant LIMIT ${RECLAIM_BATCH})`,
      ),
      insert: db.prepare(
        'INSERT INTO tickets (id, tenant, uses_left, expires_at, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      find: db.prepare(
        'SELECT uses_left, payload FROM tickets WHERE id = ? AND tenant = ? AND (expires_at IS NULL OR expires_at > ?)',
      ),
      decrement: db.prepare('UPDATE tickets SET uses_left = uses_left - 1 WHERE id = ?'),
      remove: db.prepare('DELETE FROM tickets WHERE id = ?'),
      peek: db.prepare(
        `SELECT uses_left, expires_at, created_at FROM tickets WHERE id = ? AND tenant = ? AND (expires_at IS NULL OR expires_at > ?)`,
      ),
      purge: db.prepare(
        `DELETE FROM tickets WHERE rowid IN (
           SELECT rowid FROM tickets WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
         RETURNING tenant, id, expires_at`,
      ),
    }));
    this.steps = h.prepared(() => this.ticketSteps(this.s()));
  }

  create(t: TicketRecord, max: number, now: number, event?: OutboxEvent): Promise<CreateTicketResult> {
    if (!event) return this.h.write(() => this.steps().create(t, max, now));
    return this.h.write(() =>
      this.raising(this.steps().create(t, max, now) === 'created', event) ? 'created' : 'limit',
    );
  }

  use(tenant: string, id: Buffer, now: number, event?: OutboxEvent): Promise<UsedTicket | null> {
    if (!event) return this.h.write(() => this.steps().use(tenant, id, now));
    return this.h.write(() => {
      const used = this.steps().use(tenant, id, now);
      this.raising(used !== null, event);
      return used;
    });
  }

  delete(tenant: string, id: Buffer, now: number, event?: OutboxEvent): Promise<{ usesLeft: number | null } | null> {
    return this.h.write(() => {
      const removed = this.steps().delete(tenant, id, now);
      if (event) this.raising(removed !== null, event);
      return removed;
    });
  }

  /** Appends the event when the change happened, inside the change's step; answers whether it did. */
  private raising(happened: boolean, event: OutboxEvent): boolean {
    if (happened) this.outbox.appendStep([event]);
    return happened;
  }

  async peek(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null> {
    const row = await this.h.read(
      () =>
        this.s().peek.get(id, tenant, now) as
          | { uses_left: number | null; expires_at: number | null; created_at: number }
          | undefined,
    );
    return row ? { usesLeft: row.uses_left, expiresAt: row.expires_at, createdAt: row.created_at } : null;
  }

  async count(tenant: string): Promise<number> {
    const row = await this.h.read(() => this.s().count.get(tenant) as { live_tickets: number } | undefined);
    return row?.live_tickets ?? 0;
  }

  purge(now: number, limit: number, raise?: RaiseExpired): Promise<PurgedTickets> {
    return this.h.write(() => {
      const purged = this.steps().purge(now, limit);
      if (raise) this.outbox.appendStep(purged.tickets.flatMap((t) => raise(t) ?? []));
      return purged;
    });
  }

  /** The ticket writes, as plain steps: the group commit runs them inside its transaction. */
  private ticketSteps(s: ReturnType<SqliteTickets['s']>) {
    return {
      create: (t: TicketRecord, max: number, now: number): CreateTicketResult => {
        if (s.takeSlot.run(t.tenant, max, max).changes === 0) {
          const freed = s.reclaim.run({ now, tenant: t.tenant }).changes;
          if (freed === 0) return 'limit';
          s.release.run(freed, t.tenant);
          if (s.takeSlot.run(t.tenant, max, max).changes === 0) return 'limit';
        }
        s.insert.run(t.id, t.tenant, t.usesLeft, t.expiresAt, t.createdAt, t.payload);
        return 'created';
      },
      use: (tenant: string, id: Buffer, now: number): UsedTicket | null => {
        const row = s.find.get(id, tenant, now) as TicketRow | undefined;
        if (!row) return null;
        if (row.uses_left === null) return { usesLeft: null, payload: row.payload };
        if (row.uses_left <= 1) {
          s.remove.run(id);
          s.release.run(1, tenant);
          return { usesLeft: 0, payload: row.payload };
        }
        s.decrement.run(id);
        return { usesLeft: row.uses_left - 1, payload: row.payload };
      },
      delete: (tenant: string, id: Buffer, now: number) => {
        const row = s.find.get(id, tenant, now) as TicketRow | undefined;
        if (!row) return null;
        s.remove.run(id);
        s.release.run(1, tenant);
        return { usesLeft: row.uses_left };
      },
      purge: (now: number, limit: number): PurgedTickets => {
        const rows = s.purge.all(now, limit) as { tenant: string; id: Buffer; expires_at: number }[];
        const purged = purgedTickets(rows.map((r) => ({ tenant: r.tenant, id: r.id, expiresAt: r.expires_at })));
        for (const [tenant, n] of Object.entries(purged.byTenant)) s.release.run(n, tenant);
        return purged;
      },
    };
  }
}
