import type { Store } from './types.js';

/**
 * Picks the backend a store URL names (docs/admin.md): `sqlite:PATH`, `memory:`, ...
 * Only the chosen backend's module (and its driver) is loaded: a server on
 * SQLite never loads `pg` or `ioredis`, which shortens the time to its first answer.
 */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const { SqliteStore } = await import('./sqlite/index.js');
    return new SqliteStore(url.slice('sqlite:'.length) || './data/ticketd.db');
  }
  if (url.startsWith('memory:')) {
    // SQLite in memory: the same code and group commit as a file, lost when the process ends.
    const { SqliteStore } = await import('./sqlite/index.js');
    return new SqliteStore(':memory:');
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { PostgresStore } = await import('./postgres/index.js');
    return new PostgresStore(url);
  }
  if (/^rediss?(-cluster)?:/.test(url)) {
    const { RedisStore } = await import('./redis/index.js');
    return new RedisStore(url);
  }
  throw new Error(
    `store ${redactUrl(url)} is not supported by this build (supported: sqlite:, memory:, postgres://, redis://, redis-cluster://)`,
  );
}

/**
 * A store URL as it may appear in logs and errors: without the password of
 * its user part, nor the value of any query parameter that may hold a secret
 * (`password`, `sslpassword`, `token`, `secret`, `key`...). Works on what is
 * not a valid URL too (a mistyped scheme).
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([^?#]*?\/\/[^/?#@]*?):[^/?#]*@/, '$1:***@')
    .replace(/([?&;][^=&;#]*(?:pass|pwd|secret|token|key|auth|cred)[^=&;#]*=)[^&;#]*/gi, '$1***');
}
