/**
 * The shared PostgreSQL and Redis test servers (TICKETD_TEST_POSTGRES_URL,
 * TICKETD_TEST_REDIS_URL) and a fresh, isolated store on each: a new schema
 * in PostgreSQL, a new key prefix in Redis. Both servers are shared with
 * other test runs: cleanup drops only the test's own schema or deletes only
 * its own keys (SCAN MATCH, never FLUSHALL/FLUSHDB).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, it } from 'vitest';

export type ServerBackend = 'postgres' | 'redis';

export const BACKEND_ENV: Record<ServerBackend, string> = {
  postgres: 'TICKETD_TEST_POSTGRES_URL',
  redis: 'TICKETD_TEST_REDIS_URL',
};

/**
 * The test server's URL for a backend, or undefined when it is not
 * configured. Then it declares what the suite `title` does about it: without
 * CI it prints a visible SKIPPED message and registers a skipped suite; under
 * CI (`CI=true`) it registers a failing test, since CI must test every backend.
 */
export function serverUrl(backend: ServerBackend, title: string): string | undefined {
  const name = BACKEND_ENV[backend];
  const url = process.env[name];
  if (url) return url;
  const why = `${name} is not set: no ${backend} server to test against`;
  if (process.env.CI === 'true') {
    describe(`${title} on ${backend}`, () => {
      it(`needs a ${backend} server under CI`, () => {
        throw new Error(`${why} (required when CI=true)`);
      });
    });
  } else {
    console.warn(`[${title}] SKIPPED on ${backend}: ${why}`);
    describe.skip(`${title} on ${backend}: SKIPPED, ${why}`, () => {
      it('skipped', () => {});
    });
  }
  return undefined;
}

/** A store URL of its own on a shared server, and how to remove everything it wrote. */
export interface FreshStore {
  /** The store URL ticketd is given (`postgres://...?schema=...` or `redis://...?prefix=...`). */
  url: string;
  /** Drops the schema / deletes the prefix's keys. Call after every user of `url` is closed. */
  cleanup(): Promise<void>;
  /** A one-line account of what the backend holds for this store, for failure messages. */
  inspect?(): Promise<string>;
}

/** A fresh schema (created by ticketd's migrate) in the database at `base`; cleanup drops it. */
export function freshPostgres(base: string, params: Record<string, string> = {}): FreshStore {
  const schema = `ticketd_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return {
    url: url.toString(),
    cleanup: async () => {
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
    inspect: async () => {
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        const res = await admin.query<{ tables: string[] | null }>(
          'SELECT array_agg(table_name::text ORDER BY table_name) AS tables FROM information_schema.tables WHERE table_schema = $1',
          [schema],
        );
        const tables = res.rows[0]?.tables;
        return tables ? `schema ${schema} holds tables ${tables.join(', ')}` : `schema ${schema} has no tables (gone?)`;
      } finally {
        await admin.end();
      }
    },
  };
}

/** A fresh random key prefix on the Redis at `base`; cleanup deletes its keys with SCAN MATCH. */
export function freshRedis(base: string, params: Record<string, string> = {}): FreshStore {
  const prefix = `ticketd-test:${randomBytes(8).toString('hex')}:`;
  const url = new URL(base);
  url.searchParams.set('prefix', prefix);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return {
    url: url.toString(),
    cleanup: async () => {
      const admin = new Redis(base, { maxRetriesPerRequest: 1 });
      admin.on('error', () => {});
      try {
        await deleteRedisPrefix(admin, prefix);
      } finally {
        await admin.quit();
      }
    },
    inspect: async () => {
      const admin = new Redis(base, { maxRetriesPerRequest: 1 });
      admin.on('error', () => {});
      try {
        let keys = 0;
        let cursor = '0';
        do {
          const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          keys += batch.length;
        } while (cursor !== '0');
        return `prefix ${prefix} holds ${keys} keys`;
      } finally {
        await admin.quit();
      }
    },
  };
}

/** Deletes every key under `prefix` (which must hold no glob characters); never FLUSHALL/FLUSHDB. */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  if (/[*?[\]\\]/.test(prefix)) throw new Error(`prefix ${prefix} holds glob characters`);
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** A fresh store of `backend` on the server at `base`. */
export function freshStore(backend: ServerBackend, base: string, params: Record<string, string> = {}): FreshStore {
  return backend === 'postgres' ? freshPostgres(base, params) : freshRedis(base, params);
}
