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
import { systemClock } from '../src/core/clock.js';
import { DEFAULT_TENANT } from '../src/core/tenant-settings.js';
import { Tenants } from '../src/core/tenants.js';
import { openStore } from '../src/store/open.js';
import { newTicket, sealPayload, ticketId } from '../src/tickets/secret.js';
import { type SeedOptions, seedTickets } from './seed.js';

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

/** `dir` is a fresh temporary directory for the SQLite file. */
export function benchStore(name: StoreName, dir: string): BenchStore {
  if (name === 'sqlite') {
    const path = join(dir, 'ticketd.db');
    return { name, url: `sqlite:${path}`, seed: (o) => seedTickets(path, o), cleanup: async () => {} };
  }
  if (name === 'postgres') {
    const base = process.env.TICKETD_BENCH_POSTGRES_URL || DEFAULT_POSTGRES_URL;
    const schema = `ticketd_bench_${suffix()}`;
    const url = withParam(base, 'schema', schema);
    return {
      name,
      url,
      seed: (o) => seedThroughStore(url, o),
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
    seed: (o) => seedThroughStore(url, o),
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

/**
 * Seeds through the store class in-process (what `TicketService.create`
 * stores: hashed id, sealed payload), many creates in flight at once.
 */
async function seedThroughStore(url: string, options: SeedOptions): Promise<string[]> {
  const store = await openStore(url);
  try {
    await store.migrate();
    await new Tenants(store, systemClock).ensureDefault();
    const tickets: string[] = [];
    const IN_FLIGHT = 512;
    while (tickets.length < options.count) {
      const n = Math.min(IN_FLIGHT * 8, options.count - tickets.length);
      const now = systemClock.now();
      const batch: string[] = [];
      for (let i = 0; i < n; i++) batch.push(newTicket());
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(IN_FLIGHT, n) }, async () => {
          for (let i = next++; i < n; i = next++) {
            const ticket = batch[i] as string;
            const r = await store.createTicket(
              {
                tenant: DEFAULT_TENANT,
                id: ticketId(ticket),
                usesLeft: options.uses,
                expiresAt: now + options.ttl * 1000,
                createdAt: now,
                payload: sealPayload(ticket, options.payloadJson),
              },
              0,
              now,
            );
            if (r !== 'created') throw new Error(`seeding: createTicket answered ${r}`);
          }
        }),
      );
      tickets.push(...batch);
      options.onProgress?.(tickets.length);
    }
    return tickets;
  } finally {
    await store.close();
  }
}
