import type { Cluster, Redis } from 'ioredis';
import { defineOutboxScripts, type OutboxScripts } from './outbox-scripts.js';
import { defineOzScripts, type OzScripts } from './oz-scripts.js';
import { defineProfileScripts, type ProfileScripts } from './profile-scripts.js';
import { raising } from './raising.js';

/**
 * The Lua scripts of the Redis store, one per store operation that touches
 * more than one key or must read and write in one step. Redis runs a script
 * to completion before it runs any other command from any client, so each is
 * one atomic step for every ticketd process sharing the server. Scripts never
 * raise an error after their first write (Redis does not roll a script back):
 * every check that can fail comes first.
 *
 * Liveness is always decided by the caller's `now` (ARGV) against the
 * `expiresAt` stored in the ticket hash; the native PEXPIRE only frees memory.
 *
 * Counter invariant, per tenant: `tickets` = ticket hashes created and not yet
 * removed by a use, a delete, a reclaim or a purge = members of the tenant's
 * expiry ZSET + members of its `forever` SET (its tickets that never expire,
 * indexed so that deleteTenant can find them). A hash that Redis expired
 * natively leaves its ZSET member, so it stays counted (as "expired but not
 * yet purged") until reclaim or purge removes the member; every path that
 * decrements removes a member (or a live hash) in the same step, so no ticket
 * is uncounted twice.
 */

/** Shared by the ticket scripts: drops a ticket known to be counted, from whichever index holds it. */
const REMOVE_LIVE = `
local function remove_live(ticket_key, tenant_key, expiry_key, forever_key, id)
  redis.call('DEL', ticket_key)
  redis.call('ZREM', expiry_key, id)
  redis.call('SREM', forever_key, id)
  redis.call('HINCRBY', tenant_key, 'tickets', -1)
end
`;

/**
 * Shared by the create scripts (also cluster-scripts.ts): writes a ticket's
 * hash and enters it in its tenant's expiry ZSET (and the expiry-tenants
 * ZSET) or its forever SET. uses and expiresAt are '' when absent.
 */
export const WRITE_TICKET = `
local function write_ticket(ticket_key, expiry_key, expiry_tenants, forever_key, id, tenant,
                            uses, expires_at, created_at, has_payload, payload, ttl_ms)
  local fields = { 'tenant', tenant, 'createdAt', created_at }
  if uses ~= '' then
    fields[#fields + 1] = 'uses'
    fields[#fields + 1] = uses
  end
  if expires_at ~= '' then
    fields[#fields + 1] = 'expiresAt'
    fields[#fields + 1] = expires_at
  end
  if has_payload == '1' then
    fields[#fields + 1] = 'payload'
    fields[#fields + 1] = payload
  end
  redis.call('HSET', ticket_key, unpack(fields))
  if expires_at ~= '' then
    redis.call('PEXPIRE', ticket_key, ttl_ms)
    redis.call('ZADD', expiry_key, expires_at, id)
    redis.call('ZADD', expiry_tenants, 'LT', expires_at, tenant)
  else
    redis.call('SADD', forever_key, id)
  end
end
`;

/**
 * KEYS: tenant, ticket, tenant's expiry ZSET, expiry-tenants ZSET, tenant's forever SET.
 * ARGV: ticketPrefix, idHex, tenant, max, now, uses|'', expiresAt|'', createdAt,
 *       hasPayload '0'|'1', payload, ttlMs, reclaimBatch.
 * Returns 1 (created) or 0 (limit).
 */
const CREATE_TICKET_RUN = `${WRITE_TICKET}
local function run()
local tenant_key, ticket_key, expiry_key, expiry_tenants, forever_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ticket_prefix, id, tenant = ARGV[1], ARGV[2], ARGV[3]
local max, now = tonumber(ARGV[4]), ARGV[5]
if redis.call('EXISTS', tenant_key) == 0 then
  return redis.error_reply('ERR ticketd: tenant ' .. tenant .. ' does not exist')
end
if redis.call('EXISTS', ticket_key) == 1 then
  return redis.error_reply('ERR ticketd: ticket id already exists')
end
-- The member of an earlier ticket with this id that Redis expired natively.
if redis.call('ZREM', expiry_key, id) == 1 then
  redis.call('HINCRBY', tenant_key, 'tickets', -1)
end
if max > 0 then
  local count = tonumber(redis.call('HGET', tenant_key, 'tickets') or '0')
  if count >= max then
    -- Expired tickets, stored or already gone natively, do not count: reclaim a bounded batch.
    local dead = redis.call('ZRANGEBYSCORE', expiry_key, '-inf', now, 'LIMIT', 0, tonumber(ARGV[12]))
    for _, member in ipairs(dead) do
      redis.call('ZREM', expiry_key, member)
      redis.call('DEL', ticket_prefix .. member)
    end
    if #dead > 0 then
      redis.call('HINCRBY', tenant_key, 'tickets', -#dead)
    end
    if count - #dead >= max then
      return 0
    end
  end
end
write_ticket(ticket_key, expiry_key, expiry_tenants, forever_key, id, tenant, ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
redis.call('HINCRBY', tenant_key, 'tickets', 1)
return 1
end
`;
export const CREATE_TICKET = `${CREATE_TICKET_RUN}return run()
`;
/** CREATE_TICKET, and KEYS[6] the outbox LIST, ARGV[13] the event entry, appended when created. */
export const CREATE_TICKET_EV = raising(CREATE_TICKET_RUN, 6, 13, 'answer == 1');

