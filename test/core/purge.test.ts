import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { Events } from '../../src/core/events.js';
import { type PurgeOptions, Purger } from '../../src/core/purge.js';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

const backends: { name: string; open(dir: string): Store }[] = [
  { name: 'memory', open: () => new SqliteStore(':memory:') },
  { name: 'sqlite', open: (dir) => new SqliteStore(join(dir, 'ticketd.db')) },
];

describe.each(backends)('Purger on the $name store', (backend) => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let events: Events;
  let expired: { tenant: string; count: number }[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ticketd-purge-'));
    store = backend.open(dir);
    await store.migrate();
    await store.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: T0 });
    await store.tenants.put({ name: 'b', settings: withDefaults({}), createdAt: T0 });
    clock = new ManualClock(T0);
    events = new Events();
    expired = [];
    events.on('ticket.expired', (e) => expired.push(e));
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `n` tickets expiring at `expiresAt` (null: never), alternately in tenants a and b. */
  const createTickets = async (n: number, expiresAt: number | null): Promise<Buffer[]> => {
    const ids: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomBytes(32);
      const tenant = i % 2 === 0 ? 'a' : 'b';
      const ticket = { tenant, id, usesLeft: null, expiresAt, createdAt: T0, payload: null };
      expect(await store.tickets.create(ticket, 0, T0)).toBe('created');
      ids.push(id);
    }
    return ids;
  };

  const count = async () => (await store.tickets.count('a')) + (await store.tickets.count('b'));
  /** Tickets the ticket.expired events reported, in all and per tenant; no event reports none. */
  const reported = () => {
    const byTenant: Record<string, number> = {};
    for (const e of expired) {
      expect(e.count).toBeGreaterThan(0);
      byTenant[e.tenant] = (byTenant[e.tenant] ?? 0) + e.count;
    }
    return { total: expired.reduce((n, e) => n + e.count, 0), byTenant };
  };

  const purger = (options: Partial<PurgeOptions> = {}) =>
    new Purger(store, clock, events, { intervalMs: 1000, batch: 10, maxBatches: 10, ...options });

  it('removes everything expired across several batches and emits ticket.expired per batch and tenant', async () => {
    await createTickets(25, T0 + MINUTE);
    const later = await createTickets(2, T0 + 10 * MINUTE);
    await createTickets(3, null);
    const p = purger();

    // onBatch also sees the batches of other record kinds (logins, on stores
    // with the profile surface): there are none here, so theirs are empty.
    const batches: number[] = [];
    expect(await p.runOnce((_kind, n) => batches.push(n))).toBe(0);
    expect(batches.every((n) => n === 0)).toBe(true);
    expect(expired).toEqual([]);

    clock.advance(MINUTE); // now == expiresAt: expired
    batches.length = 0;
    expect(await p.runOnce((_kind, n) => batches.push(n))).toBe(25);
    expect(batches.filter((n) => n > 0)).toEqual([10, 10, 5]);
    expect(reported()).toEqual({ total: 25, byTenant: { a: 13, b: 12 } });
    expect(await count()).toBe(5);
    expect(await store.tickets.count('a')).toBe(2 + 1);
    for (const id of later) {
      expect(
        (await store.tickets.peek('a', id, clock.now())) ?? (await store.tickets.peek('b', id, clock.now())),
      ).not.toBeNull();
    }

    expect(await p.runOnce()).toBe(0);
    expect(reported().total).toBe(25);
  });

  it('an exact multiple of the batch ends with an empty batch and no empty event', async () => {
    await createTickets(20, T0 + MINUTE);
    clock.advance(2 * MINUTE);
    const batches: number[] = [];
    expect(await purger().runOnce((_kind, n) => batches.push(n))).toBe(20);
    expect(batches.slice(0, 3)).toEqual([10, 10, 0]);
    expect(reported().total).toBe(20);
    expect(await count()).toBe(0);
  });

  it('stops at maxBatches; the next run goes on where it stopped', async () => {
    await createTickets(45, T0 + MINUTE);
    await createTickets(1, null);
    clock.advance(MINUTE);
    const p = purger({ maxBatches: 2 });

    expect(await p.runOnce()).toBe(20);
    expect(reported().total).toBe(20);
    expect(await count()).toBe(26);
    expect(await p.runOnce()).toBe(20);
    expect(await count()).toBe(6);
    expect(await p.runOnce()).toBe(5);
    expect(reported().total).toBe(45);
    expect(await count()).toBe(1);
  });

  it('follows the clock: only what expired by clock.now() is removed', async () => {
    await createTickets(4, T0 + MINUTE);
    await createTickets(6, T0 + 2 * MINUTE);
    const p = purger({ batch: 3 });
    clock.advance(MINUTE + 30_000);
    expect(await p.runOnce()).toBe(4);
    expect(reported().total).toBe(4);
    expect(await count()).toBe(6);
    clock.advance(30_000);
    expect(await p.runOnce()).toBe(6);
    expect(await count()).toBe(0);
  });

  it('concurrent runOnce calls share one run', async () => {
    await createTickets(25, T0 + MINUTE);
    clock.advance(MINUTE);
    const p = purger();
    const first = p.runOnce();
    const second = p.runOnce();
    expect(second).toBe(first);
    expect(await Promise.all([first, second])).toEqual([25, 25]);
    expect(reported().total).toBe(25);
    // Once it finished, a new run starts.
    expect(await p.runOnce()).toBe(0);
  });
});
