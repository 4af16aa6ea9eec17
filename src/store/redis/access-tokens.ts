import type { AccessTokenRecord, AccessTokenStore } from '../parts/access-tokens.js';
import type { RedisContext } from './connection.js';
import type { StoredAccessToken } from './hash.js';

const toAccessToken = (hex: string, json: string): AccessTokenRecord => ({
  id: Buffer.from(hex, 'hex'),
  ...(JSON.parse(json) as StoredAccessToken),
});

/** Access tokens on Redis: one HASH, hex id -> the token's other fields as JSON; single commands. */
export class RedisAccessTokens implements AccessTokenStore {
  constructor(private readonly x: RedisContext) {}

  async create(t: AccessTokenRecord): Promise<'created' | 'exists'> {
    const { conn, redis, keys } = this.x;
    const { id, ...stored } = t;
    const created = await conn.run(() => redis.hsetnx(keys.accessTokens, id.toString('hex'), JSON.stringify(stored)));
    return created === 1 ? 'created' : 'exists';
  }

  async get(id: Buffer): Promise<AccessTokenRecord | null> {
    const { conn, redis, keys } = this.x;
    const hex = id.toString('hex');
    const json = await conn.read(() => redis.hget(keys.accessTokens, hex));
    return json === null ? null : toAccessToken(hex, json);
  }

  async list(): Promise<AccessTokenRecord[]> {
    const { conn, redis, keys } = this.x;
    const all = await conn.read(() => redis.hgetall(keys.accessTokens));
    return Object.entries(all)
      .map(([hex, json]) => toAccessToken(hex, json))
      .sort((a, b) => a.createdOn - b.createdOn || Buffer.compare(a.id, b.id));
  }

  async delete(id: Buffer): Promise<boolean> {
    const { conn, redis, keys } = this.x;
    return (await conn.run(() => redis.hdel(keys.accessTokens, id.toString('hex')))) === 1;
  }
}
