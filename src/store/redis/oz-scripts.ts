import type { Cluster, Redis } from 'ioredis';
import { appHash, grantHash } from './hash.js';
import { DELETE_TENANT } from './profile-scripts.js';
import { raising } from './raising.js';

/**
 * The Lua scripts of the Oz surface (parts/apps.ts, grants.ts, nonces.ts), under the rules of
 * scripts.ts: one script per store operation that touches more than one key
 * or must read and write in one step, so each is one atomic step for every
 * ticketd process sharing the server; every check that can fail comes
 * before the first write.
 *
 * A grant is stored in its hash (which Redis may expire natively), its
 * entry in the owners HASH and four ZSETs: the expiry index, the index of
 * all grants, its app's and its user's (OzKeys in keys.ts). The owners entry
 * names the app and the user, so dropping a grant drops it from all of them
 * in the same step, even when Redis has expired the hash: it is then an
 * expired grant not yet purged, and it stays indexed until the purge (or a
 * revoke, or a cascade) removes it. "Stored" means "has an owners entry".
 *
 * Every script that drops grants takes the grant family first:
 * KEYS[1] owners HASH, KEYS[2] expiry ZSET, KEYS[3] all-grants ZSET;
 * ARGV[1] grant hash prefix, ARGV[2] app-grants prefix, ARGV[3] user-grants prefix.
 *
 * Liveness is decided by the caller's `now` (ARGV) against the stored `exp`
 * or `expiresAt`; PEXPIRE only frees memory.
 */

/** Grant and app fields in the order HMGET reads them (their specs in hash.ts). */
const GRANT_FIELDS = grantHash.names;
const APP_FIELDS = appHash.names;

const lua = (fields: readonly string[]) => fields.map((f) => `'${f}'`).join(', ');

/** Dropping grants; `g` is the grant family (see above) as a table. */
const GRANTS = `
local function grant_family(owners, expiry, all, grant_prefix, app_prefix, user_prefix)
  return { owners = owners, expiry = expiry, all = all, grant = grant_prefix, app = app_prefix, user = user_prefix }
end
-- Removes one grant from its hash, the owners HASH and its four ZSETs; 1 when it was stored, else 0.
local function drop_grant(g, id)
  local o = redis.call('HGET', g.owners, id)
  if not o then return 0 end
  local c = string.find(o, ':', 1, true)
  local n = tonumber(string.sub(o, 1, c - 1))
  redis.call('DEL', g.grant .. id)
  redis.call('HDEL', g.owners, id)
  redis.call('ZREM', g.expiry, id)
  redis.call('ZREM', g.all, id)
  redis.call('ZREM', g.app .. string.sub(o, c + 1, c + n), id)
  redis.call('ZREM', g.user .. string.sub(o, c + n + 1), id)
  return 1
end
-- Drops every grant an app's or a user's ZSET names, expired ones included; returns how many.
local function drop_grants_in(g, index)
  local n = 0
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    n = n + drop_grant(g, id)
  end
  redis.call('DEL', index)
  return n
end
`;

/** The grant family from the first three KEYS and ARGV. */
const FAMILY = `${GRANTS}
local g = grant_family(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])
`;

/**
 * Drops an app's hash and index entries with its grants. KEYS of the family;
 * `apps` the all-apps ZSET, `tenant_apps_prefix` + tenant its tenant's ZSET.
 * Returns 1 when the app was stored.
 */
const DROP_APP = `
local function drop_app(g, app_key, apps, tenant_apps_prefix, id)
  drop_grants_in(g, g.app .. id)
  local tenant = redis.call('HGET', app_key, 'tenant')
  if not tenant then return 0 end
  redis.call('DEL', app_key)
  redis.call('ZREM', apps, id)
  redis.call('ZREM', tenant_apps_prefix .. tenant, id)
  return 1
end
`;

/**
 * KEYS: app hash, all-apps ZSET, tenant's apps ZSET. ARGV: id, then field, value, ... (every field).
 * Returns 1 (created) or 0 (the id is taken, in any tenant).
 */
