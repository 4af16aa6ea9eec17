/**
 * The Redis store against the server at TICKETD_TEST_REDIS_URL (e.g.
 * redis://127.0.0.1:6379): the conformance suites of every part of `Store`,
 * then races between two store instances (two connections, as two processes
 * would have) and what only this backend has (native expiry relative to the
 * caller's clock, counters and indexes that leave no key behind,
 * deleteTenant's cascade, migrations, outages). Every store lives under its
 * own random key prefix, whose keys are deleted afterwards (SCAN, never
 * FLUSHDB: other runs share this Redis). Without the variable the tests are
 * skipped with a message, except under CI (CI=true), where that fails.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { RedisStore } from '../../src/store/redis/index.js';
import { LATEST_VERSION } from '../../src/store/redis/migrations.js';
import { nonceDigest } from '../../src/store/redis/nonces.js';
import type { LoginFailure, ProfileRecord } from '../../src/store/types.js';
import { type Store, StoreUnavailableError, type TicketRecord } from '../../src/store/types.js';
import { deleteRedisPrefix, freshRedis, newRedisPrefix, redisKeys, redisUrl, serverUrl } from '../helpers/backends.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { freshTarget, runStoreConformance } from './conformance.js';
import { runOzStoreConformance } from './oz-conformance.js';
import { runPairConformance } from './pair-conformance.js';
import { runProfileStoreConformance } from './profile-conformance.js';
import { appRecord, grantRecord, profileRecord, sessionRecord, ticketRecord } from './records.js';

const baseUrl = serverUrl('redis', 'store');
if (baseUrl) defineRedisTests(baseUrl);

const MINUTE = 60_000;

function defineRedisTests(base: string): void {
  /** Reads and deletes test keys. */
  const admin = new Redis(base, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  afterAll(async () => {
    await admin.quit();
  });
  const deletePrefix = async (prefix: string): Promise<void> => {
    await deleteRedisPrefix(admin, prefix);
  };

  const target = freshTarget('redis', () => {
    const { url, prefix } = freshRedis(base);
    return { store: new RedisStore(url), cleanup: () => deletePrefix(prefix) };
  });

  runStoreConformance(target);
  runProfileStoreConformance(target);
  runOzStoreConformance(target);
  runPairConformance({
    name: 'redis',
    openPair: async () => {
      const { url, prefix } = freshRedis(base);
      return [target.track(new RedisStore(url), () => deletePrefix(prefix)), new RedisStore(url)];
    },
    destroyPair: async ([a, b]) => {
      await b.close();
      await target.destroy(a);
    },
  });

  describe('redis store', () => {
    const opened: RedisStore[] = [];
    /** A store on `prefix` (stores of one case may share one), on the Redis at `server`. */
    const open = (prefix: string, params: Record<string, string> = {}, server = base): RedisStore => {
      const store = target.track(new RedisStore(redisUrl(server, prefix, params)), () => deletePrefix(prefix));
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await target.destroy(store);
    });
    const keysOf = (prefix: string) => redisKeys(admin, prefix);
    /** Waits until Redis itself has dropped every one of the keys (native expiry). */
    const nativelyExpired = async (...keys: string[]): Promise<void> => {
      const deadline = Date.now() + 5_000;
      while ((await admin.exists(...keys)) > 0) {
        if (Date.now() > deadline) throw new Error(`Redis did not expire ${keys.join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    const putTenant = (store: Store, name: string, ticketMax = 0) =>
      store.tenants.put({ name, settings: withDefaults({ ticketMax }), createdAt: Date.now() });

    /** The ref (profile-scripts.ts) under which a session is indexed. */
    const refOf = (id: Buffer, tenant: string, profileId: string) =>
      `${id.toString('hex')}:${Buffer.byteLength(tenant)}:${tenant}${profileId}`;

    // ---- tickets

    it('a ticket whose native TTL elapsed stays counted until purge or reclaim, then the counter is right', async () => {
      const prefix = newRedisPrefix();
      const store = open(prefix, { expiryGraceMs: '20' });
      await store.migrate();
      await putTenant(store, 't');
      const ttl = 50;
      let now = Date.now();
      const gone = ticketRecord('t', now, { usesLeft: 3, expiresAt: now + ttl });
      const reclaimed = ticketRecord('t', now, { expiresAt: now + ttl });
      const forever = ticketRecord('t', now);
      for (const t of [gone, reclaimed, forever]) expect(await store.tickets.create(t, 0, now)).toBe('created');
      expect(await store.tickets.count('t')).toBe(3);

      // Wait until Redis itself has dropped both expiring hashes.
      const keys = [gone, reclaimed].map((t) => `${prefix}ticket:${t.id.toString('hex')}`);
      await nativelyExpired(...keys);
      now = Date.now();
      // Expired but not purged: still counted, never returned.
      expect(await store.tickets.count('t')).toBe(3);
      expect(await store.tickets.use('t', gone.id, now)).toBeNull();
      expect(await store.tickets.peek('t', reclaimed.id, now)).toBeNull();

      // At the limit, a natively expired ticket is reclaimed through the index.
      const limitIndex = `${prefix}expiry:t`;
      expect(await store.tickets.create(ticketRecord('t', now), 3, now)).toBe('created');
      expect(await store.tickets.count('t')).toBe(2);
      expect(await admin.zcard(limitIndex)).toBe(0);
      expect((await store.tickets.purge(now, 100)).removed).toBe(0);
      expect(await store.tickets.count('t')).toBe(2);

      // And purge uncounts one whose hash Redis already dropped.
      const later = ticketRecord('t', now, { expiresAt: now + ttl });
      expect(await store.tickets.create(later, 0, now)).toBe('created');
      expect(await store.tickets.count('t')).toBe(3);
      const key = `${prefix}ticket:${later.id.toString('hex')}`;
      await nativelyExpired(key);
      expect((await store.tickets.purge(Date.now(), 100)).removed).toBe(1);
      expect(await store.tickets.count('t')).toBe(2);
      expect(await admin.exists(limitIndex, `${prefix}expiry-tenants`)).toBe(0);
      expect(await store.tickets.peek('t', forever.id, Date.now())).not.toBeNull();
    });

    it('native expiry is relative: a caller clock far from real time still gets expiresAt - now + grace', async () => {
      const prefix = newRedisPrefix();
      const store = open(prefix, { expiryGraceMs: '1000' });
      await store.migrate();
      await putTenant(store, 't');
      for (const now of [Date.UTC(2001, 0, 1), Date.UTC(2090, 0, 1)]) {
        const t = ticketRecord('t', now, { expiresAt: now + 60_000 });
        expect(await store.tickets.create(t, 0, now)).toBe('created');
        const pttl = await admin.pttl(`${prefix}ticket:${t.id.toString('hex')}`);
        expect(pttl).toBeGreaterThan(55_000);
        expect(pttl).toBeLessThanOrEqual(61_000);
        expect(await store.tickets.peek('t', t.id, now + 59_999)).not.toBeNull();
        expect(await store.tickets.peek('t', t.id, now + 60_000)).toBeNull();
      }
    });

    it('prefixes isolate stores sharing one Redis', async () => {
      const [a, b] = [open(newRedisPrefix()), open(newRedisPrefix())];
      await a.migrate();
      await putTenant(a, 't');
      const now = Date.now();
      const t = ticketRecord('t', now);
      expect(await a.tickets.create(t, 0, now)).toBe('created');
      expect(await b.schemaVersion()).toBe(0);
      expect(await b.tenants.list()).toEqual([]);
      expect(await b.tickets.peek('t', t.id, now)).toBeNull();
      expect(await b.tickets.count('t')).toBe(0);
    });

    it('rejects quickly with StoreUnavailableError when Redis cannot be reached, and after close()', async () => {
      const unreachable = new RedisStore(redisUrl('redis://127.0.0.1:1', newRedisPrefix(), { timeoutMs: '500' }));
      try {
        const started = Date.now();
        await expect(unreachable.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(unreachable.tickets.use('t', randomBytes(32), started)).rejects.toBeInstanceOf(
          StoreUnavailableError,
        );
        expect(Date.now() - started).toBeLessThan(1_500);
      } finally {
        await unreachable.close();
      }

      const closed = open(newRedisPrefix());
      await closed.ping();
      await closed.close();
      await expect(closed.tickets.count('t')).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it('fails fast while the connection is down and reconnects by itself when Redis is back', async () => {
      const server = new URL(base);
      const proxy = await TcpProxy.start(server.hostname, Number(server.port || 6379));
      try {
        const store = open(newRedisPrefix(), { timeoutMs: '500' }, proxy.rewrite(base));
        await store.migrate();
        await putTenant(store, 't');
        expect(await store.tickets.count('t')).toBe(0);

        await proxy.close();
        const started = Date.now();
        await expect(store.tickets.count('t')).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(1_500);

        await proxy.open();
        const deadline = Date.now() + 5_000;
        for (;;) {
          try {
            await store.ping();
            break;
          } catch (err) {
            expect(err).toBeInstanceOf(StoreUnavailableError);
            if (Date.now() > deadline) throw err;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        const now = Date.now();
        expect(await store.tickets.create(ticketRecord('t', now), 0, now)).toBe('created');
        expect(await store.tickets.count('t')).toBe(1);
      } finally {
        await proxy.close();
      }
    });

    // ---- profiles

    it('two connections (as two processes) racing: failures count exactly, one username is created once', async () => {
      const prefix = newRedisPrefix();
      const [a, b] = [open(prefix), open(prefix)];
      await Promise.all([a.migrate(), b.migrate()]);
      await putTenant(a, 't');
      const now = Date.now();
      const p = profileRecord('t', 'ada', now);
      expect(await a.profiles.create(p)).toBe('created');

      const lockAfter = 50;
      const failures = (await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          (i % 2 === 0 ? a : b).profiles.recordLoginFailure(p.id, now, lockAfter, MINUTE),
        ),
      )) as LoginFailure[];
      expect(failures.map((f) => f.failedLoginAttempts).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 120 }, (_, i) => i + 1),
      );
      for (const f of failures) {
        expect(f.lockedUntil).toBe(f.failedLoginAttempts >= lockAfter ? now + MINUTE : null);
      }
      expect(await b.profiles.get(p.id)).toMatchObject({ failedLoginAttempts: 120, lockedUntil: now + MINUTE });

      const candidates = Array.from({ length: 40 }, () => profileRecord('t', 'zoe', now));
      const created = await Promise.all(candidates.map((c, i) => (i % 2 === 0 ? a : b).profiles.create(c)));
      expect(created.filter((r) => r === 'created')).toHaveLength(1);
      const winner = candidates[created.indexOf('created')] as ProfileRecord;
      expect(await b.profiles.getByUsername('t', 'zoe')).toEqual(winner);
      expect(await a.profiles.count('t')).toBe(2);
      expect((await a.profiles.list('t', 0, 10)).map((x) => x.id)).toEqual([p.id, winner.id]);
      // The losers left nothing behind.
      for (const c of candidates) if (c !== winner) expect(await admin.exists(`${prefix}profile:${c.id}`)).toBe(0);
    });

    it('sessions expire natively after expiresAt - now + grace, relative to any caller clock; a slide renews it', async () => {
      const prefix = newRedisPrefix();
      const store = open(prefix, { expiryGraceMs: '1000' });
      await store.migrate();
      await putTenant(store, 't');
      for (const now of [Date.UTC(2001, 0, 1), Date.UTC(2090, 0, 1)]) {
        const p = profileRecord('t', `u${now}`, now);
        await store.profiles.create(p);
        const t = sessionRecord('login', p, now, { expiresAt: now + MINUTE });
        await store.sessions.create(t);
        const key = `${prefix}login-ticket:${t.id.toString('hex')}`;
        const pttl = await admin.pttl(key);
        expect(pttl).toBeGreaterThan(MINUTE - 5_000);
        expect(pttl).toBeLessThanOrEqual(MINUTE + 1_000);
        expect(await store.sessions.get('login', t.id, now + MINUTE - 1)).not.toBeNull();
        expect(await store.sessions.get('login', t.id, now + MINUTE)).toBeNull();

        // Touch: native expiry and the purge index follow the new expiresAt.
        const later = now + MINUTE / 2;
        expect(await store.sessions.touch('login', t.id, later, later + 10 * MINUTE)).toMatchObject({
          expiresAt: later + 10 * MINUTE,
        });
        expect(await admin.pttl(key)).toBeGreaterThan(10 * MINUTE - 5_000);
        const ref = refOf(t.id, 't', p.id);
        expect(Number(await admin.zscore(`${prefix}login-ticket-expiry`, ref))).toBe(later + 10 * MINUTE);

        const l = sessionRecord('persistent', p, now, { expiresAt: now + 60 * MINUTE });
        await store.sessions.create(l);
        const lkey = `${prefix}persistent-login:${l.id.toString('hex')}`;
        expect(await admin.pttl(lkey)).toBeGreaterThan(60 * MINUTE - 5_000);
        expect(await admin.pttl(lkey)).toBeLessThanOrEqual(60 * MINUTE + 1_000);
        expect(
          await store.sessions.touch('persistent', l.id, now + 1, now + 1 + 5 * MINUTE, randomBytes(16)),
        ).not.toBeNull();
        expect(await admin.pttl(lkey)).toBeLessThanOrEqual(5 * MINUTE + 1_000);
        expect(Number(await admin.zscore(`${prefix}persistent-login-expiry`, refOf(l.id, 't', p.id)))).toBe(
          now + 1 + 5 * MINUTE,
        );
      }
    });

    it('a session Redis expired natively stays indexed until the purge or a cascade removes it everywhere', async () => {
      const prefix = newRedisPrefix();
      const store = open(prefix, { expiryGraceMs: '20' });
      await store.migrate();
      await putTenant(store, 't');
      let now = Date.now();
      const p = profileRecord('t', 'ada', now);
      await store.profiles.create(p);
      const t = sessionRecord('login', p, now, { expiresAt: now + 50 });
      const l = sessionRecord('persistent', p, now, { expiresAt: now + 50 });
      await store.sessions.create(t);
      await store.sessions.create(l);
      const hashes = [
        `${prefix}login-ticket:${t.id.toString('hex')}`,
        `${prefix}persistent-login:${l.id.toString('hex')}`,
      ];
      await nativelyExpired(...hashes);
      now = Date.now();
      expect(await store.sessions.get('login', t.id, now)).toBeNull();
      expect(await store.sessions.touch('login', t.id, now, now + MINUTE)).toBeNull();
      expect(await store.sessions.get('persistent', l.id, now)).toBeNull();
      // Its hash is gone: nothing to delete by id; the refs wait for the purge.
      expect(await store.sessions.delete('login', t.id)).toBe(false);
      const indexes = (kind: string) => [
        `${prefix}${kind}-expiry`,
        `${prefix}profile-${kind}s:${p.id}`,
        `${prefix}tenant-${kind}s:t`,
      ];
      expect(await admin.exists(...indexes('login-ticket'))).toBe(3);
      expect(await store.sessions.purge(now, 1)).toBe(1);
      expect(await admin.exists(...indexes('login-ticket'))).toBe(0);
      // A cascade counts and removes an expired, unpurged one too.
      expect(await admin.exists(...indexes('persistent-login'))).toBe(3);
      expect(await store.sessions.deleteOfProfile(p.id)).toBe(1);
      expect(await admin.exists(...indexes('persistent-login'))).toBe(0);
      expect(await store.sessions.purge(now, 100)).toBe(0);
    });

    it('the ticket counter equals expiry ZSET + forever SET; deletes leave no key behind', async () => {
      const prefix = newRedisPrefix();
      const store = open(prefix);
      await store.migrate();
      await putTenant(store, 't');
      await putTenant(store, 'u');
      const now = Date.now();
      const forever = Array.from({ length: 6 }, (_, i) => ticketRecord('t', now, { usesLeft: i % 2 === 0 ? 1 : null }));
      const expiring = Array.from({ length: 6 }, () =>
        ticketRecord('t', now, { expiresAt: now + MINUTE, usesLeft: 1 }),
      );
      for (const x of [...forever, ...expiring]) expect(await store.tickets.create(x, 0, now)).toBe('created');
      const invariant = async (tenant: string) => {
        const counter = Number((await admin.hget(`${prefix}tenant:${tenant}`, 'tickets')) ?? '0');
        const indexed =
          (await admin.zcard(`${prefix}expiry:${tenant}`)) + (await admin.scard(`${prefix}forever:${tenant}`));
        expect(indexed).toBe(counter);
        expect(await store.tickets.count(tenant)).toBe(counter);
        return counter;
      };
      expect(await invariant('t')).toBe(12);
      // Used up (uses: 1), deleted, purged: each leaves its index.
      for (const x of [forever[0], forever[2], expiring[0]])
        expect(await store.tickets.use('t', (x as TicketRecord).id, now)).not.toBeNull();
      expect(await store.tickets.delete('t', (forever[1] as TicketRecord).id, now)).toEqual({ usesLeft: null });
      expect(await store.tickets.delete('t', (expiring[1] as TicketRecord).id, now)).toEqual({ usesLeft: 1 });
      expect(await store.tickets.use('t', (forever[3] as TicketRecord).id, now)).toEqual({
        usesLeft: null,
        payload: null,
      });
      expect(await invariant('t')).toBe(7);
      expect((await store.tickets.purge(now + MINUTE, 100)).removed).toBe(4);
      expect(await invariant('t')).toBe(3);
      expect(await admin.smembers(`${prefix}forever:t`)).toHaveLength(3);

      // Everything of both tenants, then deletes: only the schema (and the global values) stay.
      for (const tenant of ['t', 'u']) {
        const p = profileRecord(tenant, 'ada', now);
        const q = profileRecord(tenant, 'bob', now);
        for (const x of [p, q]) expect(await store.profiles.create(x)).toBe('created');
        for (const x of [p, q]) {
          await store.sessions.create(sessionRecord('login', x, now, { expiresAt: now + MINUTE }));
          await store.sessions.create(sessionRecord('persistent', x, now, { expiresAt: now + MINUTE }));
        }
        expect(await store.tickets.create(ticketRecord(tenant, now, { expiresAt: now + MINUTE }), 0, now)).toBe(
          'created',
        );
        expect(await store.tickets.create(ticketRecord(tenant, now), 0, now)).toBe('created');
        expect(await store.profiles.delete(q.id)).toBe(true);
      }
      await store.meta.putIfAbsent('k', 'v');
      expect(await store.deleteTenant('t')).toBe(true);
      expect(await store.deleteTenant('u')).toBe(true);
      expect((await keysOf(prefix)).map((k) => k.slice(prefix.length))).toEqual(['meta', 'schema']);
    });

    it('migration 2 indexes the never-expiring tickets of a version-1 store, and only its own', async () => {
      // Two deployments whose prefixes a glob would confuse: `a*:` matches `ab:` unescaped.
      const base = newRedisPrefix();
      const [a, b] = [open(`${base}a*:`), open(`${base}ab:`)];
      for (const s of [a, b]) {
        await s.migrate();
        await putTenant(s, 't');
      }
      const now = Date.now();
      const mine = [ticketRecord('t', now), ticketRecord('t', now, { usesLeft: 3 })];
      const expiring = ticketRecord('t', now, { expiresAt: now + MINUTE });
      for (const x of [...mine, expiring]) expect(await a.tickets.create(x, 0, now)).toBe('created');
      expect(await b.tickets.create(ticketRecord('t', now), 0, now)).toBe('created');

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
      expect(await b.tickets.count('t')).toBe(1);
    });

    // ---- Oz

    it('nonces: one key per pair holding expiresAt, PX expiresAt - now + grace whatever the caller clock', async () => {
      const prefix = newRedisPrefix();
      const store = open(prefix, { expiryGraceMs: '1000' });
      await store.migrate();
      for (const now of [Date.UTC(2001, 0, 1), Date.UTC(2090, 0, 1)]) {
        const c = `Fe26.2**${randomBytes(300).toString('base64url')}`;
        expect(await store.nonces.use(c, 'n', now, now + MINUTE)).toBe(true);
        const key = `${prefix}oz-nonce:${nonceDigest(c, 'n')}`;
        expect(await admin.get(key)).toBe(String(now + MINUTE));
        const pttl = await admin.pttl(key);
        expect(pttl).toBeGreaterThan(MINUTE - 5_000);
        expect(pttl).toBeLessThanOrEqual(MINUTE + 1_000);
        expect(Number(await admin.zscore(`${prefix}oz-nonce-expiry`, nonceDigest(c, 'n')))).toBe(now + MINUTE);
        // A refused use leaves both alone.
        expect(await store.nonces.use(c, 'n', now + 1, now + 10 * MINUTE)).toBe(false);
        expect(await admin.get(key)).toBe(String(now + MINUTE));
        expect(await admin.pttl(key)).toBeLessThanOrEqual(MINUTE + 1_000);
      }
      // A nonce whose key Redis already dropped is purged from the index all the same.
      const now = Date.now();
      expect(await store.nonces.use('gone', 'n', now, now + 1)).toBe(true);
      await admin.del(`${prefix}oz-nonce:${nonceDigest('gone', 'n')}`);
      expect(await store.nonces.purge(Date.UTC(2100, 0, 1), 100)).toBe(3);
      expect(await keysOf(prefix)).toEqual([`${prefix}schema`]);
    });

    it('grants expire natively after exp - createdOn + grace; purge and revokes still clean every index', async () => {
      const prefix = newRedisPrefix();
      const store = open(prefix, { expiryGraceMs: '1000' });
      await store.migrate();
      await store.tenants.put({ name: 't', settings: withDefaults({}), createdAt: Date.now() });
      const then = Date.UTC(2001, 0, 1);
      const x = appRecord('t', 'x', then);
      expect(await store.apps.create(x)).toBe('created');
      const [u, v] = ['a'.repeat(24), 'b'.repeat(24)];
      const g = grantRecord(x, u, then, { exp: then + MINUTE });
      await store.grants.create(g);
      const pttl = await admin.pttl(`${prefix}oz-grant:${g.id}`);
      expect(pttl).toBeGreaterThan(MINUTE - 5_000);
      expect(pttl).toBeLessThanOrEqual(MINUTE + 1_000);
      expect(await store.grants.get(g.id, then)).toEqual(g);

      // Redis drops hashes on its own (here: at once); their index entries stay until cleaned.
      const gone = [grantRecord(x, u, then, { createdOn: then + 1 }), grantRecord(x, v, then, { createdOn: then + 2 })];
      const revoked = grantRecord(x, v, then, { createdOn: then + 3 });
      for (const h of [...gone, revoked]) await store.grants.create(h);
      for (const h of [g, ...gone, revoked]) await admin.del(`${prefix}oz-grant:${h.id}`);
      expect(await store.grants.get(g.id, then)).toBeNull();
      expect(await store.grants.list({ app: x.id }, then, 10)).toEqual([]);
      expect(await store.grants.delete(revoked.id)).toBe(true);
      expect(await store.grants.deleteOfUser(v)).toBe(1);
      expect(await store.grants.purge(then + 30 * MINUTE, 100)).toBe(2);
      expect(await store.apps.delete(x.id)).toBe(true);
      expect(await keysOf(prefix)).toEqual([`${prefix}schema`, `${prefix}tenant:t`, `${prefix}tenants`]);
    });

    it('deleteTenant removes the tenant’s apps with their grants in the same step, and nothing of others', async () => {
      const prefix = newRedisPrefix();
      const store = open(prefix);
      await store.migrate();
      const now = Date.now();
      for (const name of ['gone', 'kept'])
        await store.tenants.put({ name, settings: withDefaults({}), createdAt: now });
      const [g1, g2, k] = [
        appRecord('gone', 'gone.one', now),
        appRecord('gone', 'gone.two', now),
        appRecord('kept', 'kept.one', now),
      ];
      for (const x of [g1, g2, k]) expect(await store.apps.create(x)).toBe('created');
      const u = 'a'.repeat(24);
      const ofGone = [grantRecord(g1, u, now), grantRecord(g2, u, now, { createdOn: now + 1, exp: now + 1 })];
      const ofKept = grantRecord(k, u, now, { createdOn: now + 2 });
      for (const g of [...ofGone, ofKept]) await store.grants.create(g);
      expect(await store.nonces.use(g1.id, 'n', now, now + MINUTE)).toBe(true);

      expect(await store.deleteTenant('gone')).toBe(true);
      expect(await store.apps.list('gone')).toEqual([]);
      expect(await store.apps.list(null)).toEqual([k]);
      for (const g of ofGone) expect(await store.grants.get(g.id, now)).toBeNull();
      expect(await store.grants.list({ user: u }, now, 10)).toEqual([ofKept]);
      expect(await store.grants.purge(now + 1000 * MINUTE, 100)).toBe(1);
      // Nothing of the deleted apps is left; the nonce lives on (nonces belong to no tenant).
      expect((await keysOf(prefix)).filter((key) => key.includes('gone'))).toEqual([]);
      expect(await store.nonces.use(g1.id, 'n', now, now + MINUTE)).toBe(false);
    });

    it('a store migrated to version 2 migrates to the latest, and its Oz surface works', async () => {
      const prefix = newRedisPrefix();
      await admin.set(`${prefix}schema`, '2');
      const store = open(prefix);
      expect(await store.schemaVersion()).toBe(2);
      await store.migrate();
      expect(await store.schemaVersion()).toBe(LATEST_VERSION);
      const now = Date.now();
      expect(await store.apps.create(appRecord('t', 'x', now))).toBe('created');
      expect(await store.nonces.use('x', 'n', now, now + MINUTE)).toBe(true);
    });
  });
}
