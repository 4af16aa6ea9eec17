import type { Cluster, Redis } from 'ioredis';
import { raising } from './raising.js';

/**
 * The Lua scripts of the profile surface (parts/profiles.ts, sessions.ts, access-tokens.ts, meta.ts), under the same
 * rules as scripts.ts: one script per store operation that touches more than
 * one key or must read and write in one step, so each is one atomic step for
 * every ticketd process sharing the server; every check that can fail comes
 * before the first write.
 *
 * Sessions (login tickets and persistent logins, see SessionKeys in keys.ts)
 * share the scripts below; a session is indexed by its *ref*
 * `<hex id>:<byte length of tenant>:<tenant><profile id>` in three places:
 * the kind's expiry ZSET (score expiresAt), its profile's SET and its
 * tenant's SET. A ref names the session's hash and both SETs, so whichever
 * path drops a session (delete, cascade, purge) drops it from all three in
 * the same step, even when Redis has expired the hash natively. The hash is
 * then gone but its ref stays indexed, as an expired session not yet purged,
 * until the purge (or a cascade) removes it. The score of a ref is always the
 * `expiresAt` stored in its hash: a slide (touch, refresh) rewrites both.
 *
 * Liveness is decided by the caller's `now` (ARGV) against the stored
 * `expiresAt`; PEXPIRE only frees memory.
 */

/** Refs, and dropping every session a SET of refs names. */
const SESSIONS = `
local function make_ref(id, tenant, profile)
  return id .. ':' .. #tenant .. ':' .. tenant .. profile
end
local function parse_ref(ref)
  local a = string.find(ref, ':', 1, true)
  local b = string.find(ref, ':', a + 1, true)
  local n = tonumber(string.sub(ref, a + 1, b - 1))
  return string.sub(ref, 1, a - 1), string.sub(ref, b + 1, b + n), string.sub(ref, b + n + 1)
end
-- Removes one session from its hash and its three indexes.
local function drop_session(ref, expiry_key, hash_prefix, by_profile_prefix, by_tenant_prefix)
  local id, tenant, profile = parse_ref(ref)
  redis.call('DEL', hash_prefix .. id)
  redis.call('ZREM', expiry_key, ref)
  redis.call('SREM', by_profile_prefix .. profile, ref)
  redis.call('SREM', by_tenant_prefix .. tenant, ref)
end
-- Ends every session a profile's or a tenant's SET names, expired ones included; returns how many.
local function end_all(set_key, expiry_key, hash_prefix, by_profile_prefix, by_tenant_prefix)
  local refs = redis.call('SMEMBERS', set_key)
  for _, ref in ipairs(refs) do
    drop_session(ref, expiry_key, hash_prefix, by_profile_prefix, by_tenant_prefix)
  end
  redis.call('DEL', set_key)
  return #refs
end
`;

/**
 * KEYS: session hash, kind's expiry ZSET, profile's SET, tenant's SET.
 * ARGV: idHex, tenant, profileId, expiresAt, ttlMs, then field, value, ... (the kind's own fields).
 */
export const CREATE_SESSION = `${SESSIONS}
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('ERR ticketd: session id already exists')
end
local ref = make_ref(ARGV[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[1], 'tenant', ARGV[2], 'profileId', ARGV[3], 'expiresAt', ARGV[4], unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[4], ref)
redis.call('SADD', KEYS[3], ref)
redis.call('SADD', KEYS[4], ref)
return 1
`;

/**
 * Sliding expiry (touchLoginTicket, refreshPersistentLogin): when the session
 * is live at `now`, sets expiresAt and the given fields, renews the native
 * expiry and moves the ref's score. O(log n).
 * KEYS: session hash, kind's expiry ZSET. ARGV: idHex, now, expiresAt, ttlMs, then field, value, ...
 * Returns nil (no live session) or the hash as {field, value, ...}.
 */
