import type { DeliveryRecord, OutboxEvent, OutboxStore, Route, Settlement } from '../parts/outbox.js';
import { deliveries as table } from '../sql/tables.js';
import { dialect, type PgPool, statement } from './pool.js';

/**
 * The outbox on PostgreSQL, one statement each: fan-out deletes the oldest
 * events (skipping those another instance holds) and inserts their
 * deliveries in one statement; a claim takes due deliveries with FOR UPDATE
 * SKIP LOCKED and pushes them past their lease, so concurrent instances
 * never claim the same one.
 */
export class PgOutbox implements OutboxStore {
  private readonly sql;
  private readonly record = (row: Record<string, unknown>) => table.record(row, dialect);

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    const all = table.select(dialect);
    this.sql = {
      append: appendEvents(s),
      fanOut: statement(
        'outbox_fan_out',
        `WITH ev AS (
           DELETE FROM ${s}.outbox_events WHERE seq IN (
             SELECT seq FROM ${s}.outbox_events ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING id, tenant, type, body),
         r AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[]) AS r(endpoint_id, tenant, type)),
         ins AS (
           INSERT INTO ${s}.webhook_deliveries (event_id, endpoint_id, tenant, type, body, status, attempts,
                                                next_at, last_status, last_error, created_at, updated_at)
           SELECT DISTINCT ev.id, r.endpoint_id, ev.tenant, ev.type, ev.body, 'pending', 0, $5::bigint, NULL::integer,
                  NULL::text, $5::bigint, $5::bigint
             FROM ev JOIN r ON r.tenant = ev.tenant AND (r.type = ev.type OR r.type = '*')
           ON CONFLICT (event_id, endpoint_id) DO NOTHING)
         SELECT count(*)::int AS n FROM ev`,
      ),
      claim: statement(
        'outbox_claim',
        `UPDATE ${s}.webhook_deliveries d SET attempts = d.attempts + 1, next_at = $1, updated_at = $2
          WHERE (d.event_id, d.endpoint_id) IN (
            SELECT event_id, endpoint_id FROM ${s}.webhook_deliveries
             WHERE status = 'pending' AND next_at <= $2 ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING ${all.replace(/(^|, )/g, '$1d.')}`,
      ),
      settle: statement(
        'outbox_settle',
        `UPDATE ${s}.webhook_deliveries SET status = $1, next_at = $2, last_status = $3, last_error = $4, updated_at = $5
          WHERE event_id = $6 AND endpoint_id = $7 AND attempts = $8 AND status = 'pending'`,
      ),
      list: statement(
        'outbox_list',
        `SELECT ${all} FROM ${s}.webhook_deliveries WHERE endpoint_id = $1
          ORDER BY created_at DESC, event_id DESC LIMIT $2`,
      ),
      purge: statement(
        'outbox_purge',
        `DELETE FROM ${s}.webhook_deliveries WHERE (event_id, endpoint_id) IN (
           SELECT event_id, endpoint_id FROM ${s}.webhook_deliveries
            WHERE status <> 'pending' AND updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      ),
    };
  }

  async append(events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.pg.query(this.sql.append, eventColumns(events));
  }

  async fanOut(limit: number, routes: Route[], now: number): Promise<number> {
    const res = await this.pg.query<{ n: number }>(this.sql.fanOut, [
      limit,
      routes.map((r) => r.endpointId),
      routes.map((r) => r.tenant),
      routes.map((r) => r.type),
      now,
    ]);
    return res.rows[0]?.n ?? 0;
  }

  async claim(limit: number, now: number, leaseMs: number): Promise<DeliveryRecord[]> {
    const res = await this.pg.query(this.sql.claim, [now + leaseMs, now, limit]);
    return res.rows.map(this.record).sort((a, b) => a.createdAt - b.createdAt);
  }

  async settle(claimed: DeliveryRecord, o: Settlement, now: number): Promise<boolean> {
    const values = [o.status, o.nextAt, o.lastStatus, o.lastError, now, claimed.eventId, claimed.endpointId];
    return (await this.pg.count(this.sql.settle, [...values, claimed.attempts])) === 1;
  }

  async listDeliveries(endpointId: string, limit: number): Promise<DeliveryRecord[]> {
    return (await this.pg.query(this.sql.list, [endpointId, limit])).rows.map(this.record);
  }

  purge(before: number, limit: number): Promise<number> {
    return this.pg.count(this.sql.purge, [before, limit]);
  }
}

/** Events as the parameters of an `unnest` into outbox_events: five arrays (id, tenant, type, body, created_at). */
/** Appends events in a statement of their own; parameters are eventColumns. */
export const appendEvents = (s: string) =>
  statement(
    'outbox_append',
    `INSERT INTO ${s}.outbox_events (id, tenant, type, body, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
  );

export const eventColumns = (events: readonly OutboxEvent[]): unknown[] => [
  events.map((e) => e.id),
  events.map((e) => e.tenant),
  events.map((e) => e.type),
  events.map((e) => e.body),
  events.map((e) => e.createdAt),
];

/**
 * `change` (a statement whose rows are the CTE `done`, parameters before
 * `first`) and its webhook events (docs/events.md), written in the same
 * statement, so in one transaction, when `happened` (SQL over `done`) holds;
 * the events are parameters `first`..`first + 4` (eventColumns). Answers
 * `result`, by default the change's rows.
 */
export function withEvents(
  s: string,
  change: string,
  first: number,
  happened = 'EXISTS (SELECT 1 FROM done)',
  result = 'SELECT * FROM done',
): string {
  return `WITH done AS (${change}),
    ev AS (
      INSERT INTO ${s}.outbox_events (id, tenant, type, body, created_at)
      SELECT * FROM unnest($${first}::text[], $${first + 1}::text[], $${first + 2}::text[], $${first + 3}::text[],
                           $${first + 4}::bigint[])
       WHERE ${happened})
    ${result}`;
}
