/**
 * The stores `npm run bench -- --stores sqlite,postgres,redis` runs ticketd on:
 * a fresh place for each run (a SQLite file in a temporary directory, a new
 * PostgreSQL schema, a random Redis key prefix), live tickets seeded into it
 * before ticketd starts, and everything removed afterwards (the schema
 * dropped, the prefix's keys deleted with SCAN MATCH: never FLUSHALL/FLUSHDB).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type * as Seed from './seed.js';
import type { SeedOptions } from './seed.js';

export type StoreName = 'sqlite' | 'postgres' | 'redis';
export const STORE_NAMES: StoreName[] = ['sqlite', 'postgres', 'redis'];

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface BenchStore {
  name: StoreName;
  /** What ticketd's --store takes. */
  url: string;
  /** Fills the store with live tickets in tenant `default` (before ticketd starts); returns them in order. */
  seed(options: SeedOptions): Promise<string[]>;
  /** Removes what the run left. */
  cleanup(): Promise<void>;
}

const suffix = () => randomBytes(5).toString('hex');

function withParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

/** `dir` is a fresh temporary directory for the SQLite file; `seeds` the build's own seeding functions. */
export function benchStore(name: StoreName, dir: string, seeds: typeof Seed): BenchStore {
  if (name === 'sqlite') {
    const path = join(dir, 'ticketd.db');
    return { name, url: `sqlite:${path}`, seed: (o) => seeds.seedSqlite(path, o), cleanup: async () => {} };
  }
  if (name === 'postgres') {
    const base = process.env.TICKETD_BENCH_POSTGRES_URL || DEFAULT_POSTGRES_URL;
    const schema = `ticketd_bench_${suffix()}`;
    const url = withParam(base, 'schema', schema);
    return {
      name,
      url,
      seed: (o) => seeds.seedPostgres(url, o),
      cleanup: async () => {
        const conn = new URL(base);
        conn.searchParams.delete('schema');
        conn.searchParams.delete('pool_max');
        const client = new pg.Client({ connectionString: conn.toString() });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  }
  const base = process.env.TICKETD_BENCH_REDIS_URL || DEFAULT_REDIS_URL;
  const prefix = `ticketd-bench-${suffix()}:`;
  const url = withParam(base, 'prefix', prefix);
  return {
    name,
    url,
    seed: (o) => seeds.seedThroughStore(url, o),
    cleanup: () => deleteRedisPrefix(base, prefix),
  };
}

/** Deletes every key under `prefix`, found with SCAN MATCH (never FLUSHALL/FLUSHDB). */
async function deleteRedisPrefix(base: string, prefix: string): Promise<void> {
  const u = new URL(base);
  const db = Number(u.pathname.slice(1) || 0);
  const redis = new Redis({
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    lazyConnect: true,
  });
  await redis.connect();
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
