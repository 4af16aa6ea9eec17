import Database from 'better-sqlite3';
import { systemClock } from '../src/core/clock.js';
import { DEFAULT_TENANT } from '../src/core/tenant-settings.js';
import { Tenants } from '../src/core/tenants.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
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

/**
 * Fills a fresh SQLite file with live tickets before ticketd starts, for the
 * `use` scenario (every use must find a different live ticket). The schema and
 * the default tenant come from the store itself; each row is what
 * `TicketService.create` would store (hashed id, sealed payload), but many rows
 * go in one transaction, which is far faster than one create at a time.
 * Returns the tickets in insertion order.
 */
export async function seedTickets(path: string, options: SeedOptions): Promise<string[]> {
  const store = new SqliteStore(path);
  await store.migrate();
  await new Tenants(store, systemClock).ensureDefault();
  await store.close();

  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const insert = db.prepare(
      'INSERT INTO tickets (id, tenant, uses_left, expires_at, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const count = db.prepare('UPDATE tenants SET live_tickets = live_tickets + ? WHERE name = ?');
    const tickets: string[] = [];
    const fill = db.transaction((n: number) => {
      const now = systemClock.now();
      for (let i = 0; i < n; i++) {
        const ticket = newTicket();
        insert.run(
          ticketId(ticket),
          DEFAULT_TENANT,
          options.uses,
          now + options.ttl * 1000,
          now,
          sealPayload(ticket, options.payloadJson),
        );
        tickets.push(ticket);
      }
      count.run(n, DEFAULT_TENANT);
    });
    while (tickets.length < options.count) {
      fill.immediate(Math.min(CHUNK, options.count - tickets.length));
      options.onProgress?.(tickets.length);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    return tickets;
  } finally {
    db.close();
  }
}
