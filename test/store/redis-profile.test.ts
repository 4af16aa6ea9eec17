import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import type { LoginFailure, ProfileRecord } from '../../src/store/profile-types.js';
import { RedisStore } from '../../src/store/redis/index.js';
import { LATEST_VERSION } from '../../src/store/redis/migrations.js';
import type { Store, TicketRecord } from '../../src/store/types.js';
import { runProfileStoreConformance } from './profile-conformance.js';

const REDIS_URL = process.env.TICKETD_TEST_REDIS_URL;

if (!REDIS_URL) {
  if (process.env.CI === 'true') {
    describe('profile store: redis', () => {
      it('runs under CI', () => {
        throw new Error('TICKETD_TEST_REDIS_URL is not set: under CI the Redis store must be tested');
      });
    });
  } else {
    console.warn('profile store: redis: skipped, set TICKETD_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run it');
    describe('profile store: redis', () => {
      it.skip('skipped: TICKETD_TEST_REDIS_URL is not set', () => {});
    });
  }
} else {
  redisProfileTests(REDIS_URL);
}

const MINUTE = 60_000;

function redisProfileTests(baseUrl: string): void {
  /** Reads and deletes test keys; never FLUSHDB: other runs share this Redis. */
  const admin = new Redis(baseUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  afterAll(async () => {
    await admin.quit();
  });

  const newPrefix = () => `ticketd-test:${randomBytes(8).toString('hex')}:`;

  const urlFor = (prefix: string, params: Record<string, string> = {}): string => {
    const url = new URL(baseUrl);
    url.searchParams.set('prefix', prefix);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  };

  const glob = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

  /** Every key under the prefix (SCAN: tests only). */
  const keysOf = async (prefix: string): Promise<string[]> => {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${glob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
    return out.sort();
  };

  const deletePrefix = async (prefix: string): Promise<void> => {
    const keys = await keysOf(prefix);
    if (keys.length > 0) await admin.del(...keys);
  };

  const destroy = async (store: Store): Promise<void> => {
    await store.close();
    await deletePrefix((store as RedisStore).options.prefix);
  };

  runProfileStoreConformance({
    name: 'redis',
    open: async () => new RedisStore(urlFor(newPrefix())),
    destroy,
  });

  describe('redis profile store', () => {
    const opened: RedisStore[] = [];
    const open = (prefix: string, params: Record<string, string> = {}): RedisStore => {
      const store = new RedisStore(urlFor(prefix, params));
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await destroy(store);
    });

    const putTenant = (store: Store, name: string) =>
      store.putTenant({ name, settings: withDefaults({}), createdAt: Date.now() });

    const profile = (tenant: string, username: string, now: number): ProfileRecord => ({
      id: randomBytes(12).toString('hex'),
      tenant,
      username,
      email: `${username}@example.com`,
      passwordHash: 'scrypt$N=16384,r=8,p=1$c2FsdA$aGFzaA',
      enabled: true,
      verified: false,
      roles: ['SOCIAL_USER'],
      attributes: {},
      createdOn: now,
      lastModified: now,
      failedLoginAttempts: 0,
      lastFailedLogin: null,
      lockedUntil: null,
    });

    const ticket = (tenant: string, now: number, fields: Partial<TicketRecord> = {}): TicketRecord => ({
      tenant,
      id: randomBytes(32),
      usesLeft: null,
      expiresAt: null,
      createdAt: now,
      payload: null,
      ...fields,
    });

    /** The ref (profile-scripts.ts) under which a session is indexed. */
    const refOf = (id: Buffer, tenant: string, profileId: string) =>
      `${id.toString('hex')}:${Buffer.byteLength(tenant)}:${tenant}${profileId}`;

    it('two connections (as two processes) racing: failures count exactly, one username is created once', async () => {
      const prefix = newPrefix();
      const [a, b] = [open(prefix), open(prefix)];
      await Promise.all([a.migrate(), b.migrate()]);
      await putTenant(a, 't');
      const now = Date.now();
      const p = profile('t', 'ada', now);
      expect(await a.createProfile(p)).toBe('created');

      const lockAfter = 50;
      const failures = (await Promise.all(
        Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? a : b).recordLoginFailure(p.id, now, lockAfter, MINUTE)),
      )) as LoginFailure[];
      expect(failures.map((f) => f.failedLoginAttempts).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 120 }, (_, i) => i + 1),
      );
      for (const f of failures) {
        expect(f.lockedUntil).toBe(f.failedLoginAttempts >= lockAfter ? now + MINUTE : null);
      }
      expect(await b.getProfile(p.id)).toMatchObject({ failedLoginAttempts: 120, lockedUntil: now + MINUTE });

      const candidates = Array.from({ length: 40 }, () => profile('t', 'zoe', now));
      const created = await Promise.all(candidates.map((c, i) => (i % 2 === 0 ? a : b).createProfile(c)));
      expect(created.filter((r) => r === 'created')).toHaveLength(1);
      const winner = candidates[created.indexOf('created')] as ProfileRecord;
      expect(await b.getProfileByUsername('t', 'zoe')).toEqual(winner);
      expect(await a.countProfiles('t')).toBe(2);
      expect((await a.listProfiles('t', 0, 10)).map((x) => x.id)).toEqual([p.id, winner.id]);
      // The losers left nothing behind.
      for (const c of candidates) if (c !== winner) expect(await admin.exists(`${prefix}profile:${c.id}`)).toBe(0);
    });

    it('sessions expire natively after expiresAt - now + grace, relative to any caller clock; a slide renews it', async () => {
      const prefix = newPrefix();
      const store = open(prefix, { expiryGraceMs: '1000' });
      await store.migrate();
      await putTenant(store, 't');
      for (const now of [Date.UTC(2001, 0, 1), Date.UTC(2090, 0, 1)]) {
        const p = profile('t', `u${now}`, now);
        await store.createProfile(p);
        const t = { id: randomBytes(32), tenant: 't', profileId: p.id, lastRequestTime: now, expiresAt: now + MINUTE };
        await store.createLoginTicket(t);
        const key = `${prefix}login-ticket:${t.id.toString('hex')}`;
        const pttl = await admin.pttl(key);
        expect(pttl).toBeGreaterThan(MINUTE - 5_000);
        expect(pttl).toBeLessThanOrEqual(MINUTE + 1_000);
        expect(await store.getLoginTicket(t.id, now + MINUTE - 1)).not.toBeNull();
        expect(await store.getLoginTicket(t.id, now + MINUTE)).toBeNull();

        // Touch: native expiry and the purge index follow the new expiresAt.
        const later = now + MINUTE / 2;
        expect(await store.touchLoginTicket(t.id, later, 10 * MINUTE)).toMatchObject({
          expiresAt: later + 10 * MINUTE,
        });
        expect(await admin.pttl(key)).toBeGreaterThan(10 * MINUTE - 5_000);
        const ref = refOf(t.id, 't', p.id);
        expect(Number(await admin.zscore(`${prefix}login-ticket-expiry`, ref))).toBe(later + 10 * MINUTE);

        const l = {
          id: randomBytes(32),
          tenant: 't',
          profileId: p.id,
          token: randomBytes(16),
          timestamp: now,
          expiresAt: now + 60 * MINUTE,
        };
        await store.createPersistentLogin(l);
        const lkey = `${prefix}persistent-login:${l.id.toString('hex')}`;
        expect(await admin.pttl(lkey)).toBeGreaterThan(60 * MINUTE - 5_000);
        expect(await admin.pttl(lkey)).toBeLessThanOrEqual(60 * MINUTE + 1_000);
        expect(await store.refreshPersistentLogin(l.id, randomBytes(16), now + 1, now + 1 + 5 * MINUTE)).not.toBeNull();
        expect(await admin.pttl(lkey)).toBeLessThanOrEqual(5 * MINUTE + 1_000);
        expect(Number(await admin.zscore(`${prefix}persistent-login-expiry`, refOf(l.id, 't', p.id)))).toBe(
          now + 1 + 5 * MINUTE,
        );
      }
    });

    it('a session Redis expired natively stays indexed until the purge or a cascade removes it everywhere', async () => {
      const prefix = newPrefix();
      const store = open(prefix, { expiryGraceMs: '20' });
      await store.migrate();
      await putTenant(store, 't');
      let now = Date.now();
      const p = profile('t', 'ada', now);
      await store.createProfile(p);
      const t = { id: randomBytes(32), tenant: 't', profileId: p.id, lastRequestTime: now, expiresAt: now + 50 };
      const l = { ...t, id: randomBytes(32), token: randomBytes(8), timestamp: now };
      await store.createLoginTicket(t);
      await store.createPersistentLogin(l);
      const hashes = [
        `${prefix}login-ticket:${t.id.toString('hex')}`,
        `${prefix}persistent-login:${l.id.toString('hex')}`,
      ];
      const deadline = Date.now() + 5_000;
      while ((await admin.exists(...hashes)) > 0) {
        if (Date.now() > deadline) throw new Error('Redis did not expire the sessions');
        await new Promise((r) => setTimeout(r, 20));
      }
      now = Date.now();
      expect(await store.getLoginTicket(t.id, now)).toBeNull();
      expect(await store.touchLoginTicket(t.id, now, MINUTE)).toBeNull();
      expect(await store.getPersistentLogin(l.id, now)).toBeNull();
      // Its hash is gone: nothing to delete by id; the refs wait for the purge.
      expect(await store.deleteLoginTicket(t.id)).toBe(false);
      const indexes = (kind: string) => [
        `${prefix}${kind}-expiry`,
        `${prefix}profile-${kind}s:${p.id}`,
        `${prefix}tenant-${kind}s:t`,
      ];
      expect(await admin.exists(...indexes('login-ticket'))).toBe(3);
      expect(await store.purgeLoginTickets(now, 100)).toBe(1);
      expect(await admin.exists(...indexes('login-ticket'))).toBe(0);
      // A cascade counts and removes an expired, unpurged one too.
      expect(await admin.exists(...indexes('persistent-login'))).toBe(3);
      expect(await store.deletePersistentLoginsOfProfile(p.id)).toBe(1);
      expect(await admin.exists(...indexes('persistent-login'))).toBe(0);
      expect(await store.purgePersistentLogins(now, 100)).toBe(0);
    });

    it('the ticket counter equals expiry ZSET + forever SET; deletes leave no key behind', async () => {
      const prefix = newPrefix();
      const store = open(prefix);
      await store.migrate();
      await putTenant(store, 't');
      await putTenant(store, 'u');
      const now = Date.now();
      const forever = Array.from({ length: 6 }, (_, i) => ticket('t', now, { usesLeft: i % 2 === 0 ? 1 : null }));
      const expiring = Array.from({ length: 6 }, () => ticket('t', now, { expiresAt: now + MINUTE, usesLeft: 1 }));
      for (const x of [...forever, ...expiring]) expect(await store.createTicket(x, 0, now)).toBe('created');
      const invariant = async (tenant: string) => {
        const counter = Number((await admin.hget(`${prefix}tenant:${tenant}`, 'tickets')) ?? '0');
        const indexed =
          (await admin.zcard(`${prefix}expiry:${tenant}`)) + (await admin.scard(`${prefix}forever:${tenant}`));
        expect(indexed).toBe(counter);
        expect(await store.countTickets(tenant)).toBe(counter);
        return counter;
      };
      expect(await invariant('t')).toBe(12);
      // Used up (uses: 1), deleted, purged: each leaves its index.
      for (const x of [forever[0], forever[2], expiring[0]])
        expect(await store.useTicket('t', (x as TicketRecord).id, now)).not.toBeNull();
      expect(await store.deleteTicket('t', (forever[1] as TicketRecord).id, now)).toEqual({ usesLeft: null });
      expect(await store.deleteTicket('t', (expiring[1] as TicketRecord).id, now)).toEqual({ usesLeft: 1 });
      expect(await store.useTicket('t', (forever[3] as TicketRecord).id, now)).toEqual({
        usesLeft: null,
        payload: null,
      });
      expect(await invariant('t')).toBe(7);
      expect(await store.purgeTickets(now + MINUTE, 100)).toBe(4);
      expect(await invariant('t')).toBe(3);
      expect(await admin.smembers(`${prefix}forever:t`)).toHaveLength(3);

      // Everything of both tenants, then deletes: only the schema (and the global values) stay.
      for (const tenant of ['t', 'u']) {
        const p = profile(tenant, 'ada', now);
        const q = profile(tenant, 'bob', now);
        for (const x of [p, q]) expect(await store.createProfile(x)).toBe('created');
        for (const x of [p, q]) {
          await store.createLoginTicket({
            id: randomBytes(32),
            tenant,
            profileId: x.id,
            lastRequestTime: now,
            expiresAt: now + MINUTE,
          });
          await store.createPersistentLogin({
            id: randomBytes(32),
            tenant,
            profileId: x.id,
            token: randomBytes(8),
            timestamp: now,
            expiresAt: now + MINUTE,
          });
        }
        expect(await store.createTicket(ticket(tenant, now, { expiresAt: now + MINUTE }), 0, now)).toBe('created');
        expect(await store.createTicket(ticket(tenant, now), 0, now)).toBe('created');
        expect(await store.deleteProfile(q.id)).toBe(true);
      }
      await store.putMetaIfAbsent('k', 'v');
      expect(await store.deleteTenant('t')).toBe(true);
      expect(await store.deleteTenant('u')).toBe(true);
      expect((await keysOf(prefix)).map((k) => k.slice(prefix.length))).toEqual(['meta', 'schema']);
    });

    it('migration 2 indexes the never-expiring tickets of a version-1 store, and only its own', async () => {
      // Two deployments whose prefixes a glob would confuse: `a*:` matches `ab:` unescaped.
      const base = newPrefix();
      const [a, b] = [open(`${base}a*:`), open(`${base}ab:`)];
      for (const s of [a, b]) {
        await s.migrate();
        await putTenant(s, 't');
      }
      const now = Date.now();
      const mine = [ticket('t', now), ticket('t', now, { usesLeft: 3 })];
      const expiring = ticket('t', now, { expiresAt: now + MINUTE });
      for (const x of [...mine, expiring]) expect(await a.createTicket(x, 0, now)).toBe('created');
      expect(await b.createTicket(ticket('t', now), 0, now)).toBe('created');

      // Back to the version-1 layout: no forever SETs.
      await admin.del(`${base}a*:forever:t`, `${base}ab:forever:t`);
      await admin.set(`${base}a*:schema`, '1');
      await a.migrate();
      expect(await a.schemaVersion()).toBe(LATEST_VERSION);
      expect((await admin.smembers(`${base}a*:forever:t`)).sort()).toEqual(
        mine.map((x) => x.id.toString('hex')).sort(),
      );
      expect(await admin.exists(`${base}ab:forever:t`)).toBe(0);
      await a.migrate();
      expect(await admin.scard(`${base}a*:forever:t`)).toBe(2);

      expect(await a.deleteTenant('t')).toBe(true);
      expect((await keysOf(`${base}a*:`)).map((k) => k.slice(base.length + 3))).toEqual(['schema']);
      expect(await b.countTickets('t')).toBe(1);
    });
  });
}
