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
import type { ClusterScripts } from './cluster-scripts.js';
import type { RedisContext } from './connection.js';
import type { ShardKeys } from './keys.js';
import { RedisOutbox } from './outbox.js';

/** How long a given-up ticket id stays refused: longer than any command may still be on its way. */
const GONE_MARKER_MS = 10 * 60_000;

/** How many expired tickets of a tenant at its limit one shard reclaims in one create. */
const RECLAIM_BATCH = 100;

/**
 * Opaque tickets on a Redis Cluster: each ticket in the shard its id picks
 * (ShardKeys in keys.ts), so that one tenant's tickets spread over every
 * primary, and use, delete and expiry stay one atomic script on the
 * ticket's shard (cluster-scripts.ts). The tenant's count cannot be one
 * counter beside tickets spread over shards: it is `created` (in the
 * tenant's hash) minus the `removed` counters of every shard. A create first
 * reserves its place on the tenant's hash — against ticketMax, with the
 * removed counts read just before (they only grow, so a stale read can only
 * refuse, never admit past the limit) — then writes the ticket in its shard;
 * a write that fails gives the place back unless the ticket is there after
 * all (SHARD_ABANDON). A process that dies between the two leaves a place
 * reserved for a ticket that never came (the count errs by one on the safe
 * side; docs/operations.md).
 */
export class ClusterTickets implements TicketStore {
  private readonly redis: RedisContext['redis'] & ClusterScripts;

  constructor(
    private readonly x: RedisContext,
    private readonly shards: ShardKeys,
  ) {
    this.redis = x.redis as RedisContext['redis'] & ClusterScripts;
    this.shardNumbers = Array.from({ length: shards.count }, (_, k) => k);
  }

  /** A command on shard k's node (`wait=N` waits on that node's replicas). */
  private on<T>(k: number, command: () => Promise<T>): Promise<T> {
    return this.x.conn.run(command, this.shards.tag(k));
  }

  /** Every shard's number, 0 .. count - 1. */
  private readonly shardNumbers: readonly number[];

  /** Tickets of the tenant removed in every shard (uses, deletes, reclaims, purges). */
  private async removed(tenant: string): Promise<number> {
    const { conn } = this.x;
    const counts = await Promise.all(
      this.shardNumbers.map((k) => conn.read(() => this.redis.hget(this.shards.removed(k), tenant))),
    );
    return counts.reduce((sum, n) => sum + Number(n ?? 0), 0);
  }

  private async reserve(tenant: string, max: number): Promise<number> {
    const { conn, keys } = this.x;
    const removed = max > 0 ? await this.removed(tenant) : 0;
    return conn.run(() => this.redis.ticketdReserveTicket(keys.tenant(tenant), String(max), String(removed)));
  }

  async create(t: TicketRecord, max: number, now: number, event?: OutboxEvent): Promise<CreateTicketResult> {
    let reserved = await this.reserve(t.tenant, max);
    if (reserved === 0) {
      // At the limit: expired tickets, stored or gone natively, do not count.
      // Reclaim, then decide again — also when a concurrent create reclaimed
      // them first: its scripts ran before ours on each shard, so the removed
      // counts read now include them.
      await Promise.all(this.shardNumbers.map((k) => this.reclaim(k, t.tenant, now)));
      reserved = await this.reserve(t.tenant, max);
    }
    if (reserved === -1) throw new Error(`redis: tenant ${t.tenant} does not exist`);
    if (reserved === 0) return 'limit';
    const { expiryGraceMs } = this.x;
    const k = this.shards.of(t.id);
    const id = t.id.toString('hex');
    const ttl = t.expiresAt === null ? 0 : Math.max(1, t.expiresAt - now + expiryGraceMs);
    try {
      // The event goes to the outbox of the ticket's shard, in the script that writes the ticket.
      await this.on(k, () =>
        (event ? this.redis.ticketdShardCreateEv : this.redis.ticketdShardCreate).call(
          this.redis,
          this.shards.ticket(k, id),
          this.shards.expiry(k, t.tenant),
          this.shards.expiryTenants(k),
          this.shards.forever(k, t.tenant),
          this.shards.removed(k),
          this.shards.gone(k, id),
          ...(event ? [RedisOutbox.list(this.shards.tag(k))] : []),
          id,
          t.tenant,
          t.usesLeft === null ? '' : String(t.usesLeft),
          t.expiresAt === null ? '' : String(t.expiresAt),
          String(t.createdAt),
          t.payload === null ? '0' : '1',
          t.payload ?? '',
          String(Math.ceil(ttl)),
          ...(event ? [RedisOutbox.entry(event)] : []),
        ),
      );
    } catch (err) {
      // The ticket may or may not be written (a lost answer, a replica that
      // did not confirm): its place is given back only if it is not, and the
      // id can then never be written. Without an answer here either, the
      // place stays taken: the count errs high, toward refusing.
      await this.x.conn
        .run(
          () =>
            this.redis.ticketdShardAbandon(
              this.shards.ticket(k, id),
              this.shards.gone(k, id),
              this.shards.removed(k),
              t.tenant,
              String(GONE_MARKER_MS),
            ),
          undefined,
          false,
        )
        .catch(() => {});
      throw err;
    }
    return 'created';
  }

