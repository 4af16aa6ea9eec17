import type { Cluster, Redis } from 'ioredis';
import { raising } from './raising.js';
import { WRITE_TICKET } from './scripts.js';

/**
 * The opaque-ticket scripts of a Redis Cluster store (tickets-cluster.ts).
 * Every key a script names is in one shard's hash slot, so each script is one
 * atomic step on the primary that owns that shard; the tenant's count lives
 * apart (see tickets-cluster.ts): created in the tenant's hash, removed per
 * shard in that shard's `removed` HASH (tenant -> tickets removed there).
 * Liveness is decided by the caller's `now`, as in scripts.ts.
 */

/** Shared: drops a live ticket of this shard and counts it as removed. */
const REMOVE_LIVE = `
local function remove_live(ticket_key, expiry_key, forever_key, removed_key, id, tenant)
  redis.call('DEL', ticket_key)
  redis.call('ZREM', expiry_key, id)
  redis.call('SREM', forever_key, id)
  redis.call('HINCRBY', removed_key, tenant, 1)
end
`;

/**
 * KEYS: the tenant's hash (its own slot). ARGV: max, removed (the sum over
 * the shards, read before). Reserves a place: 1 (reserved), 0 (the tenant
 * holds max tickets), -1 (no such tenant).
 */
export const RESERVE_TICKET = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local max = tonumber(ARGV[1])
if max > 0 then
  local created = tonumber(redis.call('HGET', KEYS[1], 'created') or '0')
  if created - tonumber(ARGV[2]) >= max then return 0 end
end
redis.call('HINCRBY', KEYS[1], 'created', 1)
return 1
`;

/**
 * KEYS: ticket, tenant's expiry ZSET, shard's expiry-tenants ZSET, tenant's
 * forever SET, shard's removed HASH, the id's gone marker (all of one shard).
 * ARGV: idHex, tenant, uses|'', expiresAt|'', createdAt, hasPayload, payload, ttlMs.
 */
const SHARD_CREATE_RUN = `${WRITE_TICKET}
local function run()
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('ERR ticketd: ticket id already exists')
end
if redis.call('EXISTS', KEYS[6]) == 1 then
  return redis.error_reply('ERR ticketd: ticket id given up')
