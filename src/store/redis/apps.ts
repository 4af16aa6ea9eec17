import type { AppStore, OzAppRecord } from '../parts/apps.js';
import type { OutboxEvent } from '../parts/outbox.js';
import type { RedisContext } from './connection.js';
import { grantFamily } from './grants.js';
import { appHash } from './hash.js';
import { RedisOutbox } from './outbox.js';

/**
 * Oz apps on Redis: one `oz-app:<id>` HASH each (appHash of hash.ts) in the
 * ZSETs of all apps and of its tenant's (ids, score 0: byte order). delete
 * drops the app's grants in the same script (oz-scripts.ts).
 */
export class RedisApps implements AppStore {
  constructor(private readonly x: RedisContext) {}

  async create(a: OzAppRecord): Promise<'created' | 'exists'> {
    const { conn, redis, keys } = this.x;
    const k = keys.oz;
    const fields = appHash.flat(a) as string[];
    const created = await conn.run(() =>
      redis.ticketdCreateApp(k.appPrefix + a.id, k.apps, k.tenantAppsPrefix + a.tenant, a.id, ...fields),
    );
    return created === 1 ? 'created' : 'exists';
  }

  async get(id: string): Promise<OzAppRecord | null> {
    const { conn, redis, keys } = this.x;
    return appHash.fromValues(await conn.read(() => redis.hmget(keys.oz.appPrefix + id, ...appHash.names)));
  }

  async list(tenant: string | null): Promise<OzAppRecord[]> {
    const { conn, redis, keys } = this.x;
    const k = keys.oz;
    const rows = await conn.read(() =>
      redis.ticketdListApps(tenant === null ? k.apps : k.tenantAppsPrefix + tenant, k.appPrefix),
    );
    return rows.map((r) => appHash.fromValues(r)).filter((a): a is OzAppRecord => a !== null);
  }

  async setKey(id: string, key: string, event?: OutboxEvent): Promise<OzAppRecord | null> {
    const { conn, redis, keys } = this.x;
    const values = await conn.run(() =>
      event
        ? redis.ticketdSetAppKeyEv(keys.oz.appPrefix + id, RedisOutbox.list(keys.prefix), key, RedisOutbox.entry(event))
        : redis.ticketdSetAppKey(keys.oz.appPrefix + id, key),
    );
    return values === null ? null : appHash.fromValues(values);
  }

  async delete(id: string): Promise<boolean> {
    const { conn, redis, keys } = this.x;
    const k = keys.oz;
    const g = grantFamily(this.x);
    const deleted = await conn.run(() =>
      redis.ticketdDeleteApp(...g.keys, k.appPrefix + id, k.apps, ...g.argv, id, k.tenantAppsPrefix),
    );
    return deleted === 1;
  }
}
