import type { DeliveryRecord, OutboxEvent, OutboxStore, Route, Settlement } from '../parts/outbox.js';
import type { ExpiredTicket, RaiseExpired } from '../parts/tickets.js';
import type { RedisContext } from './connection.js';
import { deliveryHash } from './hash.js';

/**
 * The outbox on Redis, in areas: on one node the store's prefix; on a
 * cluster the store's home tag and every ticket shard's tag, so that a
 * script changing a shard's tickets can append to that shard's outbox in the
 * same atomic step. Per area: `outbox` LIST (event JSON, oldest first),
 * `delivery:<event>:<endpoint>` HASH, `deliveries-due` ZSET (pending, by
 * nextAt), `deliveries-done` ZSET (delivered and failed, by updatedAt),
 * `endpoint-deliveries:<endpoint>` ZSET (by createdAt). Each operation is
 * one script per area (outbox-scripts.ts).
 */
export class RedisOutbox implements OutboxStore {
  constructor(
    private readonly x: RedisContext,
    /** Every area's prefix; the first is the one append writes to. */
    private readonly areas: readonly string[],
  ) {}

  /** The outbox LIST of an area: ticket scripts that raise events append there themselves. */
  static list(area: string): string {
    return `${area}outbox`;
  }

  /** An event as the outbox LIST holds it (FAN_OUT decodes it). */
  static entry(e: OutboxEvent): string {
    return JSON.stringify({ id: e.id, tenant: e.tenant, type: e.type, body: e.body });
  }

  /**
   * Appends the ticket.expired events of purged tickets to the home area, in
   * a step after the purge's script, which cannot know them (docs/events.md).
   */
  static async appendExpired(x: RedisContext, tickets: ExpiredTicket[], raise: RaiseExpired): Promise<void> {
    const entries = tickets.flatMap((t) => {
      const e = raise(t);
      return e ? [RedisOutbox.entry(e)] : [];
    });
    if (entries.length === 0) return;
    const list = RedisOutbox.list(x.keys.prefix);
    await x.conn.run(() => x.redis.rpush(list, ...entries), list);
  }

  async append(events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const { conn, redis } = this.x;
    const list = RedisOutbox.list(this.areas[0] as string);
    await conn.run(() => redis.rpush(list, ...events.map(RedisOutbox.entry)), list);
  }

  async fanOut(limit: number, routes: Route[], now: number): Promise<number> {
    const { conn, redis } = this.x;
    const flat = routes.flatMap((r) => [r.endpointId, r.tenant, r.type]);
    let taken = 0;
    for (const area of this.areas) {
      if (taken >= limit) break;
      const list = RedisOutbox.list(area);
      taken += await conn.run(
        () => redis.ticketdOutboxFanOut(list, `${area}deliveries-due`, limit - taken, now, area, ...flat),
        list,
      );
    }
    return taken;
  }

  async claim(limit: number, now: number, leaseMs: number): Promise<DeliveryRecord[]> {
    const { conn, redis } = this.x;
    const out: DeliveryRecord[] = [];
    for (const area of this.areas) {
      if (out.length >= limit) break;
      const due = `${area}deliveries-due`;
      const rows = await conn.run(
        () => redis.ticketdOutboxClaim(due, now, now + leaseMs, limit - out.length, area),
        due,
      );
      for (const r of rows) {
        const d = deliveryHash.fromFlat(r);
        if (d) out.push(d);
      }
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async settle(claimed: DeliveryRecord, o: Settlement, now: number): Promise<boolean> {
    const { conn, redis } = this.x;
    const member = `${claimed.eventId}:${claimed.endpointId}`;
    for (const area of this.areas) {
      const due = `${area}deliveries-due`;
      const settled = await conn.run(
        () =>
          redis.ticketdOutboxSettle(
            due,
            `${area}deliveries-done`,
            area,
            member,
            claimed.attempts,
            o.status,
            o.nextAt,
            o.lastStatus ?? '',
            o.lastError ?? '',
            now,
          ),
        due,
      );
      if (settled === 1) return true;
    }
    return false;
  }

  async listDeliveries(endpointId: string, limit: number): Promise<DeliveryRecord[]> {
    const { conn, redis } = this.x;
    const out: DeliveryRecord[] = [];
    for (const area of this.areas) {
      const rows = await conn.read(() =>
        redis.ticketdOutboxList(`${area}endpoint-deliveries:${endpointId}`, area, limit),
      );
      for (const r of rows) {
        const d = deliveryHash.fromFlat(r);
        if (d) out.push(d);
      }
    }
    return out
      .sort((a, b) => b.createdAt - a.createdAt || (a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0))
      .slice(0, limit);
  }

  async purge(before: number, limit: number): Promise<number> {
    const { conn, redis } = this.x;
    let removed = 0;
    for (const area of this.areas) {
      if (removed >= limit) break;
      const done = `${area}deliveries-done`;
      removed += await conn.run(() => redis.ticketdOutboxPurge(done, area, before, limit - removed), done);
    }
    return removed;
  }
}
