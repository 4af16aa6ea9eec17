import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { TicketRecord } from '../../src/store/types.js';

const NOW = Date.UTC(2026, 0, 1);
const id = (name: string) => createHash('sha256').update(name).digest();
const ticket = (name: string, usesLeft: number | null = 1): TicketRecord => ({
  tenant: 'default',
  id: id(name),
  usesLeft,
  expiresAt: NOW + 60_000,
  createdAt: NOW,
  payload: Buffer.from(name),
});

/**
 * Ticket writes made in one event-loop turn are committed together (group
 * commit). These check that batching changes nothing a caller can see.
 */
describe('sqlite store: group commit', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ticketd-group-commit-'));
    path = join(dir, 'ticketd.db');
    store = new SqliteStore(path);
    await store.migrate();
    await store.putTenant({ name: 'default', settings: withDefaults({}), createdAt: NOW });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the writes of one turn in the order they were made', async () => {
    const created = await Promise.all([ticket('a', 3), ticket('b')].map((t) => store.createTicket(t, 0, NOW)));
    expect(created).toEqual(['created', 'created']);
    const uses = await Promise.all([1, 2, 3, 4, 5].map(() => store.useTicket('default', id('a'), NOW)));
    expect(uses.map((u) => u?.usesLeft ?? 'none')).toEqual([2, 1, 0, 'none', 'none']);
    const mixed = await Promise.all([
      store.useTicket('default', id('b'), NOW),
      store.deleteTicket('default', id('b'), NOW),
      store.createTicket(ticket('c'), 0, NOW),
      store.deleteTicket('default', id('c'), NOW),
    ]);
    expect(mixed).toEqual([{ usesLeft: 0, payload: Buffer.from('b') }, null, 'created', { usesLeft: 1 }]);
    expect(await store.countTickets('default')).toBe(0);
  });

  it('holds the ticket limit within one batch', async () => {
    await store.putTenant({ name: 'default', settings: withDefaults({ ticketMax: 5 }), createdAt: NOW });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.createTicket(ticket(`t${i}`), 5, NOW)));
    expect(results.filter((r) => r === 'created')).toHaveLength(5);
    expect(results.slice(5)).toEqual(['limit', 'limit', 'limit']);
    expect(await store.countTickets('default')).toBe(5);
  });

  it('rolls back a write that fails alone, and commits the rest of its batch', async () => {
    const results = await Promise.allSettled([
      store.createTicket(ticket('x'), 0, NOW),
      store.createTicket(ticket('x'), 0, NOW), // same id: the UNIQUE constraint refuses it
      store.createTicket(ticket('y'), 0, NOW),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The refused create took no slot: the counter matches the rows.
    expect(await store.countTickets('default')).toBe(2);
    expect(await store.peekTicket('default', id('y'), NOW)).not.toBeNull();
  });

  it('lets a read see the writes made before it, even unawaited', async () => {
    const created = store.createTicket(ticket('r'), 0, NOW);
    expect(await store.peekTicket('default', id('r'), NOW)).toEqual({
      usesLeft: 1,
      expiresAt: NOW + 60_000,
      createdAt: NOW,
    });
    expect(await created).toBe('created');
  });

  it('commits queued writes on close', async () => {
    const created = store.createTicket(ticket('late'), 0, NOW);
    await store.close();
    expect(await created).toBe('created');
    store = new SqliteStore(path);
    expect(await store.useTicket('default', id('late'), NOW)).toEqual({ usesLeft: 0, payload: Buffer.from('late') });
  });
});
