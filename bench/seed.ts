/**
 * Fills a fresh store with live tickets before (or while) ticketd runs, for
 * the use scenarios: every use must find a different live ticket, and use-1m
 * needs 1,000,000 of them. Each row is what `TicketService.create` would
 * store (hashed id, sealed payload), but rows go in by the thousand, far
 * faster than one create at a time. The schema and the default tenant come
 * from the store itself. Returns the tickets in insertion order.
 */
import pg from 'pg';
import { systemClock } from '../src/core/clock.js';
import { DEFAULT_TENANT } from '../src/core/tenant-settings.js';
import { Tenants } from '../src/core/tenants.js';
import { openStore } from '../src/store/open.js';
import { parsePostgresUrl } from '../src/store/postgres/config.js';
import { openSqlite } from '../src/store/sqlite/driver.js';
import { newTicket, sealPayload, ticketId } from '../src/tickets/secret.js';

export interface SeedOptions {
  /** Tickets to create, all in tenant `default`. */
  count: number;
  uses: number;
  /** Seconds. */
  ttl: number;
  /** Compact JSON text of every ticket's payload. */
  payloadJson: string;
  onProgress?: (done: number) => void;
}

const CHUNK = 20_000;

interface SeedRow {
  ticket: string;
  id: Buffer;
  payload: Buffer;
}

function rows(n: number, payloadJson: string): SeedRow[] {
  const out: SeedRow[] = [];
  for (let i = 0; i < n; i++) {
    const ticket = newTicket();
    out.push({ ticket, id: ticketId(ticket), payload: sealPayload(ticket, payloadJson) });
  }
  return out;
}

/** Applies the store's migrations and makes sure tenant `default` exists. */
async function prepare(url: string): Promise<void> {
  const store = await openStore(url);
  try {
    await store.migrate();
    await new Tenants(store.tenants, systemClock).ensureDefault();
  } finally {
    await store.close();
  }
}

/** SQLite: plain INSERTs, 20,000 to a transaction, and the tenant's counter raised to match. */
export async function seedSqlite(path: string, options: SeedOptions): Promise<string[]> {
  await prepare(`sqlite:${path}`);
  const db = openSqlite(path);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = NORMAL');
    const insert = db.prepare(
      'INSERT INTO tickets (id, tenant, uses_left, expires_at, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const count = db.prepare('UPDATE tenants SET live_tickets = live_tickets + ? WHERE name = ?');
    const tickets: string[] = [];
    const fill = (batch: SeedRow[]) =>
      db.immediate(() => {
        const now = systemClock.now();
        for (const r of batch) {
          insert.run(r.id, DEFAULT_TENANT, options.uses, now + options.ttl * 1000, now, r.payload);
          tickets.push(r.ticket);
        }
        count.run(batch.length, DEFAULT_TENANT);
      });
    while (tickets.length < options.count) {
      fill(rows(Math.min(CHUNK, options.count - tickets.length), options.payloadJson));
      options.onProgress?.(tickets.length);
    }
    return tickets;
  } finally {
    db.close();
  }
}

/** PostgreSQL: multi-row INSERTs from arrays, and the tenant's count raised to match (migrations.ts: the count). */
export async function seedPostgres(url: string, options: SeedOptions): Promise<string[]> {
  await prepare(url);
  const { schema, pool } = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString: pool.connectionString });
  await client.connect();
  try {
    const tickets: string[] = [];
    while (tickets.length < options.count) {
      const batch = rows(Math.min(CHUNK / 4, options.count - tickets.length), options.payloadJson);
      const now = systemClock.now();
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO "${schema}".tickets (id, tenant, uses_left, expires_at, created_at, payload)
         SELECT id, $2, $3, $4, $5, payload FROM unnest($1::bytea[], $6::bytea[]) AS t(id, payload)`,
        [
          batch.map((r) => r.id),
          DEFAULT_TENANT,
          options.uses,
          now + options.ttl * 1000,
          now,
          batch.map((r) => r.payload),
        ],
      );
      await client.query(`UPDATE "${schema}".tenants SET ticket_count = ticket_count + $1 WHERE name = $2`, [
        batch.length,
        DEFAULT_TENANT,
      ]);
      await client.query('COMMIT');
      for (const r of batch) tickets.push(r.ticket);
      options.onProgress?.(tickets.length);
    }
    return tickets;
  } finally {
    await client.end();
  }
}

/**
 * Through the store class in-process (Redis: each create is one script that
 * also keeps the tenant's counter and expiry index), many creates in flight
 * at once; auto-pipelining sends each event-loop turn's creates together.
 */
export async function seedThroughStore(url: string, options: SeedOptions): Promise<string[]> {
  await prepare(url);
  const store = await openStore(url);
  try {
    const tickets: string[] = [];
    while (tickets.length < options.count) {
      const batch = rows(Math.min(CHUNK / 4, options.count - tickets.length), options.payloadJson);
      const now = systemClock.now();
      const results = await Promise.all(
        batch.map((r) =>
          store.tickets.create(
            {
              tenant: DEFAULT_TENANT,
              id: r.id,
              usesLeft: options.uses,
              expiresAt: now + options.ttl * 1000,
              createdAt: now,
              payload: r.payload,
            },
            0,
            now,
          ),
        ),
      );
      const refused = results.find((r) => r !== 'created');
      if (refused) throw new Error(`seeding: createTicket answered ${refused}`);
      for (const r of batch) tickets.push(r.ticket);
      options.onProgress?.(tickets.length);
    }
    return tickets;
  } finally {
    await store.close();
  }
}
