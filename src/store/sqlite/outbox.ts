import type { DeliveryRecord, OutboxEvent, OutboxStore, Route, Settlement } from '../parts/outbox.js';
import { deliveries as table } from '../sql/tables.js';
import { dialect, type SqliteDb } from './db.js';

/** Whether a route takes an event of this tenant and type. */
export const routes = (r: Route, tenant: string, type: string): boolean =>
  r.tenant === tenant && (r.type === type || r.type === '*');

/**
 * The outbox on SQLite: `outbox_events` in write order, `webhook_deliveries`
 * one row per event and endpoint. Every operation is one step of the group
 * commit; claims push a delivery's `next_at` past its lease, so concurrent
 * claimers (other processes on the file) never take the same one.
 */
export class SqliteOutbox implements OutboxStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => {
      const all = table.select(dialect);
      return {
        append: db.prepare('INSERT INTO outbox_events (id, tenant, type, body, created_at) VALUES (?, ?, ?, ?, ?)'),
        oldest: db.prepare('SELECT seq, id, tenant, type, body, created_at FROM outbox_events ORDER BY seq LIMIT ?'),
        take: db.prepare('DELETE FROM outbox_events WHERE seq = ?'),
        deliver: db.prepare(`${table.insert(dialect)} ON CONFLICT (event_id, endpoint_id) DO NOTHING`),
        claim: db.prepare(
          `UPDATE webhook_deliveries SET attempts = attempts + 1, next_at = ?, updated_at = ?
           WHERE rowid IN (SELECT rowid FROM webhook_deliveries WHERE status = 'pending' AND next_at <= ?
                           ORDER BY next_at LIMIT ?)
           RETURNING ${all}`,
        ),
        settle: db.prepare(
          `UPDATE webhook_deliveries SET status = ?, next_at = ?, last_status = ?, last_error = ?, updated_at = ?
           WHERE event_id = ? AND endpoint_id = ? AND attempts = ? AND status = 'pending'`,
        ),
        list: db.prepare(
          `SELECT ${all} FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY created_at DESC, event_id DESC LIMIT ?`,
        ),
        purge: db.prepare(
          `DELETE FROM webhook_deliveries WHERE rowid IN
             (SELECT rowid FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ? LIMIT ?)`,
        ),
      };
    });
  }

  /** The step that appends events: the caller runs it inside the step of the change that raised them. */
  appendStep(events: readonly OutboxEvent[]): void {
    const append = this.s().append;
    for (const e of events) append.run(e.id, e.tenant, e.type, e.body, e.createdAt);
  }

  async append(events: OutboxEvent[]): Promise<void> {
    if (events.length > 0) await this.h.write(() => this.appendStep(events));
  }

  fanOut(limit: number, routeList: Route[], now: number): Promise<number> {
    return this.h.write(() => {
      const s = this.s();
      const events = s.oldest.all(limit) as { seq: number; id: string; tenant: string; type: string; body: string }[];
      for (const e of events) {
        const endpoints = new Set(routeList.filter((r) => routes(r, e.tenant, e.type)).map((r) => r.endpointId));
        for (const endpointId of endpoints) {
          const d: DeliveryRecord = {
            eventId: e.id,
            endpointId,
            tenant: e.tenant,
            type: e.type,
            body: e.body,
            status: 'pending',
            attempts: 0,
            nextAt: now,
            lastStatus: null,
            lastError: null,
            createdAt: now,
            updatedAt: now,
          };
          s.deliver.run(...table.params(d, dialect));
        }
        s.take.run(e.seq);
      }
      return events.length;
    });
  }

  claim(limit: number, now: number, leaseMs: number): Promise<DeliveryRecord[]> {
    return this.h.write(() =>
      (this.s().claim.all(now + leaseMs, now, now, limit) as Record<string, unknown>[])
        .map((r) => table.record(r, dialect))
        .sort((a, b) => a.createdAt - b.createdAt),
    );
  }

  async settle(claimed: DeliveryRecord, o: Settlement, now: number): Promise<boolean> {
    const { changes } = await this.h.write(() =>
      this.s().settle.run(
        o.status,
        o.nextAt,
        o.lastStatus,
        o.lastError,
        now,
        claimed.eventId,
        claimed.endpointId,
        claimed.attempts,
      ),
    );
    return changes === 1;
  }

  listDeliveries(endpointId: string, limit: number): Promise<DeliveryRecord[]> {
    return this.h.read(() =>
      (this.s().list.all(endpointId, limit) as Record<string, unknown>[]).map((r) => table.record(r, dialect)),
    );
  }

  async purge(before: number, limit: number): Promise<number> {
    const { changes } = await this.h.write(() => this.s().purge.run(before, limit));
    return changes;
  }
}