export const SLIDE_SESSION = `${SESSIONS}
local s = redis.call('HMGET', KEYS[1], 'tenant', 'profileId', 'expiresAt')
if not s[1] or not s[3] or tonumber(s[3]) <= tonumber(ARGV[2]) then return nil end
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[3], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], make_ref(ARGV[1], s[1], s[2]))
return redis.call('HGETALL', KEYS[1])
`;

/**
 * KEYS: session hash, kind's expiry ZSET. ARGV: idHex, hashPrefix, byProfilePrefix, byTenantPrefix.
 * Returns 1 when the session was stored (live or expired), else 0.
 */
const DELETE_SESSION_RUN = `${SESSIONS}
local function run()
local s = redis.call('HMGET', KEYS[1], 'tenant', 'profileId')
if not s[1] then return 0 end
drop_session(make_ref(ARGV[1], s[1], s[2]), KEYS[2], ARGV[2], ARGV[3], ARGV[4])
return 1
end
`;
export const DELETE_SESSION = `${DELETE_SESSION_RUN}return run()
`;
/** DELETE_SESSION, and KEYS[3] the outbox LIST, ARGV[5] the event entry (raising.ts), appended when it was stored. */
export const DELETE_SESSION_EV = raising(DELETE_SESSION_RUN, 3, 5, 'answer == 1');

/**
 * KEYS: the profile's SET, kind's expiry ZSET. ARGV: hashPrefix, byProfilePrefix, byTenantPrefix.
 * Returns how many sessions it ended (expired but unpurged ones included).
 */
const DELETE_SESSIONS_OF_PROFILE_RUN = `${SESSIONS}
local function run()
return end_all(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
end
`;
export const DELETE_SESSIONS_OF_PROFILE = `${DELETE_SESSIONS_OF_PROFILE_RUN}return run()
`;
/** DELETE_SESSIONS_OF_PROFILE, and KEYS[3] the outbox LIST, ARGV[4] the event entry (raising.ts), always appended. */
export const DELETE_SESSIONS_OF_PROFILE_EV = raising(DELETE_SESSIONS_OF_PROFILE_RUN, 3, 4, 'true');

/**
 * KEYS: kind's expiry ZSET. ARGV: now, limit, hashPrefix, byProfilePrefix, byTenantPrefix.
 * Removes up to \`limit\` sessions with expiresAt <= now, oldest expiry first,
 * through the index: O(limit log n). Returns how many it removed.
 */
export const PURGE_SESSIONS = `${SESSIONS}
local refs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, ref in ipairs(refs) do
  drop_session(ref, KEYS[1], ARGV[3], ARGV[4], ARGV[5])
end
return #refs
`;

/**
 * KEYS: profile, tenant's usernames HASH, tenant's profiles ZSET.
 * ARGV: id, username, then field, value, ... (every stored field).
 * Returns 1 (created) or 0 (the username is taken in the tenant).
 */
export const CREATE_PROFILE = `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('ERR ticketd: profile id already exists')
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
return 1
`;

/** KEYS: tenant's usernames HASH. ARGV: username, profilePrefix. Returns nil or {field, value, ...}. */
export const GET_PROFILE_BY_USERNAME = `
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return nil end
return redis.call('HGETALL', ARGV[2] .. id)
`;

/**
 * KEYS: tenant's profiles ZSET, tenant's usernames HASH. ARGV: profilePrefix, offset, limit.
 * Returns {{field, value, ...}, ...} in username byte order: O(log n + offset + limit).
 */
export const LIST_PROFILES = `
local out = {}
for _, name in ipairs(redis.call('ZRANGE', KEYS[1], '-', '+', 'BYLEX', 'LIMIT', ARGV[2], ARGV[3])) do
  local id = redis.call('HGET', KEYS[2], name)
  if id then out[#out + 1] = redis.call('HGETALL', ARGV[1] .. id) end
end
return out
`;

/**
 * KEYS: profile. ARGV: id, usernamesPrefix, profilesPrefix, now, renames '0'|'1', username,
 * clearsPassword '0'|'1', then field, value, ... to set.
 * Returns nil (no such profile), 0 (the new username is taken) or the profile as {field, value, ...}.
 */
