/**
 * The conformance suite of the profile parts of the store (src/store/parts/
 * profiles.ts, sessions.ts, access-tokens.ts, meta.ts): every
 * case runs unchanged against every backend, on the same `ConformanceTarget`
 * as the opaque-ticket suite (conformance.ts), by one call to
 * `runProfileStoreConformance` in `test/store/<name>.test.ts`.
 *
 * As in conformance.ts, time is never slept on: every call gets its `now`
 * from the test, based on the wall clock at the start of each case, and
 * expiries are minutes after it.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import type {
  AccessTokenRecord,
  LoginFailure,
  ProfileRecord,
  ProfileStore,
  SessionRecord,
  Store,
  TicketRecord,
} from '../../src/store/types.js';
import type { ConformanceTarget } from './conformance.js';
import { profileRecord, sessionRecord, ticketRecord } from './records.js';

const MINUTE = 60_000;

export function runProfileStoreConformance(target: ConformanceTarget): void {
  describe(`profile store conformance: ${target.name}`, () => {
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

    const putTenant = (name: string) => store.tenants.put({ name, settings: withDefaults({}), createdAt: t0 });

    const profile = (tenant: string, username: string, fields: Partial<ProfileRecord> = {}): ProfileRecord =>
      profileRecord(tenant, username, t0, fields);

    /** Creates the profile and checks that it was created. */
    const createProfile = async (p: ProfileRecord): Promise<ProfileRecord> => {
      expect(await store.profiles.create(p)).toBe('created');
      return p;
    };

    /** A login ticket of the profile, live for 15 minutes. */
    const loginTicket = (p: ProfileRecord, fields: Partial<SessionRecord> = {}): SessionRecord =>
      sessionRecord('login', p, t0, fields);

    /** A persistent login of the profile, with a token, live for an hour. */
    const persistentLogin = (p: ProfileRecord, fields: Partial<SessionRecord> = {}): SessionRecord =>
      sessionRecord('persistent', p, t0, { expiresAt: t0 + 60 * MINUTE, ...fields });

    const createSession = async (t: SessionRecord): Promise<SessionRecord> => {
      await store.sessions.create(t);
      return t;
    };
    const createLoginTicket = createSession;
    const createPersistentLogin = createSession;

    const accessToken = (fields: Partial<AccessTokenRecord> = {}): AccessTokenRecord => {
      const id = randomBytes(32);
      return {
        id,
        idPrefix: id.toString('hex').slice(0, 8),
        application: 'crafter-social',
        master: false,
        tenantPermissions: [
          { tenant: 'default', allowedActions: ['MANAGE_PROFILES', 'MANAGE_TICKETS'] },
          { tenant: '*', allowedActions: ['READ_TENANT'] },
        ],
        expiresOn: null,
        createdOn: t0,
        ...fields,
      };
    };

    const opaqueTicket = (tenant: string): TicketRecord => ticketRecord(tenant, t0, { payload: Buffer.from('p') });

    /** Whether a session record is still stored, looked at from a time when it was alive. */
    const sessionStored = async (t: SessionRecord): Promise<boolean> =>
      (await store.sessions.get(t.kind, t.id, t.touchedAt)) !== null;
    const ticketStored = sessionStored;
    const loginStored = sessionStored;

    // ---- profiles ----------------------------------------------------------

    it('profiles: create, get by id and by username; every field round-trips', async () => {
      await putTenant('a');
      expect(await store.profiles.get(randomBytes(12).toString('hex'))).toBeNull();
      expect(await store.profiles.getByUsername('a', 'ada')).toBeNull();

      const ada = await createProfile(profile('a', 'ada'));
      const bare = await createProfile(
        profile('a', 'bare', {
          email: '',
          passwordHash: null,
          enabled: false,
          verified: true,
          roles: [],
          attributes: {},
          createdOn: t0 - 5,
          lastModified: t0 - 3,
          failedLoginAttempts: 2,
          lastFailedLogin: t0 - 1,
          lockedUntil: t0 + MINUTE,
        }),
      );
      const unicode = await createProfile(
        profile('a', 'zoë ünïcödé 名前', {
          attributes: { 'key with "quotes"': 'line\nbreak \u0000 nul', n: 1.5, neg: -3, empty: [], obj: {} },
          roles: ['A', 'B', 'C'],
        }),
      );

      for (const p of [ada, bare, unicode]) {
        expect(await store.profiles.get(p.id)).toEqual(p);
        expect(await store.profiles.getByUsername('a', p.username)).toEqual(p);
      }
      expect(await store.profiles.getByUsername('b', 'ada')).toBeNull();
      expect(await store.profiles.getByUsername('a', 'ADA')).toBeNull();
      expect(await store.profiles.count('a')).toBe(3);
    });

    it('profiles: a record handed to or returned by the store is a copy', async () => {
      await putTenant('a');
      const p = profile('a', 'ada');
      const original = structuredClone(p);
      await createProfile(p);
      p.roles.push('ADMIN');
      (p.attributes as { firstName: string }).firstName = 'changed';
      p.username = 'changed';
      const got = (await store.profiles.get(p.id)) as ProfileRecord;
      expect(got).toEqual(original);
      got.roles.push('ADMIN');
      (got.attributes.nested as { list: unknown[] }).list.push('x');
      expect(await store.profiles.get(p.id)).toEqual(original);
    });

    it('profiles: a username is unique per tenant; the same username is allowed in another tenant', async () => {
      await putTenant('a');
      await putTenant('b');
      const first = await createProfile(profile('a', 'ada'));
      const again = profile('a', 'ada', { email: 'other@example.com' });
      expect(await store.profiles.create(again)).toBe('exists');
      expect(await store.profiles.get(again.id)).toBeNull();
      expect(await store.profiles.getByUsername('a', 'ada')).toEqual(first);
      expect(await store.profiles.count('a')).toBe(1);

      const inB = await createProfile(profile('b', 'ada'));
      expect(await store.profiles.getByUsername('b', 'ada')).toEqual(inB);
      expect(await store.profiles.getByUsername('a', 'ada')).toEqual(first);
      // Usernames are compared exactly.
      await createProfile(profile('a', 'Ada'));
      await createProfile(profile('a', 'ada '));
      expect(await store.profiles.count('a')).toBe(3);
      expect(await store.profiles.count('b')).toBe(1);
    });

    it('race: 20 concurrent creates of one username in one tenant: exactly one is created', async () => {
      await putTenant('a');
      await putTenant('b');
      const candidates = Array.from({ length: 20 }, (_, i) => profile('a', 'ada', { email: `ada${i}@example.com` }));
      const others = Array.from({ length: 5 }, () => profile('b', 'ada'));
      const results = await Promise.all([...candidates, ...others].map((p) => store.profiles.create(p)));
      const mine = results.slice(0, 20);
      expect(mine.filter((r) => r === 'created')).toHaveLength(1);
      expect(mine.filter((r) => r === 'exists')).toHaveLength(19);
      expect(results.slice(20).filter((r) => r === 'created')).toHaveLength(1);

      const winner = candidates[mine.indexOf('created')] as ProfileRecord;
      expect(await store.profiles.getByUsername('a', 'ada')).toEqual(winner);
      for (const p of candidates) if (p !== winner) expect(await store.profiles.get(p.id)).toBeNull();
      expect(await store.profiles.count('a')).toBe(1);
      expect(await store.profiles.count('b')).toBe(1);
    });

    it('listProfiles: one tenant, ordered by username, with offset and limit; countProfiles', async () => {
      await putTenant('a');
      await putTenant('b');
      expect(await store.profiles.list('a', 0, 10)).toEqual([]);
      expect(await store.profiles.count('a')).toBe(0);
      const names = ['mallory', 'alice', 'carol', 'Bob', 'bob', 'dave', 'alice2', 'zed'];
      const byName = new Map<string, ProfileRecord>();
      for (const n of names) byName.set(n, await createProfile(profile('a', n)));
      await createProfile(profile('b', 'aaron'));
      await createProfile(profile('b', 'carol'));

      const sorted = [...names].sort(); // ASCII: upper case first, as a binary collation orders them
      expect(sorted[0]).toBe('Bob');
      const all = await store.profiles.list('a', 0, 100);
      expect(all.map((p) => p.username)).toEqual(sorted);
      expect(all).toEqual(sorted.map((n) => byName.get(n)));
      expect((await store.profiles.list('a', 0, 3)).map((p) => p.username)).toEqual(sorted.slice(0, 3));
      expect((await store.profiles.list('a', 3, 3)).map((p) => p.username)).toEqual(sorted.slice(3, 6));
      expect((await store.profiles.list('a', 6, 3)).map((p) => p.username)).toEqual(sorted.slice(6));
      expect(await store.profiles.list('a', 8, 3)).toEqual([]);
      expect(await store.profiles.list('a', 0, 0)).toEqual([]);
      expect((await store.profiles.list('b', 0, 10)).map((p) => p.username)).toEqual(['aaron', 'carol']);
      expect(await store.profiles.list('c', 0, 10)).toEqual([]);
      expect(await store.profiles.count('a')).toBe(names.length);
      expect(await store.profiles.count('b')).toBe(2);
      expect(await store.profiles.count('c')).toBe(0);
    });

    it('updateProfile applies the patch, keeps absent fields and sets lastModified', async () => {
      await putTenant('a');
      const p = await createProfile(
        profile('a', 'ada', { failedLoginAttempts: 3, lastFailedLogin: t0 - 1, lockedUntil: null }),
      );
      const now = t0 + MINUTE;
      const updated = await store.profiles.update(p.id, { email: 'new@example.com', roles: ['ADMIN'] }, now);
      const expected = { ...p, email: 'new@example.com', roles: ['ADMIN'], lastModified: now };
      expect(updated).toEqual(expected);
      expect(await store.profiles.get(p.id)).toEqual(expected);

      const full = {
        email: 'x@example.com',
        passwordHash: null,
        enabled: false,
        verified: true,
        roles: [],
        attributes: { replaced: true },
      };
      const later = now + MINUTE;
      const expected2 = { ...expected, ...full, lastModified: later };
      expect(await store.profiles.update(p.id, full, later)).toEqual(expected2);
      expect(await store.profiles.get(p.id)).toEqual(expected2);

      // An empty patch still marks the profile modified; a patch with undefined values changes nothing else.
      expect(await store.profiles.update(p.id, {}, later + 1)).toEqual({ ...expected2, lastModified: later + 1 });
      expect(await store.profiles.update(p.id, { email: undefined, username: undefined }, later + 2)).toEqual({
        ...expected2,
        lastModified: later + 2,
      });
      // The counters and identity are not patchable.
      const sneaky = { failedLoginAttempts: 0, id: 'x', tenant: 'b', createdOn: 0 } as unknown as Parameters<
        ProfileStore['update']
      >[1];
      expect(await store.profiles.update(p.id, sneaky, later + 3)).toEqual({ ...expected2, lastModified: later + 3 });

      expect(await store.profiles.update(randomBytes(12).toString('hex'), { email: 'y' }, now)).toBeNull();
    });

    it('updateProfile renames: a taken username gives `exists` and changes nothing; the old name is freed', async () => {
      await putTenant('a');
      await putTenant('b');
      const ada = await createProfile(profile('a', 'ada'));
      const bob = await createProfile(profile('a', 'bob'));
      await createProfile(profile('b', 'carol'));
      const now = t0 + MINUTE;

      expect(await store.profiles.update(ada.id, { username: 'bob', email: 'changed@example.com' }, now)).toBe(
        'exists',
      );
      expect(await store.profiles.get(ada.id)).toEqual(ada);
      expect(await store.profiles.getByUsername('a', 'bob')).toEqual(bob);

      // Renaming to its own name is no conflict.
      expect(await store.profiles.update(ada.id, { username: 'ada' }, now)).toEqual({ ...ada, lastModified: now });

      // A name taken only in another tenant is free here.
      const renamed = await store.profiles.update(ada.id, { username: 'carol' }, now + 1);
      expect(renamed).toEqual({ ...ada, username: 'carol', lastModified: now + 1 });
      expect(await store.profiles.getByUsername('a', 'carol')).toEqual(renamed);
      expect(await store.profiles.getByUsername('a', 'ada')).toBeNull();
      expect(await store.profiles.getByUsername('b', 'carol')).not.toBeNull();

      // The old name can be taken again, by a create or by a rename.
      const newAda = await createProfile(profile('a', 'ada'));
      expect(await store.profiles.update(newAda.id, { username: 'ada2' }, now + 2)).toMatchObject({ username: 'ada2' });
      expect(await store.profiles.update(bob.id, { username: 'ada' }, now + 3)).toMatchObject({ username: 'ada' });
      expect((await store.profiles.list('a', 0, 10)).map((p) => p.username)).toEqual(['ada', 'ada2', 'carol']);
      expect(await store.profiles.count('a')).toBe(3);
    });

    it('race: concurrent renames to one free username: exactly one wins', async () => {
      await putTenant('a');
      const ps: ProfileRecord[] = [];
      for (let i = 0; i < 10; i++) ps.push(await createProfile(profile('a', `user${i}`)));
      const results = await Promise.all(ps.map((p) => store.profiles.update(p.id, { username: 'wanted' }, t0 + 1)));
      const won = results.filter((r) => r !== 'exists');
      expect(won).toHaveLength(1);
      expect(results.filter((r) => r === 'exists')).toHaveLength(9);
      expect(await store.profiles.getByUsername('a', 'wanted')).toEqual(won[0]);
      expect(await store.profiles.count('a')).toBe(10);
    });

    it('deleteProfile removes the profile with its login tickets and persistent logins', async () => {
      await putTenant('a');
      const ada = await createProfile(profile('a', 'ada'));
      const bob = await createProfile(profile('a', 'bob'));
      const adaTickets = [await createLoginTicket(loginTicket(ada)), await createLoginTicket(loginTicket(ada))];
      const adaLogins = [await createPersistentLogin(persistentLogin(ada))];
      const bobTicket = await createLoginTicket(loginTicket(bob));
      const bobLogin = await createPersistentLogin(persistentLogin(bob));

      expect(await store.profiles.delete(ada.id)).toBe(true);
      expect(await store.profiles.get(ada.id)).toBeNull();
      expect(await store.profiles.getByUsername('a', 'ada')).toBeNull();
      for (const t of adaTickets) expect(await ticketStored(t)).toBe(false);
      for (const l of adaLogins) expect(await loginStored(l)).toBe(false);
      expect(await store.sessions.deleteOfProfile(ada.id)).toBe(0);

      expect(await store.profiles.get(bob.id)).toEqual(bob);
      expect(await ticketStored(bobTicket)).toBe(true);
      expect(await loginStored(bobLogin)).toBe(true);
      expect(await store.profiles.count('a')).toBe(1);

      expect(await store.profiles.delete(ada.id)).toBe(false);
      expect(await store.profiles.delete(randomBytes(12).toString('hex'))).toBe(false);
      // The username is free again.
      await createProfile(profile('a', 'ada'));
      // Nothing of the deleted profile is left for the purge either.
      expect(await store.sessions.purge(t0 + 1000 * MINUTE, 100)).toBe(2);
    });

    // ---- lockout counters --------------------------------------------------

    it('recordLoginFailure counts, locks on reaching lockAfter and does not extend a running lock', async () => {
      await putTenant('a');
      const p = await createProfile(profile('a', 'ada'));
      const lockMs = 10 * MINUTE;
      for (let i = 1; i <= 2; i++) {
        expect(await store.profiles.recordLoginFailure(p.id, t0 + i, 3, lockMs)).toEqual({
          failedLoginAttempts: i,
          lockedUntil: null,
        });
      }
      expect(await store.profiles.get(p.id)).toMatchObject({
        failedLoginAttempts: 2,
        lastFailedLogin: t0 + 2,
        lockedUntil: null,
        lastModified: t0,
      });
      // The third reaches lockAfter: locked until now + lockMs.
      const lockedUntil = t0 + 3 + lockMs;
      expect(await store.profiles.recordLoginFailure(p.id, t0 + 3, 3, lockMs)).toEqual({
        failedLoginAttempts: 3,
        lockedUntil,
      });
      // While locked, failures still count but the lock stays where it is.
      expect(await store.profiles.recordLoginFailure(p.id, t0 + MINUTE, 3, lockMs)).toEqual({
        failedLoginAttempts: 4,
        lockedUntil,
      });
      expect(await store.profiles.recordLoginFailure(p.id, lockedUntil - 1, 3, lockMs)).toEqual({
        failedLoginAttempts: 5,
        lockedUntil,
      });
      expect(await store.profiles.get(p.id)).toMatchObject({
        failedLoginAttempts: 5,
        lastFailedLogin: lockedUntil - 1,
        lockedUntil,
      });
    });

    it('recordLoginFailure: a lock that ended at or before now is cleared before counting', async () => {
      await putTenant('a');
      const lockMs = 10 * MINUTE;
      const p = await createProfile(profile('a', 'ada'));
      for (let i = 0; i < 3; i++) await store.profiles.recordLoginFailure(p.id, t0, 3, lockMs);
      const lockedUntil = t0 + lockMs;
      expect(await store.profiles.get(p.id)).toMatchObject({ failedLoginAttempts: 3, lockedUntil });

      // Exactly at lockedUntil the lock has ended: the count starts over at 1.
      expect(await store.profiles.recordLoginFailure(p.id, lockedUntil, 3, lockMs)).toEqual({
        failedLoginAttempts: 1,
        lockedUntil: null,
      });
      expect(await store.profiles.get(p.id)).toMatchObject({
        failedLoginAttempts: 1,
        lastFailedLogin: lockedUntil,
        lockedUntil: null,
      });
      // And it can lock again.
      await store.profiles.recordLoginFailure(p.id, lockedUntil + 1, 3, lockMs);
      expect(await store.profiles.recordLoginFailure(p.id, lockedUntil + 2, 3, lockMs)).toEqual({
        failedLoginAttempts: 3,
        lockedUntil: lockedUntil + 2 + lockMs,
      });

      // Long after a lock ended, the same.
      const q = await createProfile(profile('a', 'bob'));
      for (let i = 0; i < 3; i++) await store.profiles.recordLoginFailure(q.id, t0, 3, lockMs);
      expect(await store.profiles.recordLoginFailure(q.id, t0 + 1000 * MINUTE, 3, lockMs)).toEqual({
        failedLoginAttempts: 1,
        lockedUntil: null,
      });
    });

    it('recordLoginFailure: lockAfter 0 never locks; a lower lockAfter locks at the next failure', async () => {
      await putTenant('a');
      const p = await createProfile(profile('a', 'ada'));
      for (let i = 1; i <= 12; i++) {
        expect(await store.profiles.recordLoginFailure(p.id, t0 + i, 0, MINUTE)).toEqual({
          failedLoginAttempts: i,
          lockedUntil: null,
        });
      }
      // Already past the threshold when it is lowered: the next failure locks.
      expect(await store.profiles.recordLoginFailure(p.id, t0 + 100, 5, MINUTE)).toEqual({
        failedLoginAttempts: 13,
        lockedUntil: t0 + 100 + MINUTE,
      });
      expect(await store.profiles.recordLoginFailure(randomBytes(12).toString('hex'), t0, 3, MINUTE)).toBeNull();
    });

    it('resetLoginFailures clears the count and any lock; unknown ids are a no-op', async () => {
      await putTenant('a');
      const p = await createProfile(profile('a', 'ada'));
      for (let i = 0; i < 4; i++) await store.profiles.recordLoginFailure(p.id, t0, 3, MINUTE);
      expect(await store.profiles.get(p.id)).toMatchObject({ failedLoginAttempts: 4, lockedUntil: t0 + MINUTE });
      await store.profiles.resetLoginFailures(p.id);
      const after = (await store.profiles.get(p.id)) as ProfileRecord;
      expect(after).toMatchObject({ failedLoginAttempts: 0, lockedUntil: null });
      // Everything else stays as it was.
      expect({ ...after, lastFailedLogin: null }).toEqual({ ...p, failedLoginAttempts: 0, lastFailedLogin: null });
      expect(await store.profiles.recordLoginFailure(p.id, t0 + 1, 3, MINUTE)).toEqual({
        failedLoginAttempts: 1,
        lockedUntil: null,
      });
      await store.profiles.resetLoginFailures(randomBytes(12).toString('hex'));
    });

    it('race: 30 concurrent recordLoginFailure calls add exactly 30; the lock is set once, at lockAfter', async () => {
      await putTenant('a');
      const p = await createProfile(profile('a', 'ada'));
      const lockMs = 10 * MINUTE;
      const results = (await Promise.all(
        Array.from({ length: 30 }, () => store.profiles.recordLoginFailure(p.id, t0, 10, lockMs)),
      )) as LoginFailure[];
      expect(results.map((r) => r.failedLoginAttempts).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      for (const r of results) {
        expect(r.lockedUntil).toBe(r.failedLoginAttempts >= 10 ? t0 + lockMs : null);
      }
      expect(await store.profiles.get(p.id)).toMatchObject({ failedLoginAttempts: 30, lockedUntil: t0 + lockMs });

      // Without a lock threshold: the count only grows.
      const q = await createProfile(profile('a', 'bob'));
      await Promise.all(Array.from({ length: 30 }, () => store.profiles.recordLoginFailure(q.id, t0, 0, lockMs)));
      expect(await store.profiles.get(q.id)).toMatchObject({ failedLoginAttempts: 30, lockedUntil: null });
    });

    // ---- sessions (login tickets and persistent logins) --------------------

    it('sessions: create, get (does not slide), delete; every field round-trips; copies in and out', async () => {
      await putTenant('a');
      const p = await createProfile(profile('a', 'ada'));
      const t = loginTicket(p, { createdAt: t0 - 2, touchedAt: t0 - 1, expiresAt: t0 + 10 * MINUTE });
      const original = { ...t, id: Buffer.from(t.id) };
      await store.sessions.create(t);
      const lookup = Buffer.from(t.id);
      t.id.fill(0);
      t.expiresAt = 0;

      expect(await store.sessions.get('login', lookup, t0)).toEqual(original);
      const got = (await store.sessions.get('login', lookup, t0 + 5 * MINUTE)) as SessionRecord;
      expect(got).toEqual(original);
      got.id.fill(1);
      got.expiresAt = t0 + 1000 * MINUTE;
      // Reads do not move the expiry.
      expect(await store.sessions.get('login', lookup, t0 + 10 * MINUTE - 1)).toEqual(original);
      expect(await store.sessions.get('login', lookup, t0 + 10 * MINUTE)).toBeNull();
      expect(await store.sessions.get('login', randomBytes(32), t0)).toBeNull();
      // An id of one kind is unknown as the other.
      expect(await store.sessions.get('persistent', lookup, t0)).toBeNull();
      expect(await store.sessions.touch('persistent', lookup, t0, t0 + MINUTE)).toBeNull();
      expect(await store.sessions.delete('persistent', lookup)).toBe(false);

      expect(await store.sessions.delete('login', lookup)).toBe(true);
      expect(await store.sessions.get('login', lookup, t0)).toBeNull();
      expect(await store.sessions.delete('login', lookup)).toBe(false);
      expect(await store.sessions.touch('login', lookup, t0, t0 + MINUTE)).toBeNull();

      // A persistent login's token: every byte value round-trips, and the caller's buffer is copied.
      const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const l = persistentLogin(p, { token: allBytes });
      const copy = { ...l, id: Buffer.from(l.id), token: Buffer.from(allBytes) };
      await store.sessions.create(l);
      allBytes.fill(0);
      expect(await store.sessions.get('persistent', l.id, t0)).toEqual(copy);
      expect(await store.sessions.get('login', l.id, t0)).toBeNull();
    });

    it('sessions: sliding expiry with touch; an expired session cannot be touched back to life', async () => {
      await putTenant('a');
      const p = await createProfile(profile('a', 'ada'));
      const maxAge = 15 * MINUTE;
      const t = await createLoginTicket(loginTicket(p, { expiresAt: t0 + maxAge }));

      // Each touch moves touchedAt to now and the expiry to the one given; createdAt stays.
      let now = t0 + 10 * MINUTE;
      const touched = await store.sessions.touch('login', t.id, now, now + maxAge);
      expect(touched).toEqual({ ...t, touchedAt: now, expiresAt: now + maxAge });
      expect(await store.sessions.get('login', t.id, now)).toEqual(touched);
      // Alive past its first expiry.
      expect(await store.sessions.get('login', t.id, t0 + maxAge + MINUTE)).toEqual(touched);
      now += maxAge - 1;
      expect(await store.sessions.touch('login', t.id, now, now + maxAge)).toEqual({
        ...t,
        touchedAt: now,
        expiresAt: now + maxAge,
      });
      // A touch may also shorten it (the tenant's max age was lowered).
      expect(await store.sessions.touch('login', t.id, now + 1, now + 1 + MINUTE)).toMatchObject({
        expiresAt: now + 1 + MINUTE,
      });
      const exp = now + 1 + MINUTE;

      // At its expiry it is dead for touch and for get, and a touch does not revive it.
      expect(await store.sessions.touch('login', t.id, exp, exp + maxAge)).toBeNull();
      expect(await store.sessions.touch('login', t.id, exp + MINUTE, exp + maxAge)).toBeNull();
      expect(await store.sessions.get('login', t.id, exp)).toBeNull();
      expect(await store.sessions.get('login', t.id, exp + maxAge)).toBeNull();
      // The failed touches changed nothing.
      expect(await store.sessions.get('login', t.id, exp - 1)).toEqual({ ...t, touchedAt: now + 1, expiresAt: exp });
    });

    it('sessions: a touch with a token replaces it (persistent logins refresh); without one it stays', async () => {
      await putTenant('a');
      const p = await createProfile(profile('a', 'ada'));
      const l = await createPersistentLogin(persistentLogin(p, { expiresAt: t0 + 10 * MINUTE }));
      const now = t0 + 9 * MINUTE;
      const token = randomBytes(48);
      const refreshed = await store.sessions.touch('persistent', l.id, now, now + 60 * MINUTE, token);
      const expected = { ...l, token: Buffer.from(token), touchedAt: now, expiresAt: now + 60 * MINUTE };
      expect(refreshed).toEqual(expected);
      token.fill(0);
      refreshed?.token?.fill(0);
      expect(await store.sessions.get('persistent', l.id, t0 + 30 * MINUTE)).toEqual(expected);
      expect(await store.sessions.touch('persistent', l.id, now + 1, now + 61 * MINUTE)).toEqual({
        ...expected,
        touchedAt: now + 1,
        expiresAt: now + 61 * MINUTE,
      });
      // An expired one cannot be refreshed back to life, and the attempt changes nothing.
      const exp = now + 61 * MINUTE;
      expect(await store.sessions.touch('persistent', l.id, exp, exp + MINUTE, randomBytes(48))).toBeNull();
      expect(await store.sessions.get('persistent', l.id, exp - 1)).toMatchObject({ token: expected.token });
    });

    it('race: concurrent touches all succeed and leave one of their expiries', async () => {
      await putTenant('a');
      const p = await createProfile(profile('a', 'ada'));
      const t = await createLoginTicket(loginTicket(p));
      const nows = Array.from({ length: 20 }, (_, i) => t0 + i * 1000);
      const results = await Promise.all(nows.map((now) => store.sessions.touch('login', t.id, now, now + 15 * MINUTE)));
      expect(results.every((r) => r !== null)).toBe(true);
      const final = (await store.sessions.get('login', t.id, t0)) as SessionRecord;
      expect(nows).toContain(final.touchedAt);
      expect(final.expiresAt).toBe(final.touchedAt + 15 * MINUTE);
    });

    it('deleteOfProfile ends every session of the profile, of both kinds, expired ones included', async () => {
      await putTenant('a');
      const ada = await createProfile(profile('a', 'ada'));
      const bob = await createProfile(profile('a', 'bob'));
      const mine = [
        await createLoginTicket(loginTicket(ada)),
        await createLoginTicket(loginTicket(ada, { expiresAt: t0 + 1 })),
        await createPersistentLogin(persistentLogin(ada)),
        await createPersistentLogin(persistentLogin(ada, { expiresAt: t0 + 1 })),
      ];
      const theirs = [await createLoginTicket(loginTicket(bob)), await createPersistentLogin(persistentLogin(bob))];
      expect(await store.sessions.deleteOfProfile(ada.id)).toBe(4);
      for (const t of mine) expect(await sessionStored(t)).toBe(false);
      for (const t of theirs) expect(await sessionStored(t)).toBe(true);
      expect(await store.sessions.deleteOfProfile(ada.id)).toBe(0);
      expect(await store.sessions.deleteOfProfile('nobody')).toBe(0);
      // A new session of the profile is not affected by the earlier deletion.
      const fresh = await createLoginTicket(loginTicket(ada));
      expect(await sessionStored(fresh)).toBe(true);
      expect(await store.sessions.purge(t0 + 1000 * MINUTE, 100)).toBe(3);
    });

    it('purge: only expired sessions of both kinds, at most `limit` per call, by current expiry', async () => {
      await putTenant('a');
      await putTenant('b');
      const a = await createProfile(profile('a', 'ada'));
      const b = await createProfile(profile('b', 'bob'));
      const at = (m: number) => t0 + m * MINUTE;
      const e3 = await createLoginTicket(loginTicket(a, { expiresAt: at(3) }));
      const e1 = await createLoginTicket(loginTicket(b, { expiresAt: at(1) }));
      const e5 = await createLoginTicket(loginTicket(a, { expiresAt: at(5) }));
      const p2 = await createPersistentLogin(persistentLogin(b, { expiresAt: at(2) }));
      // Created to expire first, then slid to expire at 4, after e3.
      const slid = await createLoginTicket(loginTicket(a, { expiresAt: at(0.5) }));
      expect(await store.sessions.touch('login', slid.id, at(0.25), at(4))).toMatchObject({ expiresAt: at(4) });
      const later = await createPersistentLogin(persistentLogin(a, { expiresAt: at(10) }));
      const gone = await createLoginTicket(loginTicket(b, { expiresAt: at(0.1) }));
      expect(await store.sessions.delete('login', gone.id)).toBe(true);

      expect(await store.sessions.purge(t0, 100)).toBe(0);
      expect(await store.sessions.purge(at(1) - 1, 100)).toBe(0);
      expect(await sessionStored(slid)).toBe(true);

      const now = at(5); // all but `later` expired, e5 exactly at now
      const stored = (ts: SessionRecord[]) => Promise.all(ts.map(sessionStored));
      const batches: number[] = [];
      for (let n = await store.sessions.purge(now, 2); ; n = await store.sessions.purge(now, 2)) {
        batches.push(n);
        if (n < 2) break;
      }
      expect(batches).toEqual([2, 2, 1]);
      expect(await stored([e1, p2, e3, slid, e5])).toEqual([false, false, false, false, false]);
      expect(await sessionStored(later)).toBe(true);
      expect(await store.sessions.purge(at(1000), 0)).toBe(0);
      expect(await store.sessions.purge(at(1000), 100)).toBe(1);
    });

    it('purge with a backlog: batches add up; concurrent purges remove each session once', async () => {
      await putTenant('a');
      const p = await createProfile(profile('a', 'ada'));
      const backlog = async () => {
        for (let i = 0; i < 15; i++) await createLoginTicket(loginTicket(p, { expiresAt: t0 + MINUTE + i }));
        for (let i = 0; i < 15; i++) await createPersistentLogin(persistentLogin(p, { expiresAt: t0 + MINUTE + i }));
      };
      await backlog();
      const keep = await createLoginTicket(loginTicket(p, { expiresAt: t0 + 2 * MINUTE }));
      const now = t0 + 2 * MINUTE - 1;
      const batches: number[] = [];
      for (;;) {
        const n = await store.sessions.purge(now, 7);
        batches.push(n);
        if (n < 7) break;
      }
      expect(batches).toEqual([7, 7, 7, 7, 2]);
      expect(await sessionStored(keep)).toBe(true);

      await backlog();
      const removed = await Promise.all(Array.from({ length: 6 }, () => store.sessions.purge(now, 10)));
      for (const n of removed) expect(n).toBeLessThanOrEqual(10);
      expect(removed.reduce((x, y) => x + y, 0) + (await store.sessions.purge(now, 100))).toBe(30);
      expect(await sessionStored(keep)).toBe(true);
    });

    // ---- access tokens -----------------------------------------------------

    it('access tokens: create, exists, get, list, delete; expired ones are still returned', async () => {
      expect(await store.accessTokens.list()).toEqual([]);
      expect(await store.accessTokens.get(randomBytes(32))).toBeNull();
      const master = accessToken({
        application: 'admin',
        master: true,
        tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }],
        createdOn: t0 - 2,
      });
      const app = accessToken({ createdOn: t0 - 1 });
      const expired = accessToken({ expiresOn: t0 - MINUTE, tenantPermissions: [], createdOn: t0 });
      for (const t of [app, expired, master]) expect(await store.accessTokens.create(t)).toBe('created');

      const dup = { ...accessToken(), id: Buffer.from(app.id) };
      expect(await store.accessTokens.create(dup)).toBe('exists');
      expect(await store.accessTokens.get(app.id)).toEqual(app);
      expect(await store.accessTokens.get(master.id)).toEqual(master);
      expect(await store.accessTokens.get(expired.id)).toEqual(expired);
      const list = await store.accessTokens.list();
      expect(list.sort((x, y) => x.createdOn - y.createdOn)).toEqual([master, app, expired]);

      // Copies in and out.
      const got = (await store.accessTokens.get(app.id)) as AccessTokenRecord;
      got.tenantPermissions[0]?.allowedActions.push('DELETE_TENANT');
      got.id.fill(0);
      app.tenantPermissions.push({ tenant: 'x', allowedActions: [] });
      expect((await store.accessTokens.get(master.id))?.tenantPermissions).toEqual([
        { tenant: '*', allowedActions: ['*'] },
      ]);
      expect((await store.accessTokens.get(app.id))?.tenantPermissions).toHaveLength(2);
      expect((await store.accessTokens.get(app.id))?.tenantPermissions[0]?.allowedActions).toEqual([
        'MANAGE_PROFILES',
        'MANAGE_TICKETS',
      ]);

      expect(await store.accessTokens.delete(app.id)).toBe(true);
      expect(await store.accessTokens.get(app.id)).toBeNull();
      expect(await store.accessTokens.delete(app.id)).toBe(false);
      expect((await store.accessTokens.list()).map((t) => t.application).sort()).toEqual(['admin', 'crafter-social']);
      // Its id is free again.
      expect(await store.accessTokens.create({ ...accessToken(), id: Buffer.from(app.id) })).toBe('created');
    });

    it('race: concurrent creates of one access token id: exactly one is created', async () => {
      const id = randomBytes(32);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.accessTokens.create({ ...accessToken({ application: `app${i}` }), id: Buffer.from(id) }),
        ),
      );
      expect(results.filter((r) => r === 'created')).toHaveLength(1);
      const winner = `app${results.indexOf('created')}`;
      expect((await store.accessTokens.get(id))?.application).toBe(winner);
      expect(await store.accessTokens.list()).toHaveLength(1);
    });

    // ---- tenants -----------------------------------------------------------

    it('deleteTenant removes the tenant with its tickets, profiles and sessions, and nothing of others', async () => {
      await putTenant('a');
      await putTenant('b');
      const opaqueA = [opaqueTicket('a'), opaqueTicket('a')];
      for (const t of opaqueA) expect(await store.tickets.create(t, 0, t0)).toBe('created');
      const opaqueB = opaqueTicket('b');
      expect(await store.tickets.create(opaqueB, 0, t0)).toBe('created');
      const aProfiles = [await createProfile(profile('a', 'ada')), await createProfile(profile('a', 'bob'))];
      const bProfile = await createProfile(profile('b', 'ada'));
      const aTickets = aProfiles.map((p) => loginTicket(p));
      for (const t of aTickets) await store.sessions.create(t);
      const aLogin = await createPersistentLogin(persistentLogin(aProfiles[0] as ProfileRecord));
      const bTicket = await createLoginTicket(loginTicket(bProfile));
      const bLogin = await createPersistentLogin(persistentLogin(bProfile));
      const token = accessToken();
      await store.accessTokens.create(token);
      await store.meta.putIfAbsent('k', 'v');

      expect(await store.deleteTenant('a')).toBe(true);
      expect(await store.tenants.get('a')).toBeNull();
      expect((await store.tenants.list()).map((t) => t.name)).toEqual(['b']);
      for (const t of opaqueA) expect(await store.tickets.peek('a', t.id, t0)).toBeNull();
      expect(await store.tickets.count('a')).toBe(0);
      for (const p of aProfiles) {
        expect(await store.profiles.get(p.id)).toBeNull();
        expect(await store.profiles.getByUsername('a', p.username)).toBeNull();
      }
      expect(await store.profiles.count('a')).toBe(0);
      expect(await store.profiles.list('a', 0, 10)).toEqual([]);
      for (const t of aTickets) expect(await ticketStored(t)).toBe(false);
      expect(await loginStored(aLogin)).toBe(false);

      // Tenant b is untouched; access tokens and meta values belong to no tenant.
      expect(await store.tickets.peek('b', opaqueB.id, t0)).not.toBeNull();
      expect(await store.tickets.count('b')).toBe(1);
      expect(await store.profiles.get(bProfile.id)).toEqual(bProfile);
      expect(await ticketStored(bTicket)).toBe(true);
      expect(await loginStored(bLogin)).toBe(true);
      expect(await store.accessTokens.get(token.id)).toEqual(token);
      expect(await store.meta.get('k')).toBe('v');

      expect(await store.deleteTenant('a')).toBe(false);
      expect(await store.deleteTenant('nobody')).toBe(false);

      // Nothing is left for the purges, and a tenant of the same name starts empty.
      expect((await store.tickets.purge(t0 + 1000 * MINUTE, 100)).removed).toBe(0);
      expect(await store.sessions.purge(t0 + 1000 * MINUTE, 100)).toBe(2);
      await putTenant('a');
      expect(await store.tickets.count('a')).toBe(0);
      expect(await store.profiles.count('a')).toBe(0);
      await createProfile(profile('a', 'ada'));
      expect(await store.tickets.create(opaqueTicket('a'), 1, t0)).toBe('created');
      expect(await store.tickets.count('a')).toBe(1);
    });

    it('deleteTenant also removes expiring records and keeps the ticket counters of others right', async () => {
      await putTenant('a');
      await putTenant('b');
      for (let i = 0; i < 5; i++) {
        await store.tickets.create({ ...opaqueTicket('a'), expiresAt: t0 + MINUTE + i }, 0, t0);
        await store.tickets.create({ ...opaqueTicket('b'), expiresAt: t0 + MINUTE + i }, 0, t0);
      }
      expect(await store.deleteTenant('a')).toBe(true);
      expect((await store.tickets.purge(t0 + 2 * MINUTE, 100)).removed).toBe(5);
      expect(await store.tickets.count('b')).toBe(0);
      expect(await store.tickets.count('a')).toBe(0);
    });

    // ---- meta --------------------------------------------------------------

    it('meta: put replaces, delete removes', async () => {
      await store.meta.put('k', 'one');
      expect(await store.meta.get('k')).toBe('one');
      await store.meta.put('k', 'two \u0000 ünï');
      expect(await store.meta.get('k')).toBe('two \u0000 ünï');
      expect(await store.meta.putIfAbsent('k', 'three')).toBe('two \u0000 ünï');
      expect(await store.meta.delete('k')).toBe(true);
      expect(await store.meta.get('k')).toBeNull();
      expect(await store.meta.delete('k')).toBe(false);
      expect(await store.meta.putIfAbsent('k', 'four')).toBe('four');
    });

    it('meta: get, putIfAbsent keeps the first value', async () => {
      expect(await store.meta.get('master')).toBeNull();
      expect(await store.meta.putIfAbsent('master', 'first')).toBe('first');
      expect(await store.meta.get('master')).toBe('first');
      expect(await store.meta.putIfAbsent('master', 'second')).toBe('first');
      expect(await store.meta.get('master')).toBe('first');
      const long = `${'x'.repeat(10_000)} ünïcödé \u0000 "q"`;
      expect(await store.meta.putIfAbsent('other', long)).toBe(long);
      expect(await store.meta.get('other')).toBe(long);
      expect(await store.meta.putIfAbsent('empty', '')).toBe('');
      expect(await store.meta.putIfAbsent('empty', 'not empty')).toBe('');
      expect(await store.meta.get('empty')).toBe('');
      expect(await store.meta.get('Master')).toBeNull();
    });

    it('race: 20 concurrent putMetaIfAbsent calls with different values all get the one winning value', async () => {
      const values = Array.from({ length: 20 }, (_, i) => `value-${i}-${randomBytes(8).toString('hex')}`);
      const results = await Promise.all(values.map((v) => store.meta.putIfAbsent('secret', v)));
      const winner = results[0] as string;
      expect(values).toContain(winner);
      expect(results).toEqual(values.map(() => winner));
      expect(await store.meta.get('secret')).toBe(winner);
    });

    // ---- lockouts (usernames with no profile) ------------------------------

    const lockKey = () => randomBytes(32);

    it('lockouts: count, lock at the threshold without extending it, start again after the lock', async () => {
      const key = lockKey();
      const expires = t0 + 30 * MINUTE;
      expect(await store.lockouts.record(key, t0, 3, MINUTE, expires)).toEqual({
        failedLoginAttempts: 1,
        lockedUntil: null,
      });
      expect(await store.lockouts.record(key, t0 + 1, 3, MINUTE, expires)).toEqual({
        failedLoginAttempts: 2,
        lockedUntil: null,
      });
      expect(await store.lockouts.record(key, t0 + 2, 3, MINUTE, expires)).toEqual({
        failedLoginAttempts: 3,
        lockedUntil: t0 + 2 + MINUTE,
      });
      // Locked: counted on, the lock is kept as it was.
      expect(await store.lockouts.record(key, t0 + 3, 3, MINUTE, expires)).toEqual({
        failedLoginAttempts: 4,
        lockedUntil: t0 + 2 + MINUTE,
      });
      // The lock ended: the count starts again.
      expect(await store.lockouts.record(key, t0 + 2 + MINUTE, 3, MINUTE, expires)).toEqual({
        failedLoginAttempts: 1,
        lockedUntil: null,
      });
      await store.lockouts.reset(key);
      expect((await store.lockouts.record(key, t0 + 3 + MINUTE, 0, MINUTE, expires)).failedLoginAttempts).toBe(1);
    });

    it('lockouts: an entry past its expiry starts again; purge removes it, never a live or locked one', async () => {
      const stale = lockKey();
      const live = lockKey();
      const locked = lockKey();
      await store.lockouts.record(stale, t0, 0, MINUTE, t0 + MINUTE);
      await store.lockouts.record(live, t0, 0, MINUTE, t0 + 10 * MINUTE);
      await store.lockouts.record(locked, t0, 1, 20 * MINUTE, t0 + MINUTE);
      expect((await store.lockouts.record(stale, t0 + MINUTE, 0, MINUTE, t0 + 2 * MINUTE)).failedLoginAttempts).toBe(1);
      const removed = await store.lockouts.purge(t0 + 5 * MINUTE, 100);
      // Redis lets its own expiry remove them: its purge has nothing to do.
      expect(removed === 1 || (store.kind.startsWith('redis') && removed === 0)).toBe(true);
      expect(
        (await store.lockouts.record(live, t0 + 5 * MINUTE, 0, MINUTE, t0 + 10 * MINUTE)).failedLoginAttempts,
      ).toBe(2);
      expect((await store.lockouts.record(locked, t0 + 5 * MINUTE, 1, 20 * MINUTE, t0 + MINUTE)).lockedUntil).toBe(
        t0 + 20 * MINUTE,
      );
    });

    it('race: 30 concurrent lockout records count exactly 30 and lock once', async () => {
      const key = lockKey();
      const results = await Promise.all(
        Array.from({ length: 30 }, () => store.lockouts.record(key, t0, 10, MINUTE, t0 + MINUTE)),
      );
      expect(results.map((r) => r.failedLoginAttempts).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      expect(new Set(results.filter((r) => r.lockedUntil !== null).map((r) => r.lockedUntil))).toEqual(
        new Set([t0 + MINUTE]),
      );
    });

    // ---- rate-limit windows ----------------------------------------------------

    it('rate limits: a window counts from its first hit and starts again once it ended; keys are apart', async () => {
      const key = `tickets.create:${randomBytes(4).toString('hex')}`;
      expect(await store.rateLimits.hit(key, t0, MINUTE)).toEqual({ count: 1, resetAt: t0 + MINUTE });
      expect(await store.rateLimits.hit(key, t0 + 1000, MINUTE)).toEqual({ count: 2, resetAt: t0 + MINUTE });
      expect(await store.rateLimits.hit(`${key}x`, t0 + 1000, MINUTE)).toEqual({
        count: 1,
        resetAt: t0 + 1000 + MINUTE,
      });
      expect(await store.rateLimits.hit(key, t0 + MINUTE, MINUTE)).toEqual({ count: 1, resetAt: t0 + 2 * MINUTE });
      const removed = await store.rateLimits.purge(t0 + 3 * MINUTE, 100);
      expect(removed === 2 || (store.kind.startsWith('redis') && removed === 0)).toBe(true);
    });

    it('race: 50 concurrent hits on one window count exactly 50', async () => {
      const key = `authenticate:t:${randomBytes(4).toString('hex')}`;
      const results = await Promise.all(Array.from({ length: 50 }, () => store.rateLimits.hit(key, t0, MINUTE)));
      expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(new Set(results.map((r) => r.resetAt))).toEqual(new Set([t0 + MINUTE]));
    });
  });
}
