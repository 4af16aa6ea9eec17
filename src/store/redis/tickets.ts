import type { OutboxEvent } from '../parts/outbox.js';
import {
  type CreateTicketResult,
  expiredFromFlat,
  type PurgedTickets,
  purgedTickets,
  type RaiseExpired,
  type TicketInfo,
  type TicketRecord,
  type TicketStore,
  type UsedTicket,
} from '../parts/tickets.js';
import type { RedisContext } from './connection.js';
import { RedisOutbox } from './outbox.js';

/** How many expired tickets of a tenant at its limit are reclaimed in one create. */
const RECLAIM_BATCH = 1000;

/**
 * Opaque tickets on Redis: one `ticket:<hex id>` HASH each, indexed by the
 * tenant's expiry ZSET (or its `forever` SET) and counted in the tenant's
 * hash; every write is one script (scripts.ts), so one atomic step for any
 * number of ticketd processes.
 */
export class RedisTickets implements TicketStore {
  constructor(private readonly x: RedisContext) {}

  /** The outbox LIST the ticket scripts append their events to (outbox.ts). */
  private get outboxList(): string {
    return RedisOutbox.list(this.x.keys.prefix);
  }

  async create(t: TicketRecord, max: number, now: number, event?: OutboxEvent): Promise<CreateTicketResult> {
    const { conn, redis, keys, expiryGraceMs } = this.x;
    const id = t.id.toString('hex');
    const ttl = t.expiresAt === null ? 0 : Math.max(1, t.expiresAt - now + expiryGraceMs);
    const k = [
      keys.tenant(t.tenant),
      keys.ticket(id),
      keys.expiry(t.tenant),
      keys.expiryTenants,
      keys.forever(t.tenant),
    ];
    const created = await conn.run(() =>
      (event ? redis.ticketdCreateTicketEv : redis.ticketdCreateTicket).call(
        redis,
        ...k,
        ...(event ? [this.outboxList] : []),
        keys.ticketPrefix,
        id,
        t.tenant,
        String(max),
        String(now),
        t.usesLeft === null ? '' : String(t.usesLeft),
        t.expiresAt === null ? '' : String(t.expiresAt),
        String(t.createdAt),
        t.payload === null ? '0' : '1',
        t.payload ?? '',
        String(Math.ceil(ttl)),
        String(RECLAIM_BATCH),
        ...(event ? [RedisOutbox.entry(event)] : []),
      ),
    );
    return created === 1 ? 'created' : 'limit';
  }

  /** The four keys and three arguments of the use and delete scripts, with the event's key and entry when raised. */
  private ticketArgs(tenant: string, hex: string, now: number, event: OutboxEvent | undefined): string[] {
    const { keys } = this.x;
    const k = [keys.ticket(hex), keys.tenant(tenant), keys.expiry(tenant), keys.forever(tenant)];
    const a = [hex, tenant, String(now)];
    return event ? [...k, this.outboxList, ...a, RedisOutbox.entry(event)] : [...k, ...a];
  }

  async use(tenant: string, id: Buffer, now: number, event?: OutboxEvent): Promise<UsedTicket | null> {
    const { conn, redis } = this.x;
    const args = this.ticketArgs(tenant, id.toString('hex'), now, event);
    const reply = await conn.run(() =>
      event ? redis.ticketdUseTicketEvBuffer(...args) : redis.ticketdUseTicketBuffer(...args),
    );
    if (reply === null) return null;
    const [usesLeft, payload] = reply;
    return { usesLeft: usesLeft ?? null, payload: payload ?? null };
  }

  async delete(
    tenant: string,
    id: Buffer,
    now: number,
    event?: OutboxEvent,
  ): Promise<{ usesLeft: number | null } | null> {
    const { conn, redis } = this.x;
    const args = this.ticketArgs(tenant, id.toString('hex'), now, event);
    const reply = await conn.run(() =>
      event ? redis.ticketdDeleteTicketEv(...args) : redis.ticketdDeleteTicket(...args),
    );
    return reply === null ? null : { usesLeft: reply[0] ?? null };
  }

  async peek(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null> {
    const { conn, redis, keys } = this.x;
    const [owner, uses, expiresAt, createdAt] = await conn.read(() =>
      redis.hmget(keys.ticket(id.toString('hex')), 'tenant', 'uses', 'expiresAt', 'createdAt'),
    );
    if (owner !== tenant || createdAt === null) return null;
    const expires = expiresAt === null ? null : Number(expiresAt);
    if (expires !== null && expires <= now) return null;
    return { usesLeft: uses === null ? null : Number(uses), expiresAt: expires, createdAt: Number(createdAt) };
  }

  async count(tenant: string): Promise<number> {
    const { conn, redis, keys } = this.x;
    const n = await conn.read(() => redis.hget(keys.tenant(tenant), 'tickets'));
    return n === null ? 0 : Number(n);
  }

  async purge(now: number, limit: number, raise?: RaiseExpired): Promise<PurgedTickets> {
    if (limit <= 0) return purgedTickets([]);
    const { conn, redis, keys } = this.x;
    const flat = await conn.run(() =>
      redis.ticketdPurgeTickets(
        keys.expiryTenants,
        keys.tenantPrefix,
        keys.expiryPrefix,
        keys.ticketPrefix,
        String(now),
        String(Math.floor(limit)),
      ),
    );
    const tickets = expiredFromFlat(flat);
    if (raise) await RedisOutbox.appendExpired(this.x, tickets, raise);
    return purgedTickets(tickets);
  }
}