export const UPDATE_PROFILE = `
local cur = redis.call('HMGET', KEYS[1], 'tenant', 'username')
if not cur[1] then return nil end
local tenant, old = cur[1], cur[2]
if ARGV[5] == '1' and ARGV[6] ~= old then
  local usernames, profiles = ARGV[2] .. tenant, ARGV[3] .. tenant
  if redis.call('HEXISTS', usernames, ARGV[6]) == 1 then return 0 end
  if redis.call('HGET', usernames, old) == ARGV[1] then
    redis.call('HDEL', usernames, old)
    redis.call('ZREM', profiles, old)
  end
  redis.call('HSET', usernames, ARGV[6], ARGV[1])
  redis.call('ZADD', profiles, 0, ARGV[6])
  redis.call('HSET', KEYS[1], 'username', ARGV[6])
end
if ARGV[7] == '1' then redis.call('HDEL', KEYS[1], 'passwordHash') end
redis.call('HSET', KEYS[1], 'lastModified', ARGV[4], unpack(ARGV, 8))
return redis.call('HGETALL', KEYS[1])
`;

/**
 * KEYS: profile, its login-ticket SET, its persistent-login SET, login-ticket expiry ZSET,
 *       persistent-login expiry ZSET.
 * ARGV: id, usernamesPrefix, profilesPrefix, then for login tickets and for persistent logins each:
 *       hashPrefix, byProfilePrefix, byTenantPrefix.
 * Ends the profile's sessions (even when the profile is gone already: nothing
 * may outlive it), then removes it. Returns 1 when there was a profile.
 */
export const DELETE_PROFILE = `${SESSIONS}
end_all(KEYS[2], KEYS[4], ARGV[4], ARGV[5], ARGV[6])
end_all(KEYS[3], KEYS[5], ARGV[7], ARGV[8], ARGV[9])
local cur = redis.call('HMGET', KEYS[1], 'tenant', 'username')
if not cur[1] then return 0 end
local usernames = ARGV[2] .. cur[1]
if redis.call('HGET', usernames, cur[2]) == ARGV[1] then
  redis.call('HDEL', usernames, cur[2])
  redis.call('ZREM', ARGV[3] .. cur[1], cur[2])
end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * countFailure (parts/profiles.ts) in Lua. KEYS: profile. ARGV: now, lockAfter, now + lockMs.
 * Returns nil (no such profile) or {failedLoginAttempts, lockedUntil|nil}.
 */
export const RECORD_LOGIN_FAILURE = `
local p = redis.call('HMGET', KEYS[1], 'tenant', 'failedLoginAttempts', 'lockedUntil')
if not p[1] then return nil end
local count = tonumber(p[2] or '0')
local locked = p[3]
if locked and tonumber(locked) <= tonumber(ARGV[1]) then
  count = 0
  locked = false
end
count = count + 1
local lock_after = tonumber(ARGV[2])
if not locked and lock_after > 0 and count >= lock_after then locked = ARGV[3] end
redis.call('HSET', KEYS[1], 'failedLoginAttempts', string.format('%d', count), 'lastFailedLogin', ARGV[1])
if locked then
  redis.call('HSET', KEYS[1], 'lockedUntil', locked)
else
  redis.call('HDEL', KEYS[1], 'lockedUntil')
end
return { count, locked }
`;

/**
 * The same for a username with no profile (parts/lockouts.ts). KEYS: the
 * lockout hash. ARGV: now, lockAfter, now + lockMs, expiresAt, graceMs. An
 * entry past its expiry counts from 0; the key expires natively at the later
 * of expiresAt and the lock (relative, plus the grace).
 * Returns {failedLoginAttempts, lockedUntil|nil}.
 */
export const RECORD_LOCKOUT = `
local now = tonumber(ARGV[1])
local p = redis.call('HMGET', KEYS[1], 'failed', 'lockedUntil', 'expiresAt')
local count = tonumber(p[1] or '0')
local locked = p[2]
if (p[3] and tonumber(p[3]) <= now) or (locked and tonumber(locked) <= now) then
  count = 0
  locked = false
