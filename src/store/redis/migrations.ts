/**
 * Versioned schema of the Redis store. Append new versions; never edit a
 * released one. Each version is one Lua body run inside a script that first
 * checks the version key and then records the new version, so applying it is
 * one atomic step: concurrent starts apply each version once, and running
 * migrate() again does nothing.
 *
 * KEYS[1] is the schema key; ARGV[1] is the store's key prefix, for bodies
 * that need to reach other keys (through indexes, never KEYS or SCAN).
 */
export const migrations: readonly { version: number; lua: string }[] = [
  {
    // The layout in keys.ts. Nothing exists to convert: the version is recorded.
    version: 1,
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
