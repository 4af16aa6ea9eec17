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
import { Batcher } from './batch.js';
import { slotOf } from './migrations.js';
import { appendEvents, eventColumns, withEvents } from './outbox.js';
import { type PgPool, statement } from './pool.js';

interface UseCall {
  tenant: string;
  id: Buffer;
  now: number;
  event: OutboxEvent | undefined;
}

interface CreateCall {
  ticket: TicketRecord;
  event: OutboxEvent | undefined;
}

/**
 * Opaque tickets on PostgreSQL. create, use and purge are PL/pgSQL functions
 * (migrations.ts tells how each stays atomic) called in one statement;
 * delete and peek are single statements: each is one round trip and one
 * transaction. The creates (without a ticket limit) and the uses of one
 * event-loop turn go together (batch.ts): one statement and one commit for
 * all of them. Use locks the ticket row; a create under a limit updates the
 * tenant's row with a conditional UPDATE (the O(1) limit check); other count
 * changes go to one of the tenant's counter slots; purge deletes through the
 * expiry index with FOR UPDATE SKIP LOCKED.
 */
export class PgTickets implements TicketStore {
  private readonly sql;
  private readonly withEvents;
  private readonly creates: Batcher<CreateCall, CreateTicketResult>;
  private readonly uses: Batcher<UseCall, UsedTicket | null>;

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    this.creates = new Batcher(
      (items) => this.createMany(items),
      (c) => this.createOne(c.ticket, 0, 0, c.event),
    );
    this.uses = new Batcher(
      (calls) => this.useMany(calls),
      (c) => this.useOne(c.tenant, c.id, c.now, c.event),
    );
    const live = '(expires_at IS NULL OR expires_at > $3)';
    const deleteCtes = `gone AS (
        DELETE FROM ${s}.tickets WHERE id = $2 AND tenant = $1 AND ${live} RETURNING uses_left),
      counted AS (
        UPDATE ${s}.ticket_count_slots SET delta = delta - 1
         WHERE tenant = $1 AND slot = ${slotOf('$2')} AND EXISTS (SELECT 1 FROM gone))`;
    this.sql = {
      create: statement('create', `SELECT ${s}.create_ticket($1, $2, $3, $4, $5, $6, $7, $8) AS result`),
      createMany: statement('create_many', `SELECT ${s}.create_tickets($1, $2, $3, $4, $5, $6) AS n`),
      use: statement('use', `SELECT left_uses, sealed FROM ${s}.use_ticket($1, $2, $3)`),
      useMany: statement('use_many', `SELECT ord, uses_before, sealed FROM ${s}.use_tickets($1, $2, $3, $4)`),
      // A delete waiting for a use's row lock re-reads the row and returns the
      // uses that use left; of concurrent deletes only the first finds a row.
      delete: statement('delete', `WITH ${deleteCtes} SELECT uses_left FROM gone`),
      peek: statement(
        'peek',
        `SELECT uses_left, expires_at, created_at FROM ${s}.tickets WHERE id = $2 AND tenant = $1 AND ${live}`,
      ),
      count: statement(
        'count',
        `SELECT ticket_count + (SELECT coalesce(sum(delta), 0) FROM ${s}.ticket_count_slots WHERE tenant = $1) AS n
         FROM ${s}.tenants WHERE name = $1`,
      ),
      purge: statement('purge_expired', `SELECT tenant, id, expires_at FROM ${s}.purge_expired_tickets($1, $2)`),
      appendEvents: appendEvents(s),
    };
    // The same with the change's webhook events (docs/events.md), written in the same statement.
    this.withEvents = {
      create: statement(
        'create_ev',
        withEvents(
          s,
          `SELECT ${s}.create_ticket($1, $2, $3, $4, $5, $6, $7, $8) AS result`,
          9,
          `(SELECT result FROM done) = 'created'`,
        ),
      ),
      createMany: statement(
        'create_many_ev',
        withEvents(s, `SELECT ${s}.create_tickets($1, $2, $3, $4, $5, $6) AS n`, 7, '(SELECT n FROM done) IS NOT NULL'),
      ),
      use: statement('use_ev', withEvents(s, `SELECT left_uses, sealed FROM ${s}.use_ticket($1, $2, $3)`, 4)),
      // $10: the ticket (ord) of each event, $11: its call's place among that ticket's calls (from 0):
      // an event is written when its call got a use.
      useMany: statement(
        'use_many_ev',
        `WITH done AS (SELECT ord, uses_before, sealed FROM ${s}.use_tickets($1, $2, $3, $4)),
         ev AS (
           INSERT INTO ${s}.outbox_events (id, tenant, type, body, created_at)
           SELECT e.id, e.tenant, e.type, e.body, e.created_at
             FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::integer[], $11::integer[])
                  AS e(id, tenant, type, body, created_at, ord, k)
             JOIN done ON done.ord = e.ord
            WHERE done.uses_before IS NULL OR e.k < done.uses_before)
         SELECT ord, uses_before, sealed FROM done`,
      ),
      delete: statement(
        'delete_ev',
        `WITH ${deleteCtes},
         ev AS (
           INSERT INTO ${s}.outbox_events (id, tenant, type, body, created_at)
           SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
            WHERE EXISTS (SELECT 1 FROM gone))
         SELECT uses_left FROM gone`,
      ),
    };
  }

  create(t: TicketRecord, max: number, now: number, event?: OutboxEvent): Promise<CreateTicketResult> {
    // A limit is decided on the tenant's row, one create at a time: those go alone.
    return max === 0 ? this.creates.run({ ticket: t, event }) : this.createOne(t, max, now, event);
  }

  private async createOne(
    t: TicketRecord,
    max: number,
    now: number,
    event: OutboxEvent | undefined,
  ): Promise<CreateTicketResult> {
    const values = [t.tenant, t.id, t.usesLeft, t.expiresAt, t.createdAt, t.payload, max, now];
    const res = await this.pg.query<{ result: CreateTicketResult }>(
      event ? this.withEvents.create : this.sql.create,
      event ? [...values, ...eventColumns([event])] : values,
    );
    const result = res.rows[0]?.result;
    if (result !== 'created' && result !== 'limit') throw new Error(`postgres: create_ticket returned ${result}`);
    return result;
  }

  /** Unlimited creates in one statement (create_tickets), with their events when some raise one. */
  private async createMany(calls: CreateCall[]): Promise<CreateTicketResult[]> {
    const items = calls.map((c) => c.ticket);
    const values = [
      items.map((t) => t.tenant),
      items.map((t) => t.id),
      items.map((t) => t.usesLeft),
      items.map((t) => t.expiresAt),
      items.map((t) => t.createdAt),
      items.map((t) => t.payload),
    ];
    const events = calls.flatMap((c) => (c.event ? [c.event] : []));
    if (events.length === 0) await this.pg.query(this.sql.createMany, values);
    else await this.pg.query(this.withEvents.createMany, [...values, ...eventColumns(events)]);
    return items.map(() => 'created');
  }

  use(tenant: string, id: Buffer, now: number, event?: OutboxEvent): Promise<UsedTicket | null> {
    return this.uses.run({ tenant, id, now, event });
  }

  /**
   * Uses in one statement (use_tickets): one row per ticket, sorted by id so
   * that concurrent batches lock rows in one order, with how many calls of
   * the batch use it; its uses are then handed out in the calls' order.
   */
  private async useMany(calls: UseCall[]): Promise<(UsedTicket | null)[]> {
    const groups = new Map<string, UseCall & { calls: number[] }>();
    calls.forEach((c, i) => {
      const key = `${c.id.toString('hex')}\u0000${c.now}\u0000${c.tenant}`;
      const group = groups.get(key);
      if (group) group.calls.push(i);
      else groups.set(key, { ...c, calls: [i] });
    });
    const sorted = [...groups.values()].sort(
      (a, b) => Buffer.compare(a.id, b.id) || a.now - b.now || (a.tenant < b.tenant ? -1 : 1),
    );
    const values = [
      sorted.map((g) => g.tenant),
      sorted.map((g) => g.id),
      sorted.map((g) => g.calls.length),
      sorted.map((g) => g.now),
    ];
    // Each call's event, with its ticket's place in `sorted` and its own among that ticket's calls.
    // Without a subscriber no call carries an event: no walk over the batch for them.
    const raised = !calls.some((c) => c.event)
      ? []
      : sorted.flatMap((g, ord) =>
          g.calls.flatMap((call, k) => {
            const event = calls[call]?.event;
            return event ? [{ event, ord: ord + 1, k }] : [];
          }),
        );
    const res = await this.pg.query<{ ord: number; uses_before: number | null; sealed: Buffer | null }>(
      raised.length === 0 ? this.sql.useMany : this.withEvents.useMany,
      raised.length === 0
        ? values
        : [...values, ...eventColumns(raised.map((r) => r.event)), raised.map((r) => r.ord), raised.map((r) => r.k)],
    );
    const out: (UsedTicket | null)[] = calls.map(() => null);
    for (const row of res.rows) {
      const group = sorted[row.ord - 1] as (typeof sorted)[number];
      group.calls.forEach((call, k) => {
        const before = row.uses_before;
        if (before === null) out[call] = { usesLeft: null, payload: row.sealed };
        else if (k < before) out[call] = { usesLeft: before - k - 1, payload: row.sealed };
      });
    }
    return out;
  }

  private async useOne(
    tenant: string,
    id: Buffer,
    now: number,
    event: OutboxEvent | undefined,
  ): Promise<UsedTicket | null> {
    const res = await this.pg.query<{ left_uses: number | null; sealed: Buffer | null }>(
      event ? this.withEvents.use : this.sql.use,
      event ? [tenant, id, now, ...eventColumns([event])] : [tenant, id, now],
    );
    const row = res.rows[0];
    return row ? { usesLeft: row.left_uses, payload: row.sealed } : null;
  }

  async delete(
    tenant: string,
    id: Buffer,
    now: number,
    event?: OutboxEvent,
  ): Promise<{ usesLeft: number | null } | null> {
    const res = await this.pg.query<{ uses_left: number | null }>(
      event ? this.withEvents.delete : this.sql.delete,
      event ? [tenant, id, now, ...eventColumns([event])] : [tenant, id, now],
    );
    const row = res.rows[0];
    return row ? { usesLeft: row.uses_left } : null;
  }

  async peek(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null> {
    const res = await this.pg.query<{ uses_left: number | null; expires_at: string | null; created_at: string }>(
      this.sql.peek,
      [tenant, id, now],
    );
    const row = res.rows[0];
    if (!row) return null;
    return {
      usesLeft: row.uses_left,
      expiresAt: row.expires_at === null ? null : Number(row.expires_at),
      createdAt: Number(row.created_at),
    };
  }

  async count(tenant: string): Promise<number> {
    const res = await this.pg.query<{ n: string }>(this.sql.count, [tenant]);
    return Number(res.rows[0]?.n ?? 0);
  }

  async purge(now: number, limit: number, raise?: RaiseExpired): Promise<PurgedTickets> {
    type Row = { tenant: string; id: Buffer; expires_at: string };
    const purged = (rows: Row[]) =>
      purgedTickets(rows.map((r) => ({ tenant: r.tenant, id: r.id, expiresAt: Number(r.expires_at) })));
    if (!raise) return purged((await this.pg.query<Row>(this.sql.purge, [now, limit])).rows);
    // The events need the rows the purge removed: a second statement, in the purge's transaction.
    return this.pg.transaction(async (query) => {
      const done = purged((await query(this.sql.purge, [now, limit])).rows as Row[]);
      const events = done.tickets.flatMap((t) => raise(t) ?? []);
      if (events.length > 0) await query(this.sql.appendEvents, eventColumns(events));
      return done;
    });
  }
}