end
-- The member of an earlier ticket with this id that Redis expired natively: counted, so uncounted now.
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[5], ARGV[2], 1)
end
write_ticket(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
return 1
end
`;
export const SHARD_CREATE = `${SHARD_CREATE_RUN}return run()
`;
/** SHARD_CREATE, and KEYS[7] the shard's outbox LIST, ARGV[9] the event entry, appended when written. */
export const SHARD_CREATE_EV = raising(SHARD_CREATE_RUN, 7, 9, 'answer == 1');

/**
 * KEYS: ticket, the id's gone marker, removed HASH. ARGV: tenant, markerTtlMs.
 * After a create whose answer was lost (a timeout, a replica that did not
 * confirm): 1 if the ticket was written (its place stays taken); else the id
 * is marked gone, so that a write still on its way is refused, the place
 * given back (removed + 1) and 0 returned. A ticket written and already
 * removed again reads as never written: its id was never answered to anyone,
 * so only its expiry and a purge inside this moment can do that.
 */
export const SHARD_ABANDON = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
return 0
`;

/** KEYS: ticket, expiry ZSET, forever SET, removed HASH. ARGV: idHex, tenant, now. As USE_TICKET of scripts.ts. */
const SHARD_USE_RUN = `${REMOVE_LIVE}
local function run()
local t = redis.call('HMGET', KEYS[1], 'tenant', 'uses', 'expiresAt', 'payload')
if t[1] ~= ARGV[2] then return nil end
if t[3] and tonumber(t[3]) <= tonumber(ARGV[3]) then return nil end
if not t[2] then return { false, t[4] } end
if tonumber(t[2]) <= 1 then
  remove_live(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2])
  return { 0, t[4] }
end
return { redis.call('HINCRBY', KEYS[1], 'uses', -1), t[4] }
end
`;
export const SHARD_USE = `${SHARD_USE_RUN}return run()
`;
/** SHARD_USE, and KEYS[5] the shard's outbox LIST, ARGV[4] the event entry. */
export const SHARD_USE_EV = raising(SHARD_USE_RUN, 5, 4, 'answer');

/** KEYS: ticket, expiry ZSET, forever SET, removed HASH. ARGV: idHex, tenant, now. As DELETE_TICKET of scripts.ts. */
const SHARD_DELETE_RUN = `${REMOVE_LIVE}
local function run()
local t = redis.call('HMGET', KEYS[1], 'tenant', 'uses', 'expiresAt')
if t[1] ~= ARGV[2] then return nil end
if t[3] and tonumber(t[3]) <= tonumber(ARGV[3]) then return nil end
remove_live(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2])
return { t[2] and tonumber(t[2]) or false }
end
`;
export const SHARD_DELETE = `${SHARD_DELETE_RUN}return run()
`;
/** SHARD_DELETE, and KEYS[5] the shard's outbox LIST, ARGV[4] the event entry. */
export const SHARD_DELETE_EV = raising(SHARD_DELETE_RUN, 5, 4, 'answer');

/**
 * KEYS: the tenant's expiry ZSET, removed HASH. ARGV: ticketPrefix (the
 * shard's), tenant, now, batch. Removes up to `batch` expired tickets of the
 * tenant in this shard (a create at the limit); returns how many.
 */
export const SHARD_RECLAIM = `
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
for _, member in ipairs(dead) do
  redis.call('ZREM', KEYS[1], member)
  redis.call('DEL', ARGV[1] .. member)
end
if #dead > 0 then redis.call('HINCRBY', KEYS[2], ARGV[2], #dead) end
return #dead
`;

/**
 * KEYS: the shard's expiry-tenants ZSET. ARGV: expiryPrefix, now, limit.
 * Reads, removes nothing: the shard's `limit` oldest expired tickets, flat
 * (expiresAt, tenant, idHex, ...), oldest first. The caller merges every
 * shard's answer to take the cluster's oldest (tickets-cluster.ts).
 */
export const SHARD_PURGE_PEEK = `
local expiry_prefix, limit = ARGV[1], tonumber(ARGV[3])
local found = {}
-- A tenant's score in expiry-tenants is at most its oldest expiry: walking
-- the tenants by score, once the limit-th oldest found so far is older than
-- a tenant's score, no later tenant has an older ticket. The table never
-- holds more than twice the limit. Bounds stay the strings Redis gave
-- (Lua would print a large number in exponent form).
local bound = ARGV[2]
local offset = 0
while true do
  local page = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', bound, 'LIMIT', offset, 100)
  if #page == 0 then break end
  offset = offset + #page
  for _, tenant in ipairs(page) do
    local dead = redis.call('ZRANGEBYSCORE', expiry_prefix .. tenant, '-inf', bound, 'WITHSCORES', 'LIMIT', 0, limit)
    for i = 1, #dead, 2 do
      found[#found + 1] = { tonumber(dead[i + 1]), tenant, dead[i], dead[i + 1] }
    end
    if #found >= 2 * limit then
      table.sort(found, function(a, b) return a[1] < b[1] end)
      for i = #found, limit + 1, -1 do found[i] = nil end
      bound = found[limit][4]
    end
  end
end
table.sort(found, function(a, b) return a[1] < b[1] end)
local out = {}
for i = 1, math.min(#found, limit) do
  out[#out + 1] = found[i][4]
  out[#out + 1] = found[i][2]
  out[#out + 1] = found[i][3]
end
return out
`;

/**
 * KEYS: the shard's expiry-tenants ZSET, removed HASH. ARGV: expiryPrefix,
 * ticketPrefix (the shard's), now, then tenant, idHex pairs. Removes each
 * named ticket that is still there and expired at `now` (a concurrent purge
 * or use may have taken it: counted once, by whoever removed it), counts it
 * in `removed` and moves the tenant's entry in expiry-tenants to its new
 * oldest. Flat, what it removed: tenant, idHex, expiresAt, ...
 */
export const SHARD_PURGE_TAKE = `
local expiry_tenants, removed_key = KEYS[1], KEYS[2]
local expiry_prefix, ticket_prefix, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local by_tenant, order, gone = {}, {}, {}
for i = 4, #ARGV, 2 do
  local tenant, member = ARGV[i], ARGV[i + 1]
  local expiry_key = expiry_prefix .. tenant
  local score = redis.call('ZSCORE', expiry_key, member)
  if score and tonumber(score) <= now and redis.call('ZREM', expiry_key, member) == 1 then
    redis.call('DEL', ticket_prefix .. member)
    gone[#gone + 1] = tenant
    gone[#gone + 1] = member
    gone[#gone + 1] = score
    if not by_tenant[tenant] then
      by_tenant[tenant] = 0
      order[#order + 1] = tenant
    end
    by_tenant[tenant] = by_tenant[tenant] + 1
  end
end
for _, tenant in ipairs(order) do
  redis.call('HINCRBY', removed_key, tenant, by_tenant[tenant])
  local first = redis.call('ZRANGE', expiry_prefix .. tenant, 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', expiry_tenants, tenant)
  else
    redis.call('ZADD', expiry_tenants, first[2], tenant)
  end
end
return gone
`;

/**
 * KEYS: the tenant's expiry ZSET, forever SET, the shard's expiry-tenants
 * ZSET, removed HASH. ARGV: ticketPrefix (the shard's), tenant. Removes every
 * ticket of the tenant in this shard and its entries (deleteTenant).
 */
export const SHARD_DELETE_TENANT = `
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do redis.call('DEL', ARGV[1] .. member) end
for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', ARGV[1] .. member) end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[2])
return 1
`;

type Arg = string | number | Buffer;

export interface ClusterScripts {
  ticketdReserveTicket(...args: Arg[]): Promise<number>;
  ticketdShardCreate(...args: Arg[]): Promise<number>;
  ticketdShardAbandon(...args: Arg[]): Promise<number>;
  ticketdShardUseBuffer(...args: Arg[]): Promise<[number | null, Buffer | null] | null>;
  ticketdShardDelete(...args: Arg[]): Promise<[number | null] | null>;
  ticketdShardCreateEv(...args: Arg[]): Promise<number>;
  ticketdShardUseEvBuffer(...args: Arg[]): Promise<[number | null, Buffer | null] | null>;
  ticketdShardDeleteEv(...args: Arg[]): Promise<[number | null] | null>;
  ticketdShardReclaim(...args: Arg[]): Promise<number>;
  ticketdShardPurgePeek(...args: Arg[]): Promise<string[]>;
  ticketdShardPurgeTake(...args: Arg[]): Promise<(string | number)[]>;
  ticketdShardDeleteTenant(...args: Arg[]): Promise<number>;
}

export function defineClusterScripts(redis: Redis | Cluster): void {
  redis.defineCommand('ticketdReserveTicket', { numberOfKeys: 1, lua: RESERVE_TICKET });
  redis.defineCommand('ticketdShardCreate', { numberOfKeys: 6, lua: SHARD_CREATE });
  redis.defineCommand('ticketdShardAbandon', { numberOfKeys: 3, lua: SHARD_ABANDON });
  redis.defineCommand('ticketdShardUse', { numberOfKeys: 4, lua: SHARD_USE });
  redis.defineCommand('ticketdShardDelete', { numberOfKeys: 4, lua: SHARD_DELETE });
  redis.defineCommand('ticketdShardCreateEv', { numberOfKeys: 7, lua: SHARD_CREATE_EV });
  redis.defineCommand('ticketdShardUseEv', { numberOfKeys: 5, lua: SHARD_USE_EV });
  redis.defineCommand('ticketdShardDeleteEv', { numberOfKeys: 5, lua: SHARD_DELETE_EV });
  redis.defineCommand('ticketdShardReclaim', { numberOfKeys: 2, lua: SHARD_RECLAIM });
  redis.defineCommand('ticketdShardPurgePeek', { numberOfKeys: 1, lua: SHARD_PURGE_PEEK });
  redis.defineCommand('ticketdShardPurgeTake', { numberOfKeys: 2, lua: SHARD_PURGE_TAKE });
  redis.defineCommand('ticketdShardDeleteTenant', { numberOfKeys: 4, lua: SHARD_DELETE_TENANT });
}
