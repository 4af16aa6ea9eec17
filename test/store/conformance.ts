/**
 * The store conformance suite of the ticket part of `Store` (tenants and
 * opaque tickets): every case here runs unchanged against every backend
 * (memory, SQLite, PostgreSQL, Redis). A backend plugs in with one
 * `ConformanceTarget` in its own `test/store/<name>.test.ts`, which runs this
 * suite, `runProfileStoreConformance` (profile-conformance.ts) and
 * `runOzStoreConformance` (oz-conformance.ts) on it, then its own cases.
 *
 * Time is never slept on: every store call gets its `now` from the test. The
 * base time `t0` is the wall clock at the start of each case and expiries are
 * minutes after it, so a backend that also lets records expire natively
 * (Redis) as a backstop does not lose them in the middle of a case; liveness
 * must still be decided by `now` alone.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TenantSettings, withDefaults } from '../../src/core/tenant-settings.js';
import type {
  AuditRecord,
  DeliveryRecord,
  OutboxEvent,
  Route,
  Store,
  TicketRecord,
  UsedTicket,
  WebhookEndpointRecord,
} from '../../src/store/types.js';
import { appRecord, grantRecord, sessionRecord, ticketRecord } from './records.js';

export interface ConformanceTarget {
  /** 'memory', 'sqlite', 'postgres', 'redis' */
  name: string;
  /** A FRESH, isolated, NOT yet migrated store (the suite calls migrate()). */
  open(): Promise<Store>;
  /** Closes it and removes everything it created. */
  destroy(store: Store): Promise<void>;
}

/** A target whose every store lives in a place of its own: a directory, a schema, a key prefix. */
export interface FreshTarget<S extends Store> extends ConformanceTarget {
  open(): Promise<S>;
  /** open(), synchronously: a store in a new place, for a backend's own cases. */
  openFresh(): S;
  /** Gives a store a case opened itself the same destroy, removing its place with `cleanup`. */
  track<T extends Store>(store: T, cleanup: () => Promise<void>): T;
}

/**
 * The target of a backend whose stores each need a place of their own:
 * `fresh()` opens a store in a new place and says how to remove the place;
 * destroy() closes the store, then removes its place.
 */
export function freshTarget<S extends Store>(
  name: string,
  fresh: () => { store: S; cleanup: () => Promise<void> },
): FreshTarget<S> {
  const cleanups = new WeakMap<Store, () => Promise<void>>();
  const track = <T extends Store>(store: T, cleanup: () => Promise<void>): T => {
    cleanups.set(store, cleanup);
    return store;
  };
  const openFresh = (): S => {
    const { store, cleanup } = fresh();
    return track(store, cleanup);
  };
  return {
    name,
    open: async () => openFresh(),
    openFresh,
    track,
    destroy: async (store) => {
      try {
        await store.close();
      } finally {
        const cleanup = cleanups.get(store);
        cleanups.delete(store);
        await cleanup?.();
      }
    },
  };
}

const MINUTE = 60_000;

