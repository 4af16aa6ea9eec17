import type { MetaStore } from '../parts/meta.js';
import type { RedisContext } from './connection.js';

/** Process-wide values on Redis: one HASH; putIfAbsent is one script. */
export class RedisMeta implements MetaStore {
  constructor(private readonly x: RedisContext) {}

  get(key: string): Promise<string | null> {
    const { conn, redis, keys } = this.x;
    return conn.read(() => redis.hget(keys.meta, key));
  }

  putIfAbsent(key: string, value: string): Promise<string> {
    const { conn, redis, keys } = this.x;
    return conn.run(() => redis.ticketdPutMetaIfAbsent(keys.meta, key, value));
  }

  async put(key: string, value: string): Promise<void> {
    const { conn, redis, keys } = this.x;
    await conn.run(() => redis.hset(keys.meta, key, value));
  }

  async delete(key: string): Promise<boolean> {
    const { conn, redis, keys } = this.x;
    return (await conn.run(() => redis.hdel(keys.meta, key))) === 1;
  }
}