  private reclaim(k: number, tenant: string, now: number): Promise<number> {
    return this.on(k, () =>
      this.redis.ticketdShardReclaim(
        this.shards.expiry(k, tenant),
        this.shards.removed(k),
        this.shards.ticketPrefix(k),
        tenant,
        String(now),
        String(RECLAIM_BATCH),
      ),
    );
  }

  /** The keys and arguments of SHARD_USE and SHARD_DELETE (cluster-scripts.ts). */
  private ticketArgs(k: number, hex: string, tenant: string, now: number, event?: OutboxEvent): string[] {
    const { shards } = this;
    const keys = [shards.ticket(k, hex), shards.expiry(k, tenant), shards.forever(k, tenant), shards.removed(k)];
    const argv = [hex, tenant, String(now)];
    return event ? [...keys, RedisOutbox.list(shards.tag(k)), ...argv, RedisOutbox.entry(event)] : [...keys, ...argv];
  }

  async use(tenant: string, id: Buffer, now: number, event?: OutboxEvent): Promise<UsedTicket | null> {
    const k = this.shards.of(id);
    const args = this.ticketArgs(k, id.toString('hex'), tenant, now, event);
    const reply = await this.on(k, () =>
      event ? this.redis.ticketdShardUseEvBuffer(...args) : this.redis.ticketdShardUseBuffer(...args),
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
    const k = this.shards.of(id);
    const args = this.ticketArgs(k, id.toString('hex'), tenant, now, event);
    const reply = await this.on(k, () =>
      event ? this.redis.ticketdShardDeleteEv(...args) : this.redis.ticketdShardDelete(...args),
    );
    return reply === null ? null : { usesLeft: reply[0] ?? null };
  }

  async peek(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null> {
    const k = this.shards.of(id);
    const [owner, uses, expiresAt, createdAt] = await this.x.conn.read(() =>
      this.redis.hmget(this.shards.ticket(k, id.toString('hex')), 'tenant', 'uses', 'expiresAt', 'createdAt'),
    );
    if (owner !== tenant || createdAt === null) return null;
    const expires = expiresAt === null ? null : Number(expiresAt);
    if (expires !== null && expires <= now) return null;
    return { usesLeft: uses === null ? null : Number(uses), expiresAt: expires, createdAt: Number(createdAt) };
  }

  async count(tenant: string): Promise<number> {
    const { conn, keys } = this.x;
    const [created, removed] = await Promise.all([
      conn.read(() => this.redis.hget(keys.tenant(tenant), 'created')),
      this.removed(tenant),
    ]);
    return Math.max(0, Number(created ?? 0) - removed);
  }

  /**
   * The `limit` oldest expired tickets of the whole cluster, as on one node:
   * every shard names its own oldest (read only), the merge picks the
   * cluster's, and each shard then removes its picks that are still there.
   */
  async purge(now: number, limit: number, raise?: RaiseExpired): Promise<PurgedTickets> {
    if (limit <= 0) return purgedTickets([]);
    const { conn } = this.x;
    const peeked = await Promise.all(
      this.shardNumbers.map((k) =>
        conn.read(() =>
          this.redis.ticketdShardPurgePeek(
            this.shards.expiryTenants(k),
            this.shards.expiryPrefix(k),
            String(now),
            String(limit),
          ),
        ),
      ),
    );
    const found: { at: number; k: number; tenant: string; id: string }[] = [];
    peeked.forEach((flat, k) => {
      for (let i = 0; i + 2 < flat.length; i += 3) {
        found.push({ at: Number(flat[i]), k, tenant: String(flat[i + 1]), id: String(flat[i + 2]) });
      }
    });
    found.sort((a, b) => a.at - b.at);
    const picks = new Map<number, string[]>();
    for (const f of found.slice(0, limit)) {
      const list = picks.get(f.k) ?? [];
      list.push(f.tenant, f.id);
      picks.set(f.k, list);
    }
    const replies = await Promise.all(
      [...picks].map(([k, pairs]) =>
        this.on(k, () =>
          this.redis.ticketdShardPurgeTake(
            this.shards.expiryTenants(k),
            this.shards.removed(k),
            this.shards.expiryPrefix(k),
            this.shards.ticketPrefix(k),
            String(now),
            ...pairs,
          ),
        ),
      ),
    );
    const tickets = replies.flatMap(expiredFromFlat);
    if (raise) await RedisOutbox.appendExpired(this.x, tickets, raise);
    return purgedTickets(tickets);
  }

  /** Every shard's tickets of the tenant (deleteTenant, before the tenant's own records go). */
  async deleteTenant(tenant: string): Promise<void> {
    await Promise.all(
      this.shardNumbers.map((k) =>
        this.on(k, () =>
          this.redis.ticketdShardDeleteTenant(
            this.shards.expiry(k, tenant),
            this.shards.forever(k, tenant),
            this.shards.expiryTenants(k),
            this.shards.removed(k),
            this.shards.ticketPrefix(k),
            tenant,
          ),
        ),
      ),
    );
  }
}