export const CREATE_APP = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
return 1
`;

/**
 * KEYS: an apps ZSET (all, or one tenant's). ARGV: appPrefix.
 * Returns the apps in id (byte) order, each as its APP_FIELDS.
 */
export const LIST_APPS = `
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local a = redis.call('HMGET', ARGV[1] .. id, ${lua(APP_FIELDS)})
  if a[1] then out[#out + 1] = a end
end
return out
`;

/** KEYS: app hash. ARGV: key. Returns nil (no such app) or the app as its APP_FIELDS. */
const SET_APP_KEY_RUN = `
local function run()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
redis.call('HSET', KEYS[1], 'key', ARGV[1])
return redis.call('HMGET', KEYS[1], ${lua(APP_FIELDS)})
end
`;
export const SET_APP_KEY = `${SET_APP_KEY_RUN}return run()
`;
/** SET_APP_KEY, and KEYS[2] the outbox LIST, ARGV[2] the event entry (raising.ts), appended when the app was there. */
export const SET_APP_KEY_EV = raising(SET_APP_KEY_RUN, 2, 2, 'answer');

/**
 * KEYS: the grant family, app hash, all-apps ZSET. ARGV: the grant family, id, tenantAppsPrefix.
 * Drops the app's grants (expired ones too; also when the app itself is
 * gone), then the app. Returns 1 when the app was stored.
 */
export const DELETE_APP = `${FAMILY}${DROP_APP}
return drop_app(g, KEYS[4], KEYS[5], ARGV[5], ARGV[4])
`;

/**
 * KEYS: the grant family, grant hash, app's grants ZSET, user's grants ZSET.
 * ARGV: the grant family, id, owner (`<byte length of app>:<app><user>`), exp, createdOn, ttlMs,
 *       then field, value, ... (every stored field) from ARGV[first].
 */
const createGrant = (first: number) => `${FAMILY}
local function run()
if redis.call('HEXISTS', g.owners, ARGV[4]) == 1 or redis.call('EXISTS', KEYS[4]) == 1 then
  return redis.error_reply('ERR ticketd: grant id already exists')
end
redis.call('HSET', KEYS[4], unpack(ARGV, ${first}))
redis.call('PEXPIRE', KEYS[4], ARGV[8])
redis.call('HSET', g.owners, ARGV[4], ARGV[5])
redis.call('ZADD', g.expiry, ARGV[6], ARGV[4])
redis.call('ZADD', g.all, ARGV[7], ARGV[4])
redis.call('ZADD', KEYS[5], ARGV[7], ARGV[4])
redis.call('ZADD', KEYS[6], ARGV[7], ARGV[4])
return 1
end
`;
export const CREATE_GRANT = `${createGrant(9)}return run()
`;
/** CREATE_GRANT, and KEYS[7] the outbox LIST, ARGV[9] the event entry (the fields from ARGV[10]). */
export const CREATE_GRANT_EV = raising(createGrant(10), 7, 9, 'answer == 1');

/**
 * KEYS: a grants ZSET by createdOn (all, an app's or a user's).
 * ARGV: grantPrefix, now, limit, filtersApp '0'|'1', app.
 * Returns up to \`limit\` live grants (exp > now; of the app when filtered),
 * newest first (createdOn, then id, descending), each as its GRANT_FIELDS.
 * Walks the ZSET from its newest end in steps until it has \`limit\`: dead
 * members it meets (expired, not yet purged) cost a look each.
 */
export const LIST_GRANTS = `
local prefix, now, limit, app = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1' and ARGV[5]
local step = math.max(limit, 16)
local out, start = {}, 0
while #out < limit do
  local ids = redis.call('ZREVRANGE', KEYS[1], start, start + step - 1)
  for _, id in ipairs(ids) do
    local r = redis.call('HMGET', prefix .. id, ${lua(GRANT_FIELDS)})
    if r[1] and tonumber(r[6]) > now and (not app or r[3] == app) then
      out[#out + 1] = r
      if #out >= limit then break end
    end
  end
  if #ids < step then break end
  start = start + step
end
return out
`;

/** KEYS, ARGV: the grant family, then ARGV id. Returns 1 when the grant was stored. */
const DELETE_GRANT_RUN = `${FAMILY}
local function run()
return drop_grant(g, ARGV[4])
end
`;
export const DELETE_GRANT = `${DELETE_GRANT_RUN}return run()
`;
/** DELETE_GRANT, and KEYS[4] the outbox LIST, ARGV[5] the event entry, appended when the grant was stored. */
export const DELETE_GRANT_EV = raising(DELETE_GRANT_RUN, 4, 5, 'answer == 1');

/** KEYS: the grant family, the user's grants ZSET. ARGV: the grant family. Returns how many it dropped. */
export const DELETE_GRANTS_OF_USER = `${FAMILY}
return drop_grants_in(g, KEYS[4])
`;

/**
 * KEYS, ARGV: the grant family, then ARGV now, limit. Drops up to \`limit\`
 * grants with exp <= now, oldest exp first, through the expiry index:
 * O(limit log n). Returns how many.
 */
export const PURGE_GRANTS = `${FAMILY}
local ids = redis.call('ZRANGEBYSCORE', g.expiry, '-inf', ARGV[4], 'LIMIT', 0, tonumber(ARGV[5]))
local n = 0
for _, id in ipairs(ids) do
  n = n + drop_grant(g, id)
  redis.call('ZREM', g.expiry, id)
end
return n
`;

/**
 * KEYS: the pair's nonce key, nonce expiry ZSET. ARGV: the pair's digest, now, expiresAt, ttlMs.
 * Accepts the pair unless it is stored with an expiresAt after now; an
 * accepted pair is stored with this expiresAt (and a native expiry of
 * ttlMs) and indexed for the purge. A refused one changes nothing.
 * Returns 1 (accepted) or 0.
 */
export const USE_NONCE = `
local stored = redis.call('GET', KEYS[1])
if stored and tonumber(stored) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

/**
 * KEYS: nonce expiry ZSET. ARGV: noncePrefix, now, limit.
 * Removes up to \`limit\` nonces with expiresAt <= now, oldest first, through
 * the index: O(limit log n). A member's score is always the expiresAt its
 * key holds (USE_NONCE writes both); the key may already be gone natively.
 * Returns how many.
 */
export const PURGE_NONCES = `
local digests = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, d in ipairs(digests) do
  local key = ARGV[1] .. d
  local stored = redis.call('GET', key)
  if stored and tonumber(stored) <= tonumber(ARGV[2]) then redis.call('DEL', key) end
  redis.call('ZREM', KEYS[1], d)
end
return #digests
`;

/**
 * deleteTenant with the Oz surface: DELETE_TENANT of profile-scripts.ts
 * (KEYS[1..11], ARGV[1..9] as it documents), preceded by dropping the
 * tenant's apps with their grants.
 * tenant's apps with their grants, and its webhook endpoints.
 * Further KEYS: [12..14] the grant family, [15] all-apps ZSET, [16] the tenant's apps ZSET,
 * [17] the webhook endpoints HASH.
 * Further ARGV: [10..12] the grant family, [13] appPrefix, [14] tenantAppsPrefix.
 */
export const DELETE_TENANT_WITH_OZ = `${GRANTS}${DROP_APP}
do
  local g = grant_family(KEYS[12], KEYS[13], KEYS[14], ARGV[10], ARGV[11], ARGV[12])
  for _, id in ipairs(redis.call('ZRANGE', KEYS[16], 0, -1)) do
    drop_app(g, ARGV[13] .. id, KEYS[15], ARGV[14], id)
  end
  redis.call('DEL', KEYS[16])
  local hooks = redis.call('HGETALL', KEYS[17])
  for i = 1, #hooks, 2 do
    if cjson.decode(hooks[i + 1]).tenant == ARGV[1] then redis.call('HDEL', KEYS[17], hooks[i]) end
  end
end
${DELETE_TENANT}`;

type Arg = string | number | Buffer;

/** The Oz scripts as commands of the client (see defineScripts in scripts.ts). */
export interface OzScripts {
  ticketdCreateApp(...args: Arg[]): Promise<number>;
  ticketdListApps(...args: Arg[]): Promise<(string | null)[][]>;
  ticketdSetAppKey(...args: Arg[]): Promise<(string | null)[] | null>;
  ticketdSetAppKeyEv(...args: Arg[]): Promise<(string | null)[] | null>;
  ticketdCreateGrantEv(...args: Arg[]): Promise<number>;
  ticketdDeleteGrantEv(...args: Arg[]): Promise<number>;
  ticketdDeleteApp(...args: Arg[]): Promise<number>;
  ticketdCreateGrant(...args: Arg[]): Promise<number>;
  ticketdListGrants(...args: Arg[]): Promise<(string | null)[][]>;
  ticketdDeleteGrant(...args: Arg[]): Promise<number>;
  ticketdDeleteGrantsOfUser(...args: Arg[]): Promise<number>;
  ticketdPurgeGrants(...args: Arg[]): Promise<number>;
  ticketdUseNonce(...args: Arg[]): Promise<number>;
  ticketdPurgeNonces(...args: Arg[]): Promise<number>;
  ticketdDeleteTenantWithOz(...args: Arg[]): Promise<number>;
}

export function defineOzScripts(redis: Redis | Cluster): void {
  redis.defineCommand('ticketdCreateApp', { numberOfKeys: 3, lua: CREATE_APP });
  redis.defineCommand('ticketdListApps', { numberOfKeys: 1, lua: LIST_APPS });
  redis.defineCommand('ticketdSetAppKey', { numberOfKeys: 1, lua: SET_APP_KEY });
  redis.defineCommand('ticketdSetAppKeyEv', { numberOfKeys: 2, lua: SET_APP_KEY_EV });
  redis.defineCommand('ticketdCreateGrantEv', { numberOfKeys: 7, lua: CREATE_GRANT_EV });
  redis.defineCommand('ticketdDeleteGrantEv', { numberOfKeys: 4, lua: DELETE_GRANT_EV });
  redis.defineCommand('ticketdDeleteApp', { numberOfKeys: 5, lua: DELETE_APP });
  redis.defineCommand('ticketdCreateGrant', { numberOfKeys: 6, lua: CREATE_GRANT });
  redis.defineCommand('ticketdListGrants', { numberOfKeys: 1, lua: LIST_GRANTS });
  redis.defineCommand('ticketdDeleteGrant', { numberOfKeys: 3, lua: DELETE_GRANT });
  redis.defineCommand('ticketdDeleteGrantsOfUser', { numberOfKeys: 4, lua: DELETE_GRANTS_OF_USER });
  redis.defineCommand('ticketdPurgeGrants', { numberOfKeys: 3, lua: PURGE_GRANTS });
  redis.defineCommand('ticketdUseNonce', { numberOfKeys: 2, lua: USE_NONCE });
  redis.defineCommand('ticketdPurgeNonces', { numberOfKeys: 1, lua: PURGE_NONCES });
  redis.defineCommand('ticketdDeleteTenantWithOz', { numberOfKeys: 17, lua: DELETE_TENANT_WITH_OZ });
}
