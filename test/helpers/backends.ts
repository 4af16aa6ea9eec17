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

/** A fresh PostgreSQL store: its schema's name too. */
export interface FreshPostgres extends FreshStore {
  schema: string;
}

/** A fresh schema (created by ticketd's migrate) in the database at `base`; cleanup drops it. */
export function freshPostgres(base: string, params: Record<string, string> = {}): FreshPostgres {
  const schema = `ticketd_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return {
    url: url.toString(),
    schema,
    cleanup: async () => {
      await withPostgresClient(base, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    },
    inspect: () =>
      withPostgresClient(base, async (c) => {
        const res = await c.query<{ tables: string[] | null }>(
          'SELECT array_agg(table_name::text ORDER BY table_name) AS tables FROM information_schema.tables WHERE table_schema = $1',
          [schema],
        );
        const tables = res.rows[0]?.tables;
        return tables ? `schema ${schema} holds tables ${tables.join(', ')}` : `schema ${schema} has no tables (gone?)`;
      }),
  };
}

/** Runs `f` with a plain client of its own on the database at `base`, outside any store. */
export async function withPostgresClient<T>(base: string, f: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end();
  }
}

/** A fresh Redis store: its key prefix too. */
export interface FreshRedis extends FreshStore {
  prefix: string;
}

/** A new random key prefix for a test's own keys. */
export const newRedisPrefix = (): string => `ticketd-test:${randomBytes(8).toString('hex')}:`;

/** The store URL of the Redis at `base` with this key prefix and extra parameters. */
export function redisUrl(base: string, prefix: string, params: Record<string, string> = {}): string {
  const url = new URL(base);
  url.searchParams.set('prefix', prefix);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** A fresh random key prefix on the Redis at `base`; cleanup deletes its keys with SCAN MATCH. */
export function freshRedis(base: string, params: Record<string, string> = {}): FreshRedis {
  const prefix = newRedisPrefix();
  return {
    url: redisUrl(base, prefix, params),
    prefix,
    cleanup: async () => {
      await withRedisClient(base, (admin) => deleteRedisPrefix(admin, prefix));
    },
    inspect: () =>
      withRedisClient(base, async (admin) => `prefix ${prefix} holds ${(await redisKeys(admin, prefix)).length} keys`),
  };
}

/** Runs `f` with a connection of its own to the Redis at `base`, outside any store. */
async function withRedisClient<T>(base: string, f: (redis: Redis) => Promise<T>): Promise<T> {
  const admin = new Redis(base, { maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  try {
    return await f(admin);
  } finally {
    await admin.quit();
  }
}

/** Every key under `prefix`, sorted (SCAN MATCH, glob characters in the prefix escaped: tests only). */
export async function redisKeys(redis: Redis, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out.sort();
}

/** Deletes every key under `prefix`; never FLUSHALL/FLUSHDB. */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  const keys = await redisKeys(redis, prefix);
  return keys.length > 0 ? redis.del(...keys) : 0;
}

/** A fresh store of `backend` on the server at `base`. */
export function freshStore(backend: ServerBackend, base: string, params: Record<string, string> = {}): FreshStore {
  return backend === 'postgres' ? freshPostgres(base, params) : freshRedis(base, params);
}
