import type { Cluster, Redis } from 'ioredis';

/**
 * The outbox's scripts (outbox.ts). Each works inside one area (a key
 * prefix; on a cluster, one hash tag), reaching a delivery's HASH as
 * `<area>delivery:<event id>:<endpoint id>` from ARGV, as the other scripts
 * reach records named by index members. Null fields are absent.
 */

/** KEYS: outbox LIST, due ZSET. ARGV: limit, now, area, then routes as (endpoint, tenant, type) triples. */
const FAN_OUT = `
local limit, now, area = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local taken = 0
while taken < limit do
  local raw = redis.call('LPOP', KEYS[1])
  if not raw then break end
  taken = taken + 1
  local e = cjson.decode(raw)
  local seen = {}
  for j = 4, #ARGV, 3 do
    local ep, tenant, kind = ARGV[j], ARGV[j + 1], ARGV[j + 2]
    if tenant == e.tenant and (kind == e.type or kind == '*') and not seen[ep] then
      seen[ep] = true
      local member = e.id .. ':' .. ep
      local key = area .. 'delivery:' .. member
      if redis.call('EXISTS', key) == 0 then
        redis.call('HSET', key, 'eventId', e.id, 'endpointId', ep, 'tenant', e.tenant, 'type', e.type,
          'body', e.body, 'status', 'pending', 'attempts', 0, 'nextAt', now, 'createdAt', now, 'updatedAt', now)
        redis.call('ZADD', KEYS[2], now, member)
        redis.call('ZADD', area .. 'endpoint-deliveries:' .. ep, now, member)
      end
    end
  end
end
return taken
`;

/** KEYS: due ZSET. ARGV: now, lease end, limit, area. Answers each claimed delivery as HGETALL. */
const CLAIM = `
local out = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))) do
  local key = ARGV[4] .. 'delivery:' .. m
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBY', key, 'attempts', 1)
    redis.call('HSET', key, 'nextAt', ARGV[2], 'updatedAt', ARGV[1])
    redis.call('ZADD', KEYS[1], ARGV[2], m)
    out[#out + 1] = redis.call('HGETALL', key)
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return out
`;

/**
 * KEYS: due ZSET, done ZSET. ARGV: area, member, attempts claimed, status,
 * nextAt, lastStatus ('' for null), lastError ('' for null), now.
 */
const SETTLE = `
local key = ARGV[1] .. 'delivery:' .. ARGV[2]
local cur = redis.call('HMGET', key, 'attempts', 'status')
if cur[1] ~= ARGV[3] or cur[2] ~= 'pending' then return 0 end
redis.call('HSET', key, 'status', ARGV[4], 'nextAt', ARGV[5], 'updatedAt', ARGV[8])
if ARGV[6] == '' then redis.call('HDEL', key, 'lastStatus') else redis.call('HSET', key, 'lastStatus', ARGV[6]) end
if ARGV[7] == '' then redis.call('HDEL', key, 'lastError') else redis.call('HSET', key, 'lastError', ARGV[7]) end
if ARGV[4] == 'pending' then
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[2])
else
  redis.call('ZREM', KEYS[1], ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[8], ARGV[2])
end
return 1
`;

/** KEYS: the endpoint's deliveries ZSET. ARGV: area, limit. Newest first, as HGETALLs. */
const LIST = `
local out = {}
for _, m in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
  local h = redis.call('HGETALL', ARGV[1] .. 'delivery:' .. m)
  if #h > 0 then out[#out + 1] = h end
end
return out
`;

/** KEYS: done ZSET. ARGV: area, before, limit. */
const PURGE = `
local ms = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(ms) do
  local key = ARGV[1] .. 'delivery:' .. m
  local ep = redis.call('HGET', key, 'endpointId')
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[1], m)
  if ep then redis.call('ZREM', ARGV[1] .. 'endpoint-deliveries:' .. ep, m) end
end
return #ms
`;

type Arg = string | number;

export interface OutboxScripts {
  ticketdOutboxFanOut(...args: Arg[]): Promise<number>;
  ticketdOutboxClaim(...args: Arg[]): Promise<string[][]>;
  ticketdOutboxSettle(...args: Arg[]): Promise<number>;
  ticketdOutboxList(...args: Arg[]): Promise<string[][]>;
  ticketdOutboxPurge(...args: Arg[]): Promise<number>;
}

export function defineOutboxScripts(redis: Redis | Cluster): void {
  redis.defineCommand('ticketdOutboxFanOut', { numberOfKeys: 2, lua: FAN_OUT });
  redis.defineCommand('ticketdOutboxClaim', { numberOfKeys: 1, lua: CLAIM });
  redis.defineCommand('ticketdOutboxSettle', { numberOfKeys: 2, lua: SETTLE });
  redis.defineCommand('ticketdOutboxList', { numberOfKeys: 1, lua: LIST });
  redis.defineCommand('ticketdOutboxPurge', { numberOfKeys: 1, lua: PURGE });
}