end
count = count + 1
local lock_after = tonumber(ARGV[2])
if not locked and lock_after > 0 and count >= lock_after then locked = ARGV[3] end
local expires = tonumber(ARGV[4])
if locked and tonumber(locked) > expires then expires = tonumber(locked) end
redis.call('HSET', KEYS[1], 'failed', string.format('%d', count), 'expiresAt', string.format('%d', expires))
if locked then
  redis.call('HSET', KEYS[1], 'lockedUntil', locked)
else
  redis.call('HDEL', KEYS[1], 'lockedUntil')
end
redis.call('PEXPIRE', KEYS[1], math.max(1, expires - now + tonumber(ARGV[5])))
return { count, locked }
`;

/** KEYS: profile. Clears the count and the lock of an existing profile (never creates one). */
export const RESET_LOGIN_FAILURES = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'failedLoginAttempts', '0')
redis.call('HDEL', KEYS[1], 'lockedUntil')
return 1
`;

/**
 * KEYS: tenant, tenants SET, tenant's expiry ZSET, expiry-tenants ZSET, tenant's forever SET,
 *       tenant's usernames HASH, tenant's profiles ZSET, tenant's login-ticket SET,
 *       tenant's persistent-login SET, login-ticket expiry ZSET, persistent-login expiry ZSET.
 * ARGV: name, ticketPrefix, profilePrefix, then for login tickets and for persistent logins each:
 *       hashPrefix, byProfilePrefix, byTenantPrefix.
 * Removes the tenant with its opaque tickets (through its expiry ZSET and
 * forever SET), its profiles with their sessions, and the sessions its SETs
 * name. One step, O(everything the tenant holds): an administrative
 * operation, never on a request path. Returns 1 when the tenant existed.
 */
export const DELETE_TENANT = `${SESSIONS}
local name, ticket_prefix, profile_prefix = ARGV[1], ARGV[2], ARGV[3]
local existed = redis.call('EXISTS', KEYS[1])
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  redis.call('DEL', ticket_prefix .. id)
end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  redis.call('DEL', ticket_prefix .. id)
end
redis.call('ZREM', KEYS[4], name)
for _, id in ipairs(redis.call('HVALS', KEYS[6])) do
  end_all(ARGV[5] .. id, KEYS[10], ARGV[4], ARGV[5], ARGV[6])
  end_all(ARGV[8] .. id, KEYS[11], ARGV[7], ARGV[8], ARGV[9])
  redis.call('DEL', profile_prefix .. id)
end
end_all(KEYS[8], KEYS[10], ARGV[4], ARGV[5], ARGV[6])
end_all(KEYS[9], KEYS[11], ARGV[7], ARGV[8], ARGV[9])
redis.call('DEL', KEYS[1], KEYS[3], KEYS[5], KEYS[6], KEYS[7])
redis.call('SREM', KEYS[2], name)
return existed
`;

/** KEYS: meta HASH. ARGV: key, value. Returns the value the key holds afterwards. */
export const PUT_META_IF_ABSENT = `
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])
`;

/**
 * KEYS: rate:<key>. ARGV: now, now + window, grace. A window that ended at
 * or before now starts again. Returns { count, resetAt }.
 */
export const RATE_LIMIT_HIT = `
local now = tonumber(ARGV[1])
local p = redis.call('HMGET', KEYS[1], 'count', 'resetAt')
local count = tonumber(p[1] or '0')
local reset = p[2]
if not reset or tonumber(reset) <= now then
  count = 0
  reset = ARGV[2]
end
count = count + 1
redis.call('HSET', KEYS[1], 'count', string.format('%d', count), 'resetAt', reset)
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(reset) - now + tonumber(ARGV[3])))
return { count, reset }
`;

