import type { AuditFilter, AuditRecord, AuditStore } from '../parts/audit.js';
import type { RedisContext } from './connection.js';

/** KEYS: the ids ZSET, the records HASH. ARGV: id, at, record JSON. */
const APPEND = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1`;

/** KEYS: the ids ZSET, the records HASH. ARGV: before (ms, exclusive), limit. */
const PURGE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return #ids`;

/** Records read per step while a filtered list is being filled. */
const PAGE = 200;

/**
 * The audit log on Redis: a ZSET of ids by time and a HASH of the records as
 * JSON (`P audit`, `P audit-records`); a list walks the ZSET newest first
 * and keeps what matches the filter.
 */
export class RedisAudit implements AuditStore {
  constructor(private readonly x: RedisContext) {
    x.redis.defineCommand('ticketdAuditAppend', { numberOfKeys: 2, lua: APPEND });
    x.redis.defineCommand('ticketdAuditPurge', { numberOfKeys: 2, lua: PURGE });
  }

  private get keys(): [string, string] {
    return [`${this.x.keys.prefix}audit`, `${this.x.keys.prefix}audit-records`];
  }

  private get scripts() {
    return this.x.redis as unknown as {
      ticketdAuditAppend(...a: (string | number)[]): Promise<number>;
      ticketdAuditPurge(...a: (string | number)[]): Promise<number>;
    };
  }

  async append(r: AuditRecord): Promise<void> {
    await this.x.conn.run(() => this.scripts.ticketdAuditAppend(...this.keys, r.id, r.at, JSON.stringify(r)));
  }

  async list(f: AuditFilter, limit: number): Promise<AuditRecord[]> {
    const [ids, records] = this.keys;
    const { conn, redis } = this.x;
    const out: AuditRecord[] = [];
    const max = f.until === undefined ? '+inf' : `(${f.until}`;
    const min = f.since === undefined ? '-inf' : String(f.since);
    for (let offset = 0; out.length < limit; offset += PAGE) {
      const page = await conn.read(() => redis.zrevrangebyscore(ids, max, min, 'LIMIT', offset, PAGE));
      if (page.length === 0) break;
      const json = await conn.read(() => redis.hmget(records, ...page));
      for (const j of json) {
        if (j === null) continue;
        const r = JSON.parse(j) as AuditRecord;
        if (f.before !== undefined && r.id >= f.before) continue;
        if (f.tenant !== undefined && r.tenant !== f.tenant) continue;
        if (f.actor !== undefined && r.actor !== f.actor) continue;
        if (f.action !== undefined && r.action !== f.action) continue;
        out.push(r);
        if (out.length >= limit) break;
      }
    }
    return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  purge(before: number, limit: number): Promise<number> {
    return this.x.conn.run(() => this.scripts.ticketdAuditPurge(...this.keys, before, Math.max(0, limit)));
  }
}