export function runStoreConformance(target: ConformanceTarget): void {
  describe(`store conformance: ${target.name}`, () => {
    let store: Store;
    let t0: number;

    beforeEach(async () => {
      t0 = Date.now();
      store = await target.open();
      await store.migrate();
    });

    afterEach(async () => {
      await target.destroy(store);
    });

    const putTenant = (name: string, settings: Partial<TenantSettings> = {}, createdAt = t0) =>
      store.tenants.put({ name, settings: withDefaults(settings), createdAt });

    const ticket = (tenant: string, fields: Partial<Omit<TicketRecord, 'tenant'>> = {}): TicketRecord =>
      ticketRecord(tenant, t0, fields);

    /** Creates the ticket without a limit and checks that it was created. */
    const create = async (t: TicketRecord, now = t0): Promise<TicketRecord> => {
      expect(await store.tickets.create(t, 0, now)).toBe('created');
      return t;
    };

    /** Whether the record is still stored, looked at from a time when it was alive. */
    const stored = async (t: TicketRecord): Promise<boolean> =>
      (await store.tickets.peek(t.tenant, t.id, t.createdAt)) !== null;

    // ---- schema ------------------------------------------------------------

    it('migrate is idempotent and schemaVersion() > 0 after it', async () => {
      const fresh = await target.open();
      try {
        expect(await fresh.schemaVersion()).toBe(0);
        await fresh.migrate();
        const version = await fresh.schemaVersion();
        expect(version).toBeGreaterThan(0);
        await fresh.migrate();
        expect(await fresh.schemaVersion()).toBe(version);
        await Promise.all([fresh.migrate(), fresh.migrate(), fresh.migrate()]);
        expect(await fresh.schemaVersion()).toBe(version);
        await fresh.ping();
        // A migrated store works after migrating again.
        await fresh.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: t0 });
        await fresh.migrate();
        expect((await fresh.tenants.get('a'))?.name).toBe('a');
      } finally {
        await target.destroy(fresh);
      }
    });

    // ---- tenants -----------------------------------------------------------

    it('tenants: put, get, list', async () => {
      expect(await store.tenants.get('a')).toBeNull();
      expect(await store.tenants.list()).toEqual([]);

      await putTenant('a', { ticketMax: 3 }, t0);
      await putTenant('b', { ticketMaxPayloadLength: 100 }, t0 + 1);

      expect(await store.tenants.get('a')).toEqual({
        name: 'a',
        settings: withDefaults({ ticketMax: 3 }),
        createdAt: t0,
      });
      expect(await store.tenants.get('b')).toEqual({
        name: 'b',
        settings: withDefaults({ ticketMaxPayloadLength: 100 }),
        createdAt: t0 + 1,
      });
      expect(await store.tenants.get('c')).toBeNull();
      const list = (await store.tenants.list()).sort((x, y) => x.name.localeCompare(y.name));
      expect(list).toEqual([
        { name: 'a', settings: withDefaults({ ticketMax: 3 }), createdAt: t0 },
        { name: 'b', settings: withDefaults({ ticketMaxPayloadLength: 100 }), createdAt: t0 + 1 },
      ]);
    });

    it('putTenant replaces the settings but keeps createdAt and the tickets', async () => {
      await putTenant('a', { ticketMax: 3, lockTime: 10 }, t0);
      const t = await create(ticket('a', { usesLeft: 2 }));

      await putTenant('a', { ticketMax: 7 }, t0 + 5 * MINUTE);

      expect(await store.tenants.get('a')).toEqual({
        name: 'a',
        settings: withDefaults({ ticketMax: 7 }),
        createdAt: t0,
      });
      expect(await store.tenants.list()).toHaveLength(1);
      expect(await store.tickets.count('a')).toBe(1);
      expect(await store.tickets.peek('a', t.id, t0)).toEqual({ usesLeft: 2, expiresAt: null, createdAt: t0 });
    });

    it('createTenant creates a tenant with no tickets', async () => {
      const record = { name: 'a', settings: withDefaults({ ticketMax: 3 }), createdAt: t0 };
      expect(await store.tenants.create(record)).toBe('created');
      expect(await store.tenants.get('a')).toEqual(record);
      expect(await store.tenants.list()).toEqual([record]);
      expect(await store.tickets.count('a')).toBe(0);
      // The tenant works for tickets, its counter starting at 0.
      const t = await create(ticket('a'));
      expect(await store.tickets.count('a')).toBe(1);
      expect(await store.tickets.create(ticket('a'), 2, t0)).toBe('created');
      expect(await store.tickets.create(ticket('a'), 2, t0)).toBe('limit');
      expect(await store.tickets.delete('a', t.id, t0)).toEqual({ usesLeft: null });
      expect(await store.tickets.count('a')).toBe(1);
    });

    it('createTenant of an existing name answers exists and changes nothing', async () => {
      expect(
        await store.tenants.create({
          name: 'a',
          settings: withDefaults({ ticketMax: 3, lockTime: 10 }),
          createdAt: t0,
        }),
      ).toBe('created');
      await create(ticket('a'));

      expect(
        await store.tenants.create({ name: 'a', settings: withDefaults({ ticketMax: 7 }), createdAt: t0 + MINUTE }),
      ).toBe('exists');
      expect(await store.tenants.get('a')).toEqual({
        name: 'a',
        settings: withDefaults({ ticketMax: 3, lockTime: 10 }),
        createdAt: t0,
      });
      expect(await store.tenants.list()).toHaveLength(1);
      expect(await store.tickets.count('a')).toBe(1);

      // A tenant made by putTenant exists too.
      await putTenant('b', { ticketMax: 5 });
      expect(await store.tenants.create({ name: 'b', settings: withDefaults({}), createdAt: t0 + MINUTE })).toBe(
        'exists',
      );
      expect((await store.tenants.get('b'))?.settings).toEqual(withDefaults({ ticketMax: 5 }));
    });

    it('createTenant: of 20 concurrent creates of one name exactly one is created', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.tenants.create({ name: 'race', settings: withDefaults({ ticketMax: i + 1 }), createdAt: t0 + i }),
        ),
      );
      expect(results.filter((r) => r === 'created')).toHaveLength(1);
      expect(results.filter((r) => r === 'exists')).toHaveLength(19);
      const winner = results.indexOf('created');
      expect(await store.tenants.get('race')).toEqual({
        name: 'race',
        settings: withDefaults({ ticketMax: winner + 1 }),
        createdAt: t0 + winner,
      });
      expect(await store.tenants.list()).toHaveLength(1);
      expect(await store.tickets.count('race')).toBe(0);
    });

    it('a record handed to or returned by the store is a copy', async () => {
      const settings = withDefaults({ ticketMax: 3 });
      await store.tenants.put({ name: 'a', settings, createdAt: t0 });
      settings.ticketMax = 99;
      const got = await store.tenants.get('a');
      if (got) got.settings.ticketMax = 42;
      expect((await store.tenants.get('a'))?.settings.ticketMax).toBe(3);

      const payload = Buffer.from('sealed payload');
      const t = await create(ticket('a', { payload, usesLeft: 3 }));
      payload.fill(0);
      const first = await store.tickets.use('a', t.id, t0);
      expect(first?.payload).toEqual(Buffer.from('sealed payload'));
      first?.payload?.fill(0);
      expect((await store.tickets.use('a', t.id, t0))?.payload).toEqual(Buffer.from('sealed payload'));
    });

    // ---- create / use / delete / peek --------------------------------------

    it('useTicket takes one use at a time; the use that leaves 0 removes the ticket', async () => {
      await putTenant('a');
      const payload = Buffer.from('p');
      const t = await create(ticket('a', { usesLeft: 3, payload }));
      expect(await store.tickets.count('a')).toBe(1);

      expect(await store.tickets.use('a', t.id, t0)).toEqual({ usesLeft: 2, payload });
      expect(await store.tickets.peek('a', t.id, t0)).toMatchObject({ usesLeft: 2 });
      expect(await store.tickets.use('a', t.id, t0)).toEqual({ usesLeft: 1, payload });
      expect(await store.tickets.count('a')).toBe(1);
      expect(await store.tickets.use('a', t.id, t0)).toEqual({ usesLeft: 0, payload });

      expect(await store.tickets.count('a')).toBe(0);
      expect(await store.tickets.peek('a', t.id, t0)).toBeNull();
      expect(await store.tickets.use('a', t.id, t0)).toBeNull();
      expect(await store.tickets.delete('a', t.id, t0)).toBeNull();
      expect(await store.tickets.count('a')).toBe(0);
    });

    it('a ticket with one use is removed by that use', async () => {
      await putTenant('a');
      const t = await create(ticket('a', { usesLeft: 1 }));
      expect(await store.tickets.use('a', t.id, t0)).toEqual({ usesLeft: 0, payload: null });
      expect(await store.tickets.use('a', t.id, t0)).toBeNull();
      expect(await store.tickets.count('a')).toBe(0);
    });

    it('an unlimited ticket (usesLeft null) is never used up', async () => {
      await putTenant('a');
      const payload = Buffer.from('unlimited');
      const t = await create(ticket('a', { payload }));
      for (let i = 0; i < 20; i++) {
        expect(await store.tickets.use('a', t.id, t0 + i)).toEqual({ usesLeft: null, payload });
      }
      expect(await store.tickets.peek('a', t.id, t0)).toEqual({ usesLeft: null, expiresAt: null, createdAt: t0 });
      expect(await store.tickets.count('a')).toBe(1);
    });

    it('deleteTicket returns the uses left, then null', async () => {
      await putTenant('a');
      const limited = await create(ticket('a', { usesLeft: 5 }));
      const unlimited = await create(ticket('a'));
      expect(await store.tickets.count('a')).toBe(2);

      expect(await store.tickets.use('a', limited.id, t0)).toMatchObject({ usesLeft: 4 });
      expect(await store.tickets.delete('a', limited.id, t0)).toEqual({ usesLeft: 4 });
      expect(await store.tickets.count('a')).toBe(1);
      expect(await store.tickets.delete('a', limited.id, t0)).toBeNull();
      expect(await store.tickets.use('a', limited.id, t0)).toBeNull();
      expect(await store.tickets.peek('a', limited.id, t0)).toBeNull();

      expect(await store.tickets.delete('a', unlimited.id, t0)).toEqual({ usesLeft: null });
      expect(await store.tickets.delete('a', unlimited.id, t0)).toBeNull();
      expect(await store.tickets.count('a')).toBe(0);

      expect(await store.tickets.delete('a', randomBytes(32), t0)).toBeNull();
      expect(await store.tickets.count('a')).toBe(0);
    });

    it('peekTicket does not take a use', async () => {
      await putTenant('a');
      const t = await create(ticket('a', { usesLeft: 2, expiresAt: t0 + 10 * MINUTE, createdAt: t0 - 1 }));
      for (let i = 0; i < 5; i++) {
        expect(await store.tickets.peek('a', t.id, t0)).toEqual({
          usesLeft: 2,
          expiresAt: t0 + 10 * MINUTE,
          createdAt: t0 - 1,
        });
      }
      expect(await store.tickets.use('a', t.id, t0)).toMatchObject({ usesLeft: 1 });
      expect(await store.tickets.peek('a', t.id, t0)).toMatchObject({ usesLeft: 1 });
      expect(await store.tickets.peek('a', randomBytes(32), t0)).toBeNull();
      expect(await store.tickets.count('a')).toBe(1);
    });

    // ---- expiry ------------------------------------------------------------

    it('a ticket is alive before expiresAt and dead at now >= expiresAt for use, peek and delete', async () => {
      await putTenant('a');
      const exp = t0 + 5 * MINUTE;
      const t = await create(ticket('a', { usesLeft: 10, expiresAt: exp }));

      expect(await store.tickets.peek('a', t.id, exp - 1)).toEqual({ usesLeft: 10, expiresAt: exp, createdAt: t0 });
      expect(await store.tickets.use('a', t.id, exp - 1)).toEqual({ usesLeft: 9, payload: null });

      for (const now of [exp, exp + 1, exp + 60 * MINUTE]) {
        expect(await store.tickets.use('a', t.id, now)).toBeNull();
        expect(await store.tickets.peek('a', t.id, now)).toBeNull();
        expect(await store.tickets.delete('a', t.id, now)).toBeNull();
      }
      // Expired but not purged: still counted, still stored, and not touched by the calls above.
      expect(await store.tickets.count('a')).toBe(1);
      expect(await store.tickets.peek('a', t.id, exp - 1)).toMatchObject({ usesLeft: 9 });
    });

    it('expiry holds for each operation alone, exactly at expiresAt', async () => {
      await putTenant('a');
      const exp = t0 + MINUTE;
      const forUse = await create(ticket('a', { usesLeft: 3, expiresAt: exp }));
      const forPeek = await create(ticket('a', { expiresAt: exp }));
      const forDelete = await create(ticket('a', { usesLeft: 3, expiresAt: exp }));
      expect(await store.tickets.use('a', forUse.id, exp)).toBeNull();
      expect(await store.tickets.peek('a', forPeek.id, exp)).toBeNull();
      expect(await store.tickets.delete('a', forDelete.id, exp)).toBeNull();
      expect(await store.tickets.count('a')).toBe(3);
    });

    // ---- tenancy -----------------------------------------------------------

    it('a ticket of tenant A is invisible to use, peek and delete in tenant B', async () => {
      await putTenant('a');
      await putTenant('b');
      const t = await create(ticket('a', { usesLeft: 2, payload: Buffer.from('secret') }));

      expect(await store.tickets.use('b', t.id, t0)).toBeNull();
      expect(await store.tickets.peek('b', t.id, t0)).toBeNull();
      expect(await store.tickets.delete('b', t.id, t0)).toBeNull();
      expect(await store.tickets.use('nobody', t.id, t0)).toBeNull();
      expect(await store.tickets.count('b')).toBe(0);

      expect(await store.tickets.count('a')).toBe(1);
      expect(await store.tickets.peek('a', t.id, t0)).toMatchObject({ usesLeft: 2 });
      expect(await store.tickets.use('a', t.id, t0)).toEqual({ usesLeft: 1, payload: Buffer.from('secret') });
    });

    // ---- limits ------------------------------------------------------------

    it('ticketMax holds exactly; uses, deletes and max 0 (no limit)', async () => {
      await putTenant('a', { ticketMax: 3 });
      await putTenant('b');
      const max = 3;
      const one = await create(ticket('a', { usesLeft: 1 }));
      expect(await store.tickets.create(ticket('a'), max, t0)).toBe('created');
      const three = ticket('a');
      expect(await store.tickets.create(three, max, t0)).toBe('created');
      const refused = ticket('a');
      expect(await store.tickets.create(refused, max, t0)).toBe('limit');
      expect(await store.tickets.peek('a', refused.id, t0)).toBeNull();
      expect(await store.tickets.count('a')).toBe(3);

      // Another tenant is not limited by A's tickets.
      expect(await store.tickets.create(ticket('b'), max, t0)).toBe('created');

      // A used-up ticket frees its slot...
      expect(await store.tickets.use('a', one.id, t0)).toMatchObject({ usesLeft: 0 });
      expect(await store.tickets.create(ticket('a'), max, t0)).toBe('created');
      expect(await store.tickets.create(ticket('a'), max, t0)).toBe('limit');
      // ...so does a deleted one.
      expect(await store.tickets.delete('a', three.id, t0)).toEqual({ usesLeft: null });
      expect(await store.tickets.create(ticket('a'), max, t0)).toBe('created');
      expect(await store.tickets.create(ticket('a'), max, t0)).toBe('limit');
      expect(await store.tickets.count('a')).toBe(3);

      // A limit of 1 and no limit at all.
      await putTenant('c');
      expect(await store.tickets.create(ticket('c'), 1, t0)).toBe('created');
      expect(await store.tickets.create(ticket('c'), 1, t0)).toBe('limit');
      for (let i = 0; i < 25; i++) expect(await store.tickets.create(ticket('c'), 0, t0)).toBe('created');
      expect(await store.tickets.count('c')).toBe(26);
    });

    it('expired-but-unpurged tickets are reclaimed at the limit, and the limit still holds exactly', async () => {
      await putTenant('a');
      const max = 3;
      const exp = t0 + MINUTE;
      const expiring = [
        await create(ticket('a', { expiresAt: exp })),
        await create(ticket('a', { usesLeft: 2, expiresAt: exp - 1 })),
      ];
      const forever = await create(ticket('a'));
      expect(await store.tickets.count('a')).toBe(3);

      // Before they expire they count.
      expect(await store.tickets.create(ticket('a'), max, exp - 2)).toBe('limit');
      expect(await store.tickets.count('a')).toBe(3);

      // At expiresAt they are dead: they do not count against the limit.
      const now = exp;
      const fresh = [ticket('a'), ticket('a')];
      for (const t of fresh) expect(await store.tickets.create(t, max, now)).toBe('created');
      expect(await store.tickets.create(ticket('a'), max, now)).toBe('limit');
      expect(await store.tickets.count('a')).toBe(3);

      // Reclaimed records are not revived, and the purge has nothing left to count twice.
      for (const t of expiring) {
        expect(await store.tickets.use('a', t.id, t0)).toBeNull();
        expect(await store.tickets.peek('a', t.id, t0)).toBeNull();
      }
      expect((await store.tickets.purge(now, 100)).removed).toBe(0);
      expect(await store.tickets.count('a')).toBe(3);
      for (const t of [forever, ...fresh]) expect(await store.tickets.peek('a', t.id, now)).not.toBeNull();
    });

    // ---- counting and purging ----------------------------------------------

    it('countTickets follows creates, uses, deletes and purges', async () => {
      expect(await store.tickets.count('nobody')).toBe(0);
      await putTenant('a');
      await putTenant('b');
      expect(await store.tickets.count('a')).toBe(0);

      const once = await create(ticket('a', { usesLeft: 1 }));
      const twice = await create(ticket('a', { usesLeft: 2 }));
      const expiring = await create(ticket('a', { expiresAt: t0 + MINUTE }));
      const deleted = await create(ticket('a'));
      await create(ticket('b', { expiresAt: t0 + MINUTE }));
      expect(await store.tickets.count('a')).toBe(4);
      expect(await store.tickets.count('b')).toBe(1);

      await store.tickets.use('a', once.id, t0);
      expect(await store.tickets.count('a')).toBe(3);
      await store.tickets.use('a', twice.id, t0);
      expect(await store.tickets.count('a')).toBe(3);
      await store.tickets.delete('a', deleted.id, t0);
      expect(await store.tickets.count('a')).toBe(2);
      // A failed use, delete or create changes nothing.
      await store.tickets.use('a', once.id, t0);
      await store.tickets.delete('a', deleted.id, t0);
      await store.tickets.delete('b', twice.id, t0);
      expect(await store.tickets.create(ticket('a'), 2, t0)).toBe('limit');
      expect(await store.tickets.count('a')).toBe(2);

      expect((await store.tickets.purge(t0 + MINUTE, 100)).removed).toBe(2);
      expect(await store.tickets.count('a')).toBe(1);
      expect(await store.tickets.count('b')).toBe(0);
      expect(await stored(expiring)).toBe(false);
      await store.tickets.use('a', twice.id, t0);
      expect(await store.tickets.count('a')).toBe(0);
    });

    it('purgeTickets removes only expired tickets, at most `limit` per call, oldest expiry first', async () => {
      await putTenant('a');
      await putTenant('b');
      const at = (m: number) => t0 + m * MINUTE;
      // Created out of expiry order, across two tenants.
      const e3 = await create(ticket('a', { expiresAt: at(3) }));
      const e1 = await create(ticket('b', { expiresAt: at(1), usesLeft: 4 }));
      const e5 = await create(ticket('a', { expiresAt: at(5) }));
      const e2 = await create(ticket('a', { expiresAt: at(2), payload: Buffer.from('x') }));
      const e4 = await create(ticket('b', { expiresAt: at(4) }));
      const e10 = await create(ticket('a', { expiresAt: at(10) }));
      const never = await create(ticket('b'));
      // Used up or deleted before they expired: nothing left to purge.
      const usedUp = await create(ticket('a', { expiresAt: at(0.5), usesLeft: 1 }));
      await store.tickets.use('a', usedUp.id, t0);
      const gone = await create(ticket('b', { expiresAt: at(0.5) }));
      await store.tickets.delete('b', gone.id, t0);

      expect((await store.tickets.purge(t0, 100)).removed).toBe(0);
      expect((await store.tickets.purge(at(1) - 1, 100)).removed).toBe(0);

      const now = at(5); // e1..e5 are expired (e5 exactly at now)
      expect((await store.tickets.purge(now, 2)).removed).toBe(2);
      expect([await stored(e1), await stored(e2), await stored(e3)]).toEqual([false, false, true]);
      expect(await store.tickets.count('a')).toBe(3);
      expect(await store.tickets.count('b')).toBe(2);

      expect((await store.tickets.purge(now, 2)).removed).toBe(2);
      expect([await stored(e3), await stored(e4), await stored(e5)]).toEqual([false, false, true]);
      expect(await store.tickets.count('a')).toBe(2);
      expect(await store.tickets.count('b')).toBe(1);

      expect((await store.tickets.purge(now, 2)).removed).toBe(1);
      expect(await stored(e5)).toBe(false);
      expect((await store.tickets.purge(now, 2)).removed).toBe(0);
      expect(await store.tickets.count('a')).toBe(1);
      expect(await store.tickets.count('b')).toBe(1);

      expect(await stored(e10)).toBe(true);
      expect(await stored(never)).toBe(true);
      expect((await store.tickets.purge(at(1000), 100)).removed).toBe(1);
      expect(await stored(never)).toBe(true);
      expect(await store.tickets.count('a')).toBe(0);
      expect(await store.tickets.count('b')).toBe(1);
    });

    it('purgeTickets with a large backlog: batches add up, counters stay right', async () => {
      await putTenant('a');
      await putTenant('b');
      for (let i = 0; i < 30; i++) {
        await create(ticket(i % 3 === 0 ? 'b' : 'a', { expiresAt: t0 + MINUTE + i }));
      }
      await create(ticket('a', { expiresAt: t0 + 2 * MINUTE }));
      const now = t0 + 2 * MINUTE - 1;
      const batches: number[] = [];
      const perTenant: Record<string, number> = {};
      for (;;) {
        const { removed, byTenant } = await store.tickets.purge(now, 7);
        batches.push(removed);
        expect(Object.values(byTenant).reduce((x, y) => x + y, 0)).toBe(removed);
        for (const [tenant, n] of Object.entries(byTenant)) perTenant[tenant] = (perTenant[tenant] ?? 0) + n;
        if (removed < 7) break;
      }
      expect(batches).toEqual([7, 7, 7, 7, 2]);
      // Every third ticket was b's: the purge says whose it removed.
      expect(perTenant).toEqual({ a: 20, b: 10 });
      expect(await store.tickets.count('a')).toBe(1);
      expect(await store.tickets.count('b')).toBe(0);
    });

    // ---- payloads ----------------------------------------------------------

    it('payload bytes round-trip exactly, including null', async () => {
      await putTenant('a');
      const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const payloads: (Buffer | null)[] = [
        null,
        Buffer.alloc(0),
        Buffer.from([0]),
        allBytes,
        Buffer.concat([allBytes, allBytes.subarray().reverse()]),
        Buffer.from('{"json":"with \\u0000 and ünïcödé"}', 'utf8'),
        randomBytes(64 * 1024),
      ];
      for (const payload of payloads) {
        const copy = payload === null ? null : Buffer.from(payload);
        const limited = await create(ticket('a', { usesLeft: 2, payload }));
        const unlimited = await create(ticket('a', { payload }));
        for (const t of [limited, unlimited, limited]) {
          const used = (await store.tickets.use('a', t.id, t0)) as UsedTicket;
          if (copy === null) {
            expect(used.payload).toBeNull();
          } else {
            expect(Buffer.isBuffer(used.payload)).toBe(true);
            expect((used.payload as Buffer).equals(copy)).toBe(true);
          }
        }
      }
    });

    // ---- races -------------------------------------------------------------

    it('race: 200 concurrent uses of a uses:5 ticket give exactly 5 successes (4, 3, 2, 1, 0)', async () => {
      await putTenant('a');
      const payload = Buffer.from('raced');
      const t = await create(ticket('a', { usesLeft: 5, payload }));
      const results = await Promise.all(Array.from({ length: 200 }, () => store.tickets.use('a', t.id, t0)));
      const ok = results.filter((r): r is UsedTicket => r !== null);
      expect(ok).toHaveLength(5);
      expect(ok.map((r) => r.usesLeft).sort()).toEqual([0, 1, 2, 3, 4]);
      for (const r of ok) expect(r.payload).toEqual(payload);
      expect(await store.tickets.peek('a', t.id, t0)).toBeNull();
      expect(await store.tickets.count('a')).toBe(0);
    });

    it('race: 50 concurrent creates against ticketMax 10 leave exactly 10 tickets', async () => {
      await putTenant('a', { ticketMax: 10 });
      const tickets = Array.from({ length: 50 }, () => ticket('a'));
      const results = await Promise.all(tickets.map((t) => store.tickets.create(t, 10, t0)));
      expect(results.filter((r) => r === 'created')).toHaveLength(10);
      expect(results.filter((r) => r === 'limit')).toHaveLength(40);
      expect(await store.tickets.count('a')).toBe(10);
      const alive = await Promise.all(tickets.map((t) => store.tickets.peek('a', t.id, t0)));
      expect(alive.map((p) => p !== null)).toEqual(results.map((r) => r === 'created'));
    });

    it('race: 50 concurrent creates against ticketMax 10 held by expired tickets leave exactly 10', async () => {
      await putTenant('a', { ticketMax: 10 });
      const old = [];
      for (let i = 0; i < 10; i++) old.push(await create(ticket('a', { expiresAt: t0 + MINUTE })));
      const now = t0 + MINUTE;
      const results = await Promise.all(Array.from({ length: 50 }, () => store.tickets.create(ticket('a'), 10, now)));
      expect(results.filter((r) => r === 'created')).toHaveLength(10);
      expect(await store.tickets.count('a')).toBe(10);
      for (const t of old) expect(await store.tickets.peek('a', t.id, now)).toBeNull();
      await store.tickets.purge(now, 100);
      expect(await store.tickets.count('a')).toBe(10);
    });

    it('race: of concurrent deletes exactly one returns a result', async () => {
      await putTenant('a');
      const t = await create(ticket('a', { usesLeft: 3 }));
      const results = await Promise.all(Array.from({ length: 20 }, () => store.tickets.delete('a', t.id, t0)));
      expect(results.filter((r) => r !== null)).toEqual([{ usesLeft: 3 }]);
      expect(await store.tickets.count('a')).toBe(0);

      const unlimited = await create(ticket('a'));
      const again = await Promise.all(Array.from({ length: 20 }, () => store.tickets.delete('a', unlimited.id, t0)));
      expect(again.filter((r) => r !== null)).toEqual([{ usesLeft: null }]);
      expect(await store.tickets.count('a')).toBe(0);
    });

    it('race: concurrent uses and deletes; every successful use happened before the one delete', async () => {
      await putTenant('a');
      const t = await create(ticket('a', { usesLeft: 5 }));
      const calls: Promise<{ kind: 'use' | 'delete'; left: number | null } | null>[] = [];
      for (let i = 0; i < 40; i++) {
        calls.push(
          i % 4 === 3
            ? store.tickets.delete('a', t.id, t0).then((r) => r && { kind: 'delete', left: r.usesLeft })
            : store.tickets.use('a', t.id, t0).then((r) => r && { kind: 'use', left: r.usesLeft }),
        );
      }
      const done = (await Promise.all(calls)).filter((r) => r !== null);
      const uses = done.filter((r) => r.kind === 'use').map((r) => r.left);
      const deletes = done.filter((r) => r.kind === 'delete').map((r) => r.left);
      expect(deletes.length).toBeLessThanOrEqual(1);
      expect(uses.sort().reverse()).toEqual([4, 3, 2, 1, 0].slice(0, uses.length));
      if (deletes.length === 1) expect(deletes[0]).toBe(5 - uses.length);
      else expect(uses).toHaveLength(5);
      expect(await store.tickets.count('a')).toBe(0);
    });

    it('race: concurrent purges remove each expired ticket once', async () => {
      await putTenant('a');
      for (let i = 0; i < 30; i++) await create(ticket('a', { expiresAt: t0 + MINUTE + i }));
      await create(ticket('a'));
      const now = t0 + 2 * MINUTE;
      const removed = (await Promise.all(Array.from({ length: 6 }, () => store.tickets.purge(now, 10)))).map(
        (r) => r.removed,
      );
      const more = (await store.tickets.purge(now, 100)).removed;
      expect(removed.reduce((a, b) => a + b, 0) + more).toBe(30);
      for (const n of removed) expect(n).toBeLessThanOrEqual(10);
      expect(await store.tickets.count('a')).toBe(1);
    });

    // ---- webhook endpoints -------------------------------------------------

    const endpoint = (
      id: string,
      tenant: string,
      fields: Partial<WebhookEndpointRecord> = {},
    ): WebhookEndpointRecord => ({
      id,
      tenant,
      url: `https://hooks.example.com/${id}`,
      events: ['ticket.created', 'ticket.used'],
      description: 'ünïcode and "quotes"',
      enabled: true,
      secret: 'sealed:k1.secret',
      previousSecret: null,
      previousUntil: null,
      createdOn: t0,
      updatedOn: t0,
      ...fields,
    });

    it('webhook endpoints: create, get, list per tenant oldest first, replace, delete', async () => {
      const a1 = endpoint('ep_a1', 'a', { createdOn: t0 + 2 });
      const a2 = endpoint('ep_a2', 'a', { createdOn: t0 + 1, events: ['*'], enabled: false });
      const b1 = endpoint('ep_b1', 'b', { createdOn: t0 });
      for (const e of [a1, a2, b1]) expect(await store.webhooks.create(e)).toBe('created');
      expect(await store.webhooks.create({ ...a1, url: 'https://other.example' })).toBe('exists');
      expect(await store.webhooks.get('ep_a1')).toEqual(a1);
      expect(await store.webhooks.get('ep_none')).toBeNull();
      expect((await store.webhooks.list('a')).map((e) => e.id)).toEqual(['ep_a2', 'ep_a1']);
      expect(await store.webhooks.list(null)).toEqual([b1, a2, a1]);
      expect(await store.webhooks.list('c')).toEqual([]);

      const rotated = {
        ...a1,
        secret: 'sealed:k1.new',
        previousSecret: 'sealed:k1.secret',
        previousUntil: t0 + 9,
        updatedOn: t0 + 5,
      };
      expect(await store.webhooks.replace(rotated)).toBe(true);
      expect(await store.webhooks.get('ep_a1')).toEqual(rotated);
      expect(await store.webhooks.replace(endpoint('ep_none', 'a'))).toBe(false);
      expect(await store.webhooks.get('ep_none')).toBeNull();

      expect(await store.webhooks.delete('ep_a1')).toBe(true);
      expect(await store.webhooks.delete('ep_a1')).toBe(false);
      expect((await store.webhooks.list(null)).map((e) => e.id)).toEqual(['ep_b1', 'ep_a2']);
    });

    // ---- the webhook outbox --------------------------------------------------

    const event = (id: string, tenant: string, type: string): OutboxEvent => ({
      id,
      tenant,
      type,
      body: JSON.stringify({ type, timestamp: new Date(t0).toISOString(), data: { tenant, ünï: '"x"' } }),
      createdAt: t0,
    });
    const ROUTES: Route[] = [
      { endpointId: 'ep_1', tenant: 'a', type: 'ticket.created' },
      { endpointId: 'ep_1', tenant: 'a', type: 'ticket.used' },
      { endpointId: 'ep_2', tenant: 'a', type: '*' },
      { endpointId: 'ep_3', tenant: 'b', type: '*' },
    ];
    const keyOf = (d: DeliveryRecord) => `${d.eventId}>${d.endpointId}`;

    it('outbox: fan-out makes one pending delivery per matching endpoint, takes each event once', async () => {
      await store.outbox.append(
        [
          event('msg_1', 'a', 'ticket.created'),
          event('msg_2', 'a', 'login.failed'),
          event('msg_3', 'c', 'ticket.used'),
        ],
        t0,
      );
      expect(await store.outbox.fanOut(2, ROUTES, t0)).toBe(2);
      expect(await store.outbox.fanOut(10, ROUTES, t0)).toBe(1);
      expect(await store.outbox.fanOut(10, ROUTES, t0)).toBe(0);
      const claimed = await store.outbox.claim(10, t0, 30_000);
      expect(claimed.map(keyOf).sort()).toEqual(['msg_1>ep_1', 'msg_1>ep_2', 'msg_2>ep_2']);
      const d = claimed.find((c) => keyOf(c) === 'msg_1>ep_1') as DeliveryRecord;
      expect(d).toEqual({
        eventId: 'msg_1',
        endpointId: 'ep_1',
        tenant: 'a',
        type: 'ticket.created',
        body: event('msg_1', 'a', 'ticket.created').body,
        status: 'pending',
        attempts: 1,
        nextAt: t0 + 30_000,
        lastStatus: null,
        lastError: null,
        createdAt: t0,
        updatedAt: t0,
      });
    });

    it('outbox: a claim leases; settle ends one attempt only; retries come due; done ones are purged', async () => {
      await store.outbox.append([event('msg_1', 'b', 'ticket.used')], t0);
      await store.outbox.fanOut(10, ROUTES, t0);
      const [first] = await store.outbox.claim(10, t0, 30_000);
      expect(first?.attempts).toBe(1);
      expect(await store.outbox.claim(10, t0 + 29_999, 30_000)).toEqual([]);
      // The lease ran out (the claimer died): claimed again, and the first claim can no longer settle.
      const [second] = await store.outbox.claim(10, t0 + 30_000, 30_000);
      expect(second?.attempts).toBe(2);
      const failed = { status: 'pending' as const, nextAt: t0 + 40_000, lastStatus: 500, lastError: 'HTTP 500' };
      expect(await store.outbox.settle(first as DeliveryRecord, failed, t0 + 30_001)).toBe(false);
      expect(await store.outbox.settle(second as DeliveryRecord, failed, t0 + 30_001)).toBe(true);
      expect(await store.outbox.claim(10, t0 + 39_999, 30_000)).toEqual([]);
      const [third] = await store.outbox.claim(10, t0 + 40_000, 30_000);
      expect(third).toMatchObject({ attempts: 3, lastStatus: 500, lastError: 'HTTP 500' });
      const ok = { status: 'delivered' as const, nextAt: t0 + 40_001, lastStatus: 204, lastError: null };
      expect(await store.outbox.settle(third as DeliveryRecord, ok, t0 + 40_001)).toBe(true);
      expect(await store.outbox.settle(third as DeliveryRecord, ok, t0 + 40_002)).toBe(false);
      expect(await store.outbox.claim(10, t0 + 10 * MINUTE, 30_000)).toEqual([]);
      expect(await store.outbox.listDeliveries('ep_3', 10)).toEqual([
        expect.objectContaining({
          eventId: 'msg_1',
          status: 'delivered',
          attempts: 3,
          lastStatus: 204,
          lastError: null,
        }),
      ]);
      expect(await store.outbox.purge(t0 + 40_001, 10)).toBe(0);
      expect(await store.outbox.purge(t0 + 40_002, 10)).toBe(1);
      expect(await store.outbox.listDeliveries('ep_3', 10)).toEqual([]);
    });

    it('outbox: concurrent claims never hand out one delivery twice', async () => {
      const events = Array.from({ length: 30 }, (_, i) => event(`msg_${i}`, 'a', 'ticket.used'));
      await store.outbox.append(events, t0);
      expect(await store.outbox.fanOut(100, ROUTES, t0)).toBe(30);
      const claims = await Promise.all(Array.from({ length: 6 }, () => store.outbox.claim(20, t0, 30_000)));
      const all = claims.flat().map(keyOf);
      expect(all).toHaveLength(60);
      expect(new Set(all).size).toBe(60);
    });

    /** The events the outbox holds now (fanned out to one endpoint that takes everything), by id. */
    const outboxIds = async (): Promise<string[]> => {
      while ((await store.outbox.fanOut(100, [{ endpointId: 'ep_all', tenant: 'a', type: '*' }], t0)) > 0);
      const claimed = await store.outbox.claim(1000, t0 + 10 * MINUTE, 1);
      return claimed.map((d) => d.eventId).sort();
    };

    it('ticket changes write their event in the same step, only when the change happens', async () => {
      await putTenant('a', { ticketMax: 2 });
      const one = ticket('a', { usesLeft: 1 });
      const two = ticket('a', { usesLeft: 5 });
      expect(await store.tickets.create(one, 2, t0, event('msg_c1', 'a', 'ticket.created'))).toBe('created');
      expect(await store.tickets.create(two, 2, t0, event('msg_c2', 'a', 'ticket.created'))).toBe('created');
      // At the limit: refused, and no event.
      expect(await store.tickets.create(ticket('a'), 2, t0, event('msg_c3', 'a', 'ticket.created'))).toBe('limit');
      expect(await store.tickets.use('a', one.id, t0, event('msg_u1', 'a', 'ticket.used'))).not.toBeNull();
      expect(await store.tickets.use('a', one.id, t0, event('msg_u2', 'a', 'ticket.used'))).toBeNull();
      expect(await store.tickets.use('b', two.id, t0, event('msg_u3', 'a', 'ticket.used'))).toBeNull();
      expect(await store.tickets.delete('a', two.id, t0, event('msg_d1', 'a', 'ticket.deleted'))).not.toBeNull();
      expect(await store.tickets.delete('a', two.id, t0, event('msg_d2', 'a', 'ticket.deleted'))).toBeNull();
      // Unlimited creates (batched on PostgreSQL) too.
      await Promise.all(
        [1, 2, 3].map((i) => store.tickets.create(ticket('a'), 0, t0, event(`msg_b${i}`, 'a', 'ticket.created'))),
      );
      expect(await outboxIds()).toEqual(['msg_b1', 'msg_b2', 'msg_b3', 'msg_c1', 'msg_c2', 'msg_d1', 'msg_u1']);
    });

    it('an app key rotation and grant changes write their events in the same step, only when they happen', async () => {
      await putTenant('a');
      const app = appRecord('a', 'com.example.app', t0);
      expect(await store.apps.create(app)).toBe('created');
      expect(
        await store.apps.setKey('com.example.none', 'k'.repeat(40), event('msg_k0', 'a', 'app.key_rotated')),
      ).toBeNull();
      expect(await store.apps.setKey(app.id, 'k'.repeat(40), event('msg_k1', 'a', 'app.key_rotated'))).toMatchObject({
        id: app.id,
        key: 'k'.repeat(40),
      });
      const grant = grantRecord(app, 'profile-1', t0);
      await store.grants.create(grant, event('msg_g1', 'a', 'grant.created'));
      expect(await store.grants.get(grant.id, t0)).toEqual(grant);
      expect(await store.grants.delete('no-such-grant', event('msg_r0', 'a', 'grant.revoked'))).toBe(false);
      expect(await store.grants.delete(grant.id, event('msg_r1', 'a', 'grant.revoked'))).toBe(true);
      expect(await outboxIds()).toEqual(['msg_g1', 'msg_k1', 'msg_r1']);
    });

    it('a session deleted writes its event in the same step, only when it was there', async () => {
      await putTenant('a');
      const s = sessionRecord('login', { tenant: 'a', id: 'profile-1' }, t0);
      await store.sessions.create(s);
      expect(await store.sessions.delete('login', s.id, event('msg_s1', 'a', 'session.ended'))).toBe(true);
      expect(await store.sessions.delete('login', s.id, event('msg_s2', 'a', 'session.ended'))).toBe(false);
      expect(await outboxIds()).toEqual(['msg_s1']);
    });

    it('ending every session of a profile writes its one event in the same step, sessions or not', async () => {
      await putTenant('a');
      const p = { tenant: 'a', id: 'profile-1' };
      await store.sessions.create(sessionRecord('login', p, t0));
      await store.sessions.create(sessionRecord('persistent', p, t0));
      expect(await store.sessions.deleteOfProfile('profile-1', event('msg_e1', 'a', 'session.ended'))).toBe(2);
      expect(await store.sessions.deleteOfProfile('profile-1', event('msg_e2', 'a', 'session.ended'))).toBe(0);
      expect(await store.sessions.deleteOfProfile('profile-1')).toBe(0);
      expect(await outboxIds()).toEqual(['msg_e1', 'msg_e2']);
    });

    it('the purge raises ticket.expired for each ticket it removed, as raise decides', async () => {
      await putTenant('a');
      await putTenant('b');
      const ta = await create(ticket('a', { expiresAt: t0 + MINUTE }));
      const tb = await create(ticket('b', { expiresAt: t0 + 2 * MINUTE }));
      await create(ticket('a', { expiresAt: t0 + 60 * MINUTE }));
      const seen: string[] = [];
      const purged = await store.tickets.purge(t0 + 5 * MINUTE, 100, (x) => {
        seen.push(`${x.tenant}:${x.id.toString('hex')}:${x.expiresAt}`);
        // Tenant b takes no event.
        return x.tenant === 'a' ? event(`msg_x_${x.id.toString('hex').slice(0, 8)}`, 'a', 'ticket.expired') : undefined;
      });
      expect(purged.removed).toBe(2);
      expect(purged.byTenant).toEqual({ a: 1, b: 1 });
      const expected = [`a:${ta.id.toString('hex')}:${t0 + MINUTE}`, `b:${tb.id.toString('hex')}:${t0 + 2 * MINUTE}`];
      expect(seen.sort()).toEqual(expected.sort());
      expect(purged.tickets.map((x) => x.tenant).sort()).toEqual(['a', 'b']);
      expect(await outboxIds()).toEqual([`msg_x_${ta.id.toString('hex').slice(0, 8)}`]);
    });

    it('concurrent uses with events: exactly as many events as uses taken', async () => {
      await putTenant('a');
      const t = await create(ticket('a', { usesLeft: 7 }));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.tickets.use('a', t.id, t0, event(`msg_${i}`, 'a', 'ticket.used'))),
      );
      const taken = results.flatMap((r, i) => (r ? [`msg_${i}`] : [])).sort();
      expect(taken).toHaveLength(7);
      expect(await outboxIds()).toEqual(taken);
    });

    it('audit log: newest first, filtered, paged by id, purged by age; kept when its tenant goes', async () => {
      await putTenant('a');
      const rec = (n: number, fields: Partial<AuditRecord> = {}): AuditRecord => ({
        id: `${String(t0 + n).padStart(13, '0')}-${String(n).padStart(6, '0')}`,
        at: t0 + n,
        actor: 'cli',
        address: null,
        action: 'tenant.create',
        tenant: 'a',
        target: `t${n}`,
        outcome: 'ok',
        ...fields,
      });
      for (const r of [
        rec(1),
        rec(2, { actor: 'token:12345678', address: '::1' }),
        rec(3, { tenant: null, action: 'app.delete' }),
      ]) {
        await store.audit.append(r);
      }
      expect(await store.audit.list({}, 10)).toEqual([
        rec(3, { tenant: null, action: 'app.delete' }),
        rec(2, { actor: 'token:12345678', address: '::1' }),
        rec(1),
      ]);
      expect((await store.audit.list({ tenant: 'a' }, 10)).map((r) => r.target)).toEqual(['t2', 't1']);
      expect((await store.audit.list({ actor: 'cli', action: 'tenant.create' }, 10)).map((r) => r.target)).toEqual([
        't1',
      ]);
      expect((await store.audit.list({ since: t0 + 2, until: t0 + 3 }, 10)).map((r) => r.target)).toEqual(['t2']);
      expect((await store.audit.list({ before: rec(3).id }, 1)).map((r) => r.target)).toEqual(['t2']);
      expect(await store.deleteTenant('a')).toBe(true);
      expect(await store.audit.list({}, 10)).toHaveLength(3);
      expect(await store.audit.purge(t0 + 3, 10)).toBe(2);
      expect((await store.audit.list({}, 10)).map((r) => r.target)).toEqual(['t3']);
    });

    it("deleteTenant removes the tenant's webhook endpoints, nobody else's", async () => {
      await putTenant('a');
      await putTenant('b');
      await store.webhooks.create(endpoint('ep_a', 'a'));
      await store.webhooks.create(endpoint('ep_b', 'b'));
      expect(await store.deleteTenant('a')).toBe(true);
      expect(await store.webhooks.get('ep_a')).toBeNull();
      expect((await store.webhooks.list(null)).map((e) => e.id)).toEqual(['ep_b']);
    });
  });
}
