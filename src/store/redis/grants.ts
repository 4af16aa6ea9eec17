import type { GrantStore, OzGrantRecord } from '../parts/grants.js';
import type { OutboxEvent } from '../parts/outbox.js';
import { nativeTtl, type RedisContext } from './connection.js';
import { grantHash } from './hash.js';
import { RedisOutbox } from './outbox.js';

/**
 * The grant family every script that drops grants takes first (oz-scripts.ts):
 * KEYS owners HASH, expiry ZSET, all-grants ZSET; ARGV grant, app-grants and
 * user-grants prefixes.
 */
export function grantFamily(x: RedisContext): { keys: [string, string, string]; argv: [string, string, string] } {
  const k = x.keys.oz;
  return {
    keys: [k.grantOwners, k.grantExpiry, k.grants],
    argv: [k.grantPrefix, k.appGrantsPrefix, k.userGrantsPrefix],
  };
}

/**
 * Oz grants on Redis: one `oz-grant:<id>` HASH each (grantHash of hash.ts)
 * with a relative native expiry, `exp - createdOn + grace` (createdOn is the
 * caller's clock when it made the grant; never PEXPIREAT, so Redis's clock
 * and the caller's need not agree); liveness is `exp > now` on the stored
 * exp. A grant's index entries stay until a revoke, a cascade or the purge
 * drops them, so counts and purges see expired grants whose hash Redis
 * already freed. Every write is one script (oz-scripts.ts).
 */
export class RedisGrants implements GrantStore {
  constructor(private readonly x: RedisContext) {}

  async create(g: OzGrantRecord, event?: OutboxEvent): Promise<void> {
    const { conn, redis, keys } = this.x;
    const k = keys.oz;
    const f = grantFamily(this.x);
    const fields = grantHash.flat(g) as string[];
    const keyList = [...f.keys, k.grantPrefix + g.id, k.appGrantsPrefix + g.app, k.userGrantsPrefix + g.user];
    const argv = [
      ...f.argv,
      g.id,
      `${Buffer.byteLength(g.app)}:${g.app}${g.user}`,
      String(g.exp),
      String(g.createdOn),
      nativeTtl(this.x, g.exp, g.createdOn),
    ];
    await conn.run(() =>
      event
        ? redis.ticketdCreateGrantEv(
            ...keyList,
            RedisOutbox.list(keys.prefix),
            ...argv,
            RedisOutbox.entry(event),
            ...fields,
          )
        : redis.ticketdCreateGrant(...keyList, ...argv, ...fields),
    );
  }

  async get(id: string, now: number): Promise<OzGrantRecord | null> {
    const { conn, redis, keys } = this.x;
    const g = grantHash.fromValues(await conn.read(() => redis.hmget(keys.oz.grantPrefix + id, ...grantHash.names)));
    return g && g.exp > now ? g : null;
  }

  async list(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]> {
    if (limit <= 0) return [];
    const { conn, redis, keys } = this.x;
    const k = keys.oz;
    const { app, user } = filter;
    // By user (with the app as a filter when both are given: a user has few grants), by app, or all.
    const index =
      user !== undefined ? k.userGrantsPrefix + user : app !== undefined ? k.appGrantsPrefix + app : k.grants;
    const filtersApp = user !== undefined && app !== undefined;
    const rows = await conn.read(() =>
      redis.ticketdListGrants(
        index,
        k.grantPrefix,
        String(now),
        String(Math.floor(limit)),
        filtersApp ? '1' : '0',
        filtersApp ? app : '',
      ),
    );
    return rows.map((r) => grantHash.fromValues(r)).filter((g): g is OzGrantRecord => g !== null);
  }

  async delete(id: string, event?: OutboxEvent): Promise<boolean> {
    const { conn, redis, keys } = this.x;
    const f = grantFamily(this.x);
    const deleted = await conn.run(() =>
      event
        ? redis.ticketdDeleteGrantEv(...f.keys, RedisOutbox.list(keys.prefix), ...f.argv, id, RedisOutbox.entry(event))
        : redis.ticketdDeleteGrant(...f.keys, ...f.argv, id),
    );
    return deleted === 1;
  }

  deleteOfUser(user: string): Promise<number> {
    const { conn, redis, keys } = this.x;
    const f = grantFamily(this.x);
    return conn.run(() => redis.ticketdDeleteGrantsOfUser(...f.keys, keys.oz.userGrantsPrefix + user, ...f.argv));
  }

  async purge(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const { conn, redis } = this.x;
    const f = grantFamily(this.x);
    return conn.run(() => redis.ticketdPurgeGrants(...f.keys, ...f.argv, String(now), String(Math.floor(limit))));
  }
}