/**
 * KEYS: ticket, tenant, tenant's expiry ZSET, tenant's forever SET. ARGV: idHex, tenant, now.
 * Returns nil (no live ticket of this tenant) or {usesLeft|nil, payload|nil}.
 */
const USE_TICKET_RUN = `${REMOVE_LIVE}
local function run()
local t = redis.call('HMGET', KEYS[1], 'tenant', 'uses', 'expiresAt', 'payload')
if t[1] ~= ARGV[2] then return nil end
if t[3] and tonumber(t[3]) <= tonumber(ARGV[3]) then return nil end
if not t[2] then return { false, t[4] } end
if tonumber(t[2]) <= 1 then
  remove_live(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
  return { 0, t[4] }
end
return { redis.call('HINCRBY', KEYS[1], 'uses', -1), t[4] }
end
`;
export const USE_TICKET = `${USE_TICKET_RUN}return run()
`;
/** USE_TICKET, and KEYS[5] the outbox LIST, ARGV[4] the event entry, appended when a use was taken. */
export const USE_TICKET_EV = raising(USE_TICKET_RUN, 5, 4, 'answer');

/**
 * KEYS: ticket, tenant, tenant's expiry ZSET, tenant's forever SET. ARGV: idHex, tenant, now.
 * Returns nil (no live ticket of this tenant) or {usesLeft|nil}.
 */
const DELETE_TICKET_RUN = `${REMOVE_LIVE}
local function run()
local t = redis.call('HMGET', KEYS[1], 'tenant', 'uses', 'expiresAt')
if t[1] ~= ARGV[2] then return nil end
if t[3] and tonumber(t[3]) <= tonumber(ARGV[3]) then return nil end
remove_live(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
return { t[2] and tonumber(t[2]) or false }
end
`;
export const DELETE_TICKET = `${DELETE_TICKET_RUN}return run()
`;
/** DELETE_TICKET, and KEYS[5] the outbox LIST, ARGV[4] the event entry, appended when deleted. */
export const DELETE_TICKET_EV = raising(DELETE_TICKET_RUN, 5, 4, 'answer');

/**
 * KEYS: expiry-tenants ZSET. ARGV: tenantPrefix, expiryPrefix, ticketPrefix, now, limit.
 * Removes up to \`limit\` index members with expiresAt <= now, oldest first
 * across tenants (a merge: from the tenant with the lowest bound, take only
 * members no later than the next tenant's bound), with their hashes if Redis
 * has not expired them yet, and uncounts them. Returns what it removed,
 * flat: tenant, member, expiresAt, tenant, member, expiresAt, ...
 * Each round removes at least one member or raises a stale bound to the
 * tenant's true earliest expiry, and the rounds are capped, so one call is
 * bounded; the next call goes on where it stopped.
 */
export const PURGE_TICKETS = `
local expiry_tenants = KEYS[1]
local tenant_prefix, expiry_prefix, ticket_prefix = ARGV[1], ARGV[2], ARGV[3]
local now_arg, limit = ARGV[4], tonumber(ARGV[5])
local now = tonumber(now_arg)
local removed, rounds = 0, 0
local out = {}
while removed < limit and rounds < 2 * limit + 16 do
  rounds = rounds + 1
  local head = redis.call('ZRANGE', expiry_tenants, 0, 1, 'WITHSCORES')
  if #head == 0 or tonumber(head[2]) > now then break end
  local tenant = head[1]
  local bound = now_arg
  if head[4] and tonumber(head[4]) < now then bound = head[4] end
  local expiry_key = expiry_prefix .. tenant
  local dead = redis.call('ZRANGEBYSCORE', expiry_key, '-inf', bound, 'WITHSCORES', 'LIMIT', 0, limit - removed)
  for i = 1, #dead, 2 do
    local member = dead[i]
    redis.call('ZREM', expiry_key, member)
    redis.call('DEL', ticket_prefix .. member)
    out[#out + 1] = tenant
    out[#out + 1] = member
    out[#out + 1] = dead[i + 1]
  end
  if #dead > 0 then
    redis.call('HINCRBY', tenant_prefix .. tenant, 'tickets', -(#dead / 2))
    removed = removed + #dead / 2
  end
  local first = redis.call('ZRANGE', expiry_key, 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', expiry_tenants, tenant)
  else
    redis.call('ZADD', expiry_tenants, first[2], tenant)
  end
end
return out
`;