type Arg = string | number | Buffer;

/** The profile scripts as commands of the client (see defineScripts in scripts.ts). */
export interface ProfileScripts {
  ticketdCreateSession(...args: Arg[]): Promise<number>;
  ticketdSlideSessionBuffer(...args: Arg[]): Promise<Buffer[] | null>;
  ticketdDeleteSession(...args: Arg[]): Promise<number>;
  ticketdDeleteSessionEv(...args: Arg[]): Promise<number>;
  ticketdDeleteSessionsOfProfileEv(...args: Arg[]): Promise<number>;
  ticketdDeleteSessionsOfProfile(...args: Arg[]): Promise<number>;
  ticketdPurgeSessions(...args: Arg[]): Promise<number>;
  ticketdCreateProfile(...args: Arg[]): Promise<number>;
  ticketdGetProfileByUsername(...args: Arg[]): Promise<string[] | null>;
  ticketdListProfiles(...args: Arg[]): Promise<string[][]>;
  ticketdUpdateProfile(...args: Arg[]): Promise<string[] | 0 | null>;
  ticketdDeleteProfile(...args: Arg[]): Promise<number>;
  ticketdRecordLoginFailure(...args: Arg[]): Promise<[number, string | null] | null>;
  ticketdRecordLockout(...args: Arg[]): Promise<[number, string | null]>;
  ticketdResetLoginFailures(...args: Arg[]): Promise<number>;
  ticketdPutMetaIfAbsent(...args: Arg[]): Promise<string>;
  ticketdRateLimitHit(...args: Arg[]): Promise<[number, string]>;
}

export function defineProfileScripts(redis: Redis | Cluster): void {
  redis.defineCommand('ticketdCreateSession', { numberOfKeys: 4, lua: CREATE_SESSION });
  redis.defineCommand('ticketdSlideSession', { numberOfKeys: 2, lua: SLIDE_SESSION });
  redis.defineCommand('ticketdDeleteSession', { numberOfKeys: 2, lua: DELETE_SESSION });
  redis.defineCommand('ticketdDeleteSessionEv', { numberOfKeys: 3, lua: DELETE_SESSION_EV });
  redis.defineCommand('ticketdDeleteSessionsOfProfile', { numberOfKeys: 2, lua: DELETE_SESSIONS_OF_PROFILE });
  redis.defineCommand('ticketdDeleteSessionsOfProfileEv', {
    numberOfKeys: 3,
    lua: DELETE_SESSIONS_OF_PROFILE_EV,
  });
  redis.defineCommand('ticketdPurgeSessions', { numberOfKeys: 1, lua: PURGE_SESSIONS });
  redis.defineCommand('ticketdCreateProfile', { numberOfKeys: 3, lua: CREATE_PROFILE });
  redis.defineCommand('ticketdGetProfileByUsername', { numberOfKeys: 1, lua: GET_PROFILE_BY_USERNAME });
  redis.defineCommand('ticketdListProfiles', { numberOfKeys: 2, lua: LIST_PROFILES });
  redis.defineCommand('ticketdUpdateProfile', { numberOfKeys: 1, lua: UPDATE_PROFILE });
  redis.defineCommand('ticketdDeleteProfile', { numberOfKeys: 5, lua: DELETE_PROFILE });
  redis.defineCommand('ticketdRecordLoginFailure', { numberOfKeys: 1, lua: RECORD_LOGIN_FAILURE });
  redis.defineCommand('ticketdRecordLockout', { numberOfKeys: 1, lua: RECORD_LOCKOUT });
  redis.defineCommand('ticketdResetLoginFailures', { numberOfKeys: 1, lua: RESET_LOGIN_FAILURES });
  redis.defineCommand('ticketdPutMetaIfAbsent', { numberOfKeys: 1, lua: PUT_META_IF_ABSENT });
  redis.defineCommand('ticketdRateLimitHit', { numberOfKeys: 1, lua: RATE_LIMIT_HIT });
}
