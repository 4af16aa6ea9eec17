/**
 * The Purger and the Oz records: expired grants and Hawk nonces go too, in
 * bounded batches, by the injected clock; grant.expired per non-empty batch
 * of grants, nothing for nonces.
 */
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

describe.each(backends)('Purger with grants and nonces on the $name store', (backend) => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let events: Events;
  let grantsExpired: number[];
  let otherEvents: string[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ticketd-purge-oz-'));
    store = backend.open(dir);
    await store.migrate();
    await store.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: T0 });
    expect(
      await store.apps.create({
        id: 'app',
        tenant: 'a',
        key: randomBytes(24).toString('base64url'),
        algorithm: 'sha256',
        scope: [],
        delegate: false,
        extAttributes: [],
        createdOn: T0,
      }),
    ).toBe('created');
    clock = new ManualClock(T0);
    events = new Events();
    grantsExpired = [];
    otherEvents = [];
    events.on('grant.expired', (e) => grantsExpired.push(e.count));
    events.on('ticket.expired', () => otherEvents.push('ticket.expired'));
    events.on('login.expired', () => otherEvents.push('login.expired'));
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const createGrants = async (n: number, exp: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomBytes(16).toString('base64url');
      await store.grants.create({
        id,
        tenant: 'a',
        app: 'app',
        user: `u${i}`,
        scope: [],
        exp,
        session: null,
        createdOn: T0,
      });
      ids.push(id);
    }
    return ids;
  };

  const useNonces = async (n: number, expiresAt: number, prefix = 'n'): Promise<void> => {
    for (let i = 0; i < n; i++) expect(await store.nonces.use('app', `${prefix}${i}`, T0, expiresAt)).toBe(true);
  };

  const purger = (options: Partial<PurgeOptions> = {}) =>
    new Purger(store, clock, events, { intervalMs: 1000, batch: 10, maxBatches: 10, ...options });

  const liveGrants = async () => (await store.grants.list({ app: 'app' }, T0, 1000)).length;

  it('removes expired grants and nonces in batches by the clock; grant.expired per grant batch only', async () => {
    await createGrants(23, T0 + MINUTE);
    const kept = await createGrants(2, T0 + 10 * MINUTE);
    await useNonces(14, T0 + MINUTE);
    await useNonces(3, T0 + 10 * MINUTE, 'later');
    const p = purger();

    expect(await p.runOnce()).toBe(0);
    clock.advance(MINUTE - 1);
    expect(await p.runOnce()).toBe(0);
    expect(grantsExpired).toEqual([]);

    clock.advance(1); // now == exp: expired
    const batches: number[] = [];
    expect(await p.runOnce((_kind, n) => batches.push(n))).toBe(23 + 14);
    // Tickets, login tickets and persistent logins (none), then grants, then nonces.
    expect(batches.filter((n) => n > 0)).toEqual([10, 10, 3, 10, 4]);
    expect(grantsExpired).toEqual([10, 10, 3]);
    expect(otherEvents).toEqual([]);
    expect(await liveGrants()).toBe(2);
    for (const id of kept) expect(await store.grants.get(id, clock.now())).not.toBeNull();
    // The purged nonces are accepted again; the live ones are still refused.
    expect(await store.nonces.use('app', 'n0', clock.now(), clock.now() + MINUTE)).toBe(true);
    expect(await store.nonces.use('app', 'later0', clock.now(), clock.now() + MINUTE)).toBe(false);

    expect(await p.runOnce()).toBe(0);
    clock.advance(10 * MINUTE);
    expect(await p.runOnce()).toBe(2 + 3 + 1);
    expect(grantsExpired).toEqual([10, 10, 3, 2]);
    expect(await liveGrants()).toBe(0);
  });

  it('stops each kind at maxBatches; the next run goes on where it stopped', async () => {
    await createGrants(25, T0 + MINUTE);
    await useNonces(25, T0 + MINUTE);
    clock.advance(MINUTE);
    const p = purger({ maxBatches: 2 });
    expect(await p.runOnce()).toBe(40);
    expect(grantsExpired).toEqual([10, 10]);
    expect(await liveGrants()).toBe(5);
    expect(await p.runOnce()).toBe(10);
    expect(grantsExpired).toEqual([10, 10, 5]);
    expect(await p.runOnce()).toBe(0);
  });
});
