import type { Keys } from './keys.js';

/**
 * Versioned schema of the Redis store. Append new versions; never edit a
 * released one. Each version is one Lua body run inside a script that first
 * checks the version key and then records the new version, so applying it is
 * one atomic step: concurrent starts apply each version once, and running
 * migrate() again does nothing.
 *
 * KEYS[1] is the schema key; ARGV[1] is the store's key prefix, for bodies
 * that need to reach other keys (through indexes, never KEYS or SCAN).
 *
 * A version that adds an index over records that no index reaches yet has a
 * `backfill`: before its body runs, on a store that is at a lower version
 * other than 0 (a store at 0 was never migrated and holds nothing), migrate()
 * walks the keys `match` names with SCAN, in batches, and runs the backfill
 * script on each batch (KEYS: the batch; ARGV: `argv`). A backfill is
 * idempotent and reads each record inside its script, so concurrent starts
 * and concurrent requests of this version's code are safe. SCAN runs here
 * only, once per upgrade, never on a request path.
 */
export interface Migration {
  version: number;
  lua: string;
  backfill?: { match: (keys: Keys) => string; argv: (keys: Keys) => string[]; lua: string };
}

export const migrations: readonly Migration[] = [
  {
    // The layout in keys.ts. Nothing exists to convert: the version is recorded.
    version: 1,
    lua: '',
  },
  {
    // `forever:<tenant>` SETs: the tickets that never expire, for deleteTenant.
    // (The profile surface's keys are new families: nothing to convert.)
    // Instances of an older version still running after this backfill do not
    // index the never-expiring tickets they create: upgrade them all.
    version: 2,
    lua: '',
    backfill: {
      match: (keys) => keys.ticketPattern(),
      argv: (keys) => [keys.ticketPrefix, keys.foreverPrefix],
      lua: `
local ticket_prefix, forever_prefix = ARGV[1], ARGV[2]
local n = 0
for _, key in ipairs(KEYS) do
  local t = redis.call('HMGET', key, 'tenant', 'createdAt', 'expiresAt')
  if t[1] and t[2] and not t[3] then
    n = n + redis.call('SADD', forever_prefix .. t[1], string.sub(key, #ticket_prefix + 1))
  end
end
return n
`,
    },
  },
  {
    // The Oz surface (OzKeys in keys.ts): new key families, nothing to convert.
    version: 3,
    lua: '',
  },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;

/** Wraps one migration body: runs it only when the schema is below its version. Returns 1 if it ran. */
export function migrationScript(version: number, body: string): string {
  return `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= ${version} then return 0 end
${body}
redis.call('SET', KEYS[1], '${version}')
return 1
`;
}