/** KEYS: tenant, tenants SET. ARGV: name, settings JSON, createdAt (kept when the tenant exists). */
export const PUT_TENANT = `
redis.call('HSET', KEYS[1], 'settings', ARGV[2])
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`;

/**
 * KEYS: tenant, tenants SET. ARGV: name, settings JSON, createdAt.
 * PUT_TENANT for a tenant that does not exist yet; returns 1 (created), or 0
 * and writes nothing when the tenant's hash exists. No \`tickets\` field: the
 * counter of a new tenant reads 0.
 */
export const CREATE_TENANT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'settings', ARGV[2], 'createdAt', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: tenants SET. ARGV: tenantPrefix. Returns {name, settings, createdAt, ...}: one consistent snapshot. */
export const LIST_TENANTS = `
local out = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local t = redis.call('HMGET', ARGV[1] .. name, 'settings', 'createdAt')
  if t[1] then
    out[#out + 1] = name
    out[#out + 1] = t[1]
    out[#out + 1] = t[2]
  end
end
return out
`;

/** Writes `ARGV[2]` at field `ARGV[1]` of a HASH only when the field exists (webhooks.ts: replace). */
const REPLACE_FIELD = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

type Arg = string | number | Buffer;

/** The client with the scripts (and profile-scripts.ts, oz-scripts.ts) defined on it (ioredis runs them by EVALSHA, falling back to EVAL once). */
export interface ScriptedRedis extends Redis, ProfileScripts, OzScripts, OutboxScripts {
  ticketdCreateTicket(...args: Arg[]): Promise<number>;
  ticketdUseTicketBuffer(...args: Arg[]): Promise<[number | null, Buffer | null] | null>;
  ticketdDeleteTicket(...args: Arg[]): Promise<[number | null] | null>;
  ticketdCreateTicketEv(...args: Arg[]): Promise<number>;
  ticketdUseTicketEvBuffer(...args: Arg[]): Promise<[number | null, Buffer | null] | null>;
  ticketdDeleteTicketEv(...args: Arg[]): Promise<[number | null] | null>;
  /** Flat: tenant, count, tenant, count, ... */
  ticketdPurgeTickets(...args: Arg[]): Promise<(string | number)[]>;
  ticketdPutTenant(...args: Arg[]): Promise<number>;
  ticketdCreateTenant(...args: Arg[]): Promise<number>;
  ticketdListTenants(...args: Arg[]): Promise<string[]>;
  ticketdReplaceField(...args: Arg[]): Promise<number>;
}

export function defineScripts(redis: Redis | Cluster): ScriptedRedis {
  redis.defineCommand('ticketdCreateTicket', { numberOfKeys: 5, lua: CREATE_TICKET });
  redis.defineCommand('ticketdUseTicket', { numberOfKeys: 4, lua: USE_TICKET });
  redis.defineCommand('ticketdDeleteTicket', { numberOfKeys: 4, lua: DELETE_TICKET });
  redis.defineCommand('ticketdCreateTicketEv', { numberOfKeys: 6, lua: CREATE_TICKET_EV });
  redis.defineCommand('ticketdUseTicketEv', { numberOfKeys: 5, lua: USE_TICKET_EV });
  redis.defineCommand('ticketdDeleteTicketEv', { numberOfKeys: 5, lua: DELETE_TICKET_EV });
  redis.defineCommand('ticketdPurgeTickets', { numberOfKeys: 1, lua: PURGE_TICKETS });
  redis.defineCommand('ticketdPutTenant', { numberOfKeys: 2, lua: PUT_TENANT });
  redis.defineCommand('ticketdCreateTenant', { numberOfKeys: 2, lua: CREATE_TENANT });
  redis.defineCommand('ticketdListTenants', { numberOfKeys: 1, lua: LIST_TENANTS });
  redis.defineCommand('ticketdReplaceField', { numberOfKeys: 1, lua: REPLACE_FIELD });
  defineProfileScripts(redis);
  defineOzScripts(redis);
  defineOutboxScripts(redis);
  return redis as unknown as ScriptedRedis;
}
