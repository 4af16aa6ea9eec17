/**
 * The conformance suite of the Oz parts of the store (src/store/parts/apps.ts,
 * grants.ts, nonces.ts): apps, grants
 * and Hawk nonces. Every case runs unchanged against every backend, on the
 * same `ConformanceTarget` as the opaque-ticket suite (conformance.ts), by one
 * call to `runOzStoreConformance` in `test/store/<name>.test.ts`.
 *
 * As in conformance.ts, time is never slept on: every call gets its `now`
 * from the test, based on the wall clock at the start of each case, and
 * expiries are minutes after it, so a backend that also expires records
 * natively (Redis) keeps them for the whole case; liveness must still be
 * decided by `now` alone.
 *
 * Contracts the interface leaves open are pinned here as follows:
 * - `listApps` orders by id in byte order of the UTF-8 encoding (a binary
 *   collation), as `listProfiles` orders usernames.
 * - `listGrants` orders by `createdOn`, newest first; the cases give every
 *   grant its own `createdOn`, so ties are left to the backend.
 * - `deleteGrant`, `deleteGrantsOfUser` and `deleteApp` take no `now`: they
 *   remove (and count) what is stored, expired-but-unpurged grants included.
 * - `deleteTenant` removes the tenant's apps and their grants with
 *   everything else of the tenant (types.ts).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import type { OzAppRecord, OzGrantRecord, Store } from '../../src/store/types.js';
import type { ConformanceTarget } from './conformance.js';
import { appRecord, grantRecord } from './records.js';

const MINUTE = 60_000;

export function runOzStoreConformance(target: ConformanceTarget): void {
  describe(`oz store conformance: ${target.name}`, () => {
    let store: Store;
    let t0: number;

    beforeEach(async () => {
      t0 = Date.now();
      store = await target.open();
      await store.migrate();
      for (const name of ['a', 'b']) await store.tenants.put({ name, settings: withDefaults({}), createdAt: t0 });
    });

    afterEach(async () => {
      await target.destroy(store);
    });

    const app = (tenant: string, id: string, fields: Partial<OzAppRecord> = {}): OzAppRecord =>
      appRecord(tenant, id, t0, fields);

    const createApp = async (a: OzAppRecord): Promise<OzAppRecord> => {
      expect(await store.apps.create(a)).toBe('created');
      return a;
    };

    /** A profile id (24 hex characters). */
    const user = () => randomBytes(12).toString('hex');

    const grant = (of: OzAppRecord, userId: string, fields: Partial<OzGrantRecord> = {}): OzGrantRecord =>
      grantRecord(of, userId, t0, fields);

    const createGrant = async (g: OzGrantRecord): Promise<OzGrantRecord> => {
      await store.grants.create(g);
      return g;
    };

    /** Whether the grant is still stored, looked at from a time when it was alive. */
    const grantStored = async (g: OzGrantRecord): Promise<boolean> => (await store.grants.get(g.id, t0)) !== null;

    const ids = (gs: OzGrantRecord[]) => gs.map((g) => g.id);

    // ---- apps --------------------------------------------------------------

    it('apps: create, get; every field round-trips; an id is taken once, across tenants', async () => {
      const full = await createApp(
        app('a', 'com.example.mymylet', { delegate: true, scope: ['a', 'b:c', 'ünï'], extAttributes: ['dbs', 'x'] }),
      );
      const bare = await createApp(app('a', 'bare', { scope: [], extAttributes: [], createdOn: t0 + 1 }));
      expect(await store.apps.get(full.id)).toEqual(full);
      expect(await store.apps.get(bare.id)).toEqual(bare);
      expect(await store.apps.get('unknown')).toBeNull();
      expect(await store.apps.get('COM.EXAMPLE.MYMYLET')).toBeNull();

      // Ids are global: taken in tenant a means taken in tenant b, and the first app stays as it was.
      expect(await store.apps.create(app('b', full.id, { key: 'k'.repeat(40), delegate: false }))).toBe('exists');
      expect(await store.apps.create(app('a', full.id))).toBe('exists');
      expect(await store.apps.get(full.id)).toEqual(full);
      expect(await store.apps.list('b')).toEqual([]);
    });

    it('race: 20 concurrent creates of one app id: exactly one is created and it is the one stored', async () => {
      const candidates = Array.from({ length: 20 }, (_, i) =>
        app(i % 2 ? 'a' : 'b', 'contested', { createdOn: t0 + i }),
      );
      const results = await Promise.all(candidates.map((c) => store.apps.create(c)));
      expect(results.filter((r) => r === 'created')).toHaveLength(1);
      expect(await store.apps.get('contested')).toEqual(candidates[results.indexOf('created')]);
      expect(await store.apps.list(null)).toHaveLength(1);
    });

    it('listApps: one tenant, or every tenant with null, ordered by id (byte order)', async () => {
      expect(await store.apps.list(null)).toEqual([]);
      expect(await store.apps.list('a')).toEqual([]);
      const inA = ['com.example.b', 'Zed', 'com.example.a', 'com.example-x', 'alpha', 'com.example.a.sub'];
      const inB = ['beta', 'com.example.ab', 'Alpha'];
      const byId = new Map<string, OzAppRecord>();
      for (const id of inA) byId.set(id, await createApp(app('a', id)));
      for (const id of inB) byId.set(id, await createApp(app('b', id)));

      const sortedA = [...inA].sort(); // UTF-16 order equals byte order for these ASCII ids
      expect(sortedA[0]).toBe('Zed');
      expect(await store.apps.list('a')).toEqual(sortedA.map((id) => byId.get(id)));
      expect((await store.apps.list('b')).map((a) => a.id)).toEqual(['Alpha', 'beta', 'com.example.ab']);
      const all = [...inA, ...inB].sort();
      expect(await store.apps.list(null)).toEqual(all.map((id) => byId.get(id)));
      expect(await store.apps.list('c')).toEqual([]);
    });

    it('setAppKey replaces the key only and returns the app; null for an unknown app', async () => {
      const a = await createApp(app('a', 'rotating', { delegate: true }));
      const other = await createApp(app('a', 'other'));
      const key = randomBytes(30).toString('base64url');
      const rotated = { ...a, key };
      expect(await store.apps.setKey(a.id, key)).toEqual(rotated);
      expect(await store.apps.get(a.id)).toEqual(rotated);
      expect(await store.apps.list('a')).toEqual([other, rotated]);
      expect(await store.apps.setKey('unknown', key)).toBeNull();
      expect(await store.apps.get('unknown')).toBeNull();
    });

    it('deleteApp removes the app with all its grants (expired ones too) and nothing of other apps', async () => {
      const doomed = await createApp(app('a', 'doomed'));
      const kept = await createApp(app('a', 'kept'));
      const [u, v] = [user(), user()];
      const gone = [
        await createGrant(grant(doomed, u)),
        await createGrant(grant(doomed, v, { createdOn: t0 + 1 })),
        await createGrant(grant(doomed, u, { exp: t0 + MINUTE, createdOn: t0 + 2 })),
      ];
      const stays = await createGrant(grant(kept, u, { createdOn: t0 + 3 }));

      expect(await store.apps.delete(doomed.id)).toBe(true);
      expect(await store.apps.get(doomed.id)).toBeNull();
      for (const g of gone) expect(await store.grants.get(g.id, t0)).toBeNull();
      expect(await store.grants.list({ app: doomed.id }, t0, 10)).toEqual([]);
      expect(await store.grants.list({ user: u }, t0, 10)).toEqual([stays]);
      expect(await store.grants.list({ user: v }, t0, 10)).toEqual([]);
      expect(await store.apps.get(kept.id)).toEqual(kept);
      expect(await store.apps.list(null)).toEqual([kept]);

      expect(await store.apps.delete(doomed.id)).toBe(false);
      expect(await store.apps.delete('unknown')).toBe(false);
      // Nothing of the deleted app's grants is left for the purge either.
      expect(await store.grants.purge(t0 + 1000 * MINUTE, 100)).toBe(1);

      // The id is free again, and the new app starts without grants.
      const again = await createApp(app('b', doomed.id, { createdOn: t0 + 5 }));
      expect(await store.apps.get(doomed.id)).toEqual(again);
      expect(await store.grants.list({ app: doomed.id }, t0, 10)).toEqual([]);
    });

    it('apps: a record handed to or returned by the store is a copy', async () => {
      const a = app('a', 'copied');
      const original = structuredClone(a);
      await createApp(a);
      a.scope.push('admin');
      a.extAttributes.push('password');
      a.key = 'changed';
      const got = (await store.apps.get(original.id)) as OzAppRecord;
      expect(got).toEqual(original);
      got.scope.push('admin');
      got.extAttributes.length = 0;
      const listed = await store.apps.list('a');
      expect(listed).toEqual([original]);
      listed[0]?.scope.push('admin');
      const rotated = (await store.apps.setKey(original.id, 'n'.repeat(32))) as OzAppRecord;
      rotated.scope.push('admin');
      expect(await store.apps.get(original.id)).toEqual({ ...original, key: 'n'.repeat(32) });
    });

    it("deleteTenant removes the tenant's apps and their grants, nothing else", async () => {
      const [a1, a2] = [await createApp(app('a', 'a1')), await createApp(app('a', 'a2'))];
      const b1 = await createApp(app('b', 'b1'));
      const u = user();
      for (const x of [a1, a2]) await createGrant(grant(x, u));
      await createGrant(grant(a1, u, { exp: t0 + MINUTE }));
      const kept = await createGrant(grant(b1, u, { createdOn: t0 + 1 }));

      expect(await store.deleteTenant('a')).toBe(true);
      expect(await store.apps.list('a')).toEqual([]);
      expect(await store.apps.get(a1.id)).toBeNull();
      expect(await store.apps.list(null)).toEqual([b1]);
      expect(await store.grants.list({ user: u }, t0, 10)).toEqual([kept]);
      expect(await store.grants.purge(t0 + 1000 * MINUTE, 100)).toBe(1);
      // A tenant of the same name starts without apps; the ids are free again.
      await store.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: t0 });
      expect(await store.apps.list('a')).toEqual([]);
      expect(await store.apps.create(app('a', a1.id))).toBe('created');
    });

    // ---- grants ------------------------------------------------------------

    it('grants: create, get; every field round-trips, a null session too', async () => {
      const a = await createApp(app('a', 'com.example.mymylet'));
      const allBytes = Buffer.from(Array.from({ length: 32 }, (_, i) => 255 - i * 7));
      const g = await createGrant(grant(a, user(), { session: allBytes, scope: ['mylet', 'ünï'], createdOn: t0 - 5 }));
      const bare = await createGrant(grant(a, user(), { session: null, scope: [] }));
      const got = await store.grants.get(g.id, t0);
      expect(got).toEqual(g);
      expect(Buffer.isBuffer(got?.session)).toBe(true);
      expect(await store.grants.get(bare.id, t0)).toEqual(bare);
      expect(await store.grants.get('unknown', t0)).toBeNull();
    });

    it('grants: dead at now >= exp for get and list, still stored until purged', async () => {
      const a = await createApp(app('a', 'app'));
      const u = user();
      const g = await createGrant(grant(a, u, { exp: t0 + 5 * MINUTE }));
      const longer = await createGrant(grant(a, u, { exp: t0 + 6 * MINUTE, createdOn: t0 + 1 }));
      expect(await store.grants.get(g.id, g.exp - 1)).toEqual(g);
      expect(ids(await store.grants.list({ app: a.id }, g.exp - 1, 10))).toEqual([longer.id, g.id]);
      for (const now of [g.exp, g.exp + 1, g.exp + 1000 * MINUTE]) {
        expect(await store.grants.get(g.id, now)).toBeNull();
      }
      expect(await store.grants.list({ app: a.id }, g.exp, 10)).toEqual([longer]);
      expect(await store.grants.list({ user: u }, g.exp, 10)).toEqual([longer]);
      expect(await store.grants.list({ app: a.id, user: u }, g.exp, 10)).toEqual([longer]);
      expect(await store.grants.list({ app: a.id }, longer.exp, 10)).toEqual([]);
      // Reads do not remove it: looked at from before, it is still there until the purge.
      expect(await grantStored(g)).toBe(true);
      expect(await store.grants.purge(g.exp, 10)).toBe(1);
      expect(await grantStored(g)).toBe(false);
      expect(await grantStored(longer)).toBe(true);
    });

    it('listGrants by app, by user and by both: live only, newest first, at most limit', async () => {
      const A = await createApp(app('a', 'A'));
      const B = await createApp(app('b', 'B'));
      const [u, v] = [user(), user()];
      const at = (i: number, fields: Partial<OzGrantRecord> = {}) => ({ createdOn: t0 + i * 1000, ...fields });
      const g0 = grant(A, u, at(0));
      const g1 = grant(A, v, at(1));
      const g2 = grant(B, u, at(2));
      const g3 = grant(A, u, at(3));
      const g4 = grant(A, u, at(4, { exp: t0 + MINUTE })); // the newest, but dead at `now`
      const g5 = grant(B, v, at(5));
      // Inserted out of order: the order comes from createdOn, not from insertion.
      for (const g of [g3, g5, g0, g4, g2, g1]) await createGrant(g);
      const now = t0 + 2 * MINUTE;

      expect(await store.grants.list({ app: A.id }, now, 10)).toEqual([g3, g1, g0]);
      expect(await store.grants.list({ app: B.id }, now, 10)).toEqual([g5, g2]);
      expect(await store.grants.list({ user: u }, now, 10)).toEqual([g3, g2, g0]);
      expect(await store.grants.list({ user: v }, now, 10)).toEqual([g5, g1]);
      expect(await store.grants.list({ app: A.id, user: u }, now, 10)).toEqual([g3, g0]);
      expect(await store.grants.list({ app: B.id, user: u }, now, 10)).toEqual([g2]);
      expect(await store.grants.list({ app: B.id, user: user() }, now, 10)).toEqual([]);
      expect(await store.grants.list({ app: 'unknown' }, now, 10)).toEqual([]);
      expect(await store.grants.list({ user: user() }, now, 10)).toEqual([]);

      // The limit keeps the newest.
      expect(ids(await store.grants.list({ app: A.id }, now, 2))).toEqual(ids([g3, g1]));
      expect(ids(await store.grants.list({ user: u }, now, 1))).toEqual(ids([g3]));
      expect(ids(await store.grants.list({ app: A.id, user: u }, now, 1))).toEqual(ids([g3]));
      // While g4 lives it leads, and it counts against the limit.
      expect(ids(await store.grants.list({ app: A.id, user: u }, t0, 10))).toEqual(ids([g4, g3, g0]));
      expect(ids(await store.grants.list({ user: u }, t0, 2))).toEqual(ids([g4, g3]));
    });

    it('deleteGrant revokes one grant; false when there was none', async () => {
      const a = await createApp(app('a', 'app'));
      const u = user();
      const g = await createGrant(grant(a, u));
      const other = await createGrant(grant(a, u, { createdOn: t0 + 1 }));
      expect(await store.grants.delete(g.id)).toBe(true);
      expect(await store.grants.get(g.id, t0)).toBeNull();
      expect(await store.grants.list({ app: a.id, user: u }, t0, 10)).toEqual([other]);
      expect(await store.grants.delete(g.id)).toBe(false);
      expect(await store.grants.delete('unknown')).toBe(false);
      expect(await store.grants.get(other.id, t0)).toEqual(other);
      // An expired grant not yet purged is still stored, so it can be revoked.
      const expired = await createGrant(grant(a, u, { exp: t0 + MINUTE }));
      expect(await store.grants.delete(expired.id)).toBe(true);
      expect(await store.grants.purge(t0 + 1000 * MINUTE, 100)).toBe(1);
    });

    it('race: 20 concurrent deletes of one grant: exactly one returns true', async () => {
      const a = await createApp(app('a', 'app'));
      const g = await createGrant(grant(a, user()));
      const results = await Promise.all(Array.from({ length: 20 }, () => store.grants.delete(g.id)));
      expect(results.filter((r) => r)).toHaveLength(1);
    });

    it('deleteGrantsOfUser revokes every grant of the user, in every app, expired ones included, and nothing else', async () => {
      const A = await createApp(app('a', 'A'));
      const B = await createApp(app('b', 'B'));
      const [u, v] = [user(), user()];
      const ofU = [
        await createGrant(grant(A, u)),
        await createGrant(grant(A, u, { createdOn: t0 + 1 })),
        await createGrant(grant(B, u, { createdOn: t0 + 2 })),
        await createGrant(grant(A, u, { exp: t0 + MINUTE, createdOn: t0 + 3 })),
      ];
      const ofV = await createGrant(grant(A, v, { createdOn: t0 + 4 }));

      expect(await store.grants.deleteOfUser(u)).toBe(4);
      for (const g of ofU) expect(await store.grants.get(g.id, t0)).toBeNull();
      expect(await store.grants.list({ user: u }, t0, 10)).toEqual([]);
      expect(await store.grants.list({ app: A.id }, t0, 10)).toEqual([ofV]);
      expect(await store.grants.deleteOfUser(u)).toBe(0);
      expect(await store.grants.deleteOfUser(user())).toBe(0);
      expect(await store.grants.purge(t0 + 1000 * MINUTE, 100)).toBe(1);
    });

    it('purgeGrants: only expired, at most `limit` per call, oldest exp first', async () => {
      const A = await createApp(app('a', 'A'));
      const B = await createApp(app('b', 'B'));
      const at = (m: number) => t0 + m * MINUTE;
      const e3 = await createGrant(grant(A, user(), { exp: at(3) }));
      const e1 = await createGrant(grant(B, user(), { exp: at(1) }));
      const e5 = await createGrant(grant(A, user(), { exp: at(5) }));
      const e2 = await createGrant(grant(B, user(), { exp: at(2) }));
      const e4 = await createGrant(grant(A, user(), { exp: at(4) }));
      const later = await createGrant(grant(B, user(), { exp: at(10) }));
      const revoked = await createGrant(grant(A, user(), { exp: at(0.5) }));
      expect(await store.grants.delete(revoked.id)).toBe(true);

      expect(await store.grants.purge(t0, 100)).toBe(0);
      expect(await store.grants.purge(at(1) - 1, 100)).toBe(0);
      expect(await grantStored(e1)).toBe(true);

      const now = at(5); // all but `later` expired, e5 exactly at now
      const stored = (gs: OzGrantRecord[]) => Promise.all(gs.map(grantStored));
      expect(await store.grants.purge(now, 2)).toBe(2);
      expect(await stored([e1, e2, e3])).toEqual([false, false, true]);
      expect(await store.grants.purge(now, 2)).toBe(2);
      expect(await stored([e3, e4, e5])).toEqual([false, false, true]);
      expect(await store.grants.purge(now, 5)).toBe(1);
      expect(await grantStored(e5)).toBe(false);
      expect(await store.grants.purge(now, 5)).toBe(0);
      expect(await grantStored(later)).toBe(true);
      expect(await store.grants.purge(at(1000), 0)).toBe(0);
      expect(await store.grants.purge(at(1000), 100)).toBe(1);
      expect(await store.grants.list({ app: A.id }, t0, 10)).toEqual([]);
      expect(await store.grants.list({ app: B.id }, t0, 10)).toEqual([]);
    });

    it('purgeGrants with a backlog: batches add up; concurrent purges remove each grant once', async () => {
      const a = await createApp(app('a', 'app'));
      const u = user();
      for (let i = 0; i < 30; i++) await createGrant(grant(a, u, { exp: t0 + MINUTE + i }));
      const keep = await createGrant(grant(a, u, { exp: t0 + 2 * MINUTE }));
      const now = t0 + 2 * MINUTE - 1;
      const batches: number[] = [];
      for (;;) {
        const n = await store.grants.purge(now, 7);
        batches.push(n);
        if (n < 7) break;
      }
      expect(batches).toEqual([7, 7, 7, 7, 2]);
      expect(await grantStored(keep)).toBe(true);

      for (let i = 0; i < 30; i++) await createGrant(grant(a, u, { exp: t0 + MINUTE + i }));
      const removed = await Promise.all(Array.from({ length: 6 }, () => store.grants.purge(now, 10)));
      for (const n of removed) expect(n).toBeLessThanOrEqual(10);
      expect(removed.reduce((x, y) => x + y, 0) + (await store.grants.purge(now, 100))).toBe(30);
      expect(await store.grants.list({ user: u }, t0, 100)).toEqual([keep]);
    });

    it('grants: a record handed to or returned by the store is a copy', async () => {
      const a = await createApp(app('a', 'app'));
      const g = grant(a, user(), { scope: ['one', 'two'] });
      const original = { ...g, scope: [...g.scope], session: Buffer.from(g.session as Buffer) };
      await createGrant(g);
      g.scope.push('admin');
      g.session?.fill(0);
      g.exp += MINUTE;
      const got = (await store.grants.get(original.id, t0)) as OzGrantRecord;
      expect(got).toEqual(original);
      got.scope.push('admin');
      got.session?.fill(1);
      const listed = await store.grants.list({ app: a.id }, t0, 10);
      expect(listed).toEqual([original]);
      listed[0]?.scope.pop();
      listed[0]?.session?.fill(2);
      expect(await store.grants.get(original.id, t0)).toEqual(original);
      expect(await store.grants.list({ user: original.user }, t0, 10)).toEqual([original]);
    });

    // ---- Hawk nonces -------------------------------------------------------

    it('useNonce: true once, false while unexpired, true again from expiresAt on', async () => {
      const [c, n] = ['com.example.mymylet', 'j4h3g2'];
      expect(await store.nonces.use(c, n, t0, t0 + MINUTE)).toBe(true);
      expect(await store.nonces.use(c, n, t0, t0 + MINUTE)).toBe(false);
      expect(await store.nonces.use(c, n, t0 + MINUTE - 1, t0 + 2 * MINUTE)).toBe(false);
      // now == expiresAt: the record is dead, the pair is accepted again and lives to the new expiresAt.
      expect(await store.nonces.use(c, n, t0 + MINUTE, t0 + 3 * MINUTE)).toBe(true);
      expect(await store.nonces.use(c, n, t0 + MINUTE, t0 + 3 * MINUTE)).toBe(false);
      expect(await store.nonces.use(c, n, t0 + 3 * MINUTE - 1, t0 + 4 * MINUTE)).toBe(false);
      expect(await store.nonces.use(c, n, t0 + 3 * MINUTE + 1, t0 + 4 * MINUTE)).toBe(true);
    });

    it('useNonce: a refused use neither extends nor shortens the record', async () => {
      const [c, n] = ['app', 'nonce'];
      expect(await store.nonces.use(c, n, t0, t0 + 2 * MINUTE)).toBe(true);
      expect(await store.nonces.use(c, n, t0 + MINUTE, t0 + 10 * MINUTE)).toBe(false);
      expect(await store.nonces.use(c, n, t0 + MINUTE, t0 + MINUTE + 1)).toBe(false);
      expect(await store.nonces.use(c, n, t0 + MINUTE + 2, t0 + 10 * MINUTE)).toBe(false);
      expect(await store.nonces.use(c, n, t0 + 2 * MINUTE, t0 + 10 * MINUTE)).toBe(true);
    });

    it('useNonce: the pair is the key; other credentials, other nonces and look-alike pairs do not collide', async () => {
      const exp = t0 + MINUTE;
      const sealed = `Fe26.2**${'a1b2'.repeat(16)}*${randomBytes(600).toString('base64url')}**${'f'.repeat(64)}`;
      const pairs: [string, string][] = [
        ['app1', 'n'],
        ['app2', 'n'],
        ['app1', 'm'],
        ['APP1', 'n'],
        ['app1', 'N'],
        // Pairs whose concatenations, with or without a separator, are the same string.
        ['a:b', 'c'],
        ['a', 'b:c'],
        ['a*b', 'c'],
        ['a', 'b*c'],
        ['ab', 'c'],
        ['a', 'bc'],
        ['a\nb', 'c'],
        ['a', 'b\nc'],
        ['a\u0000b', 'c'],
        ['a', 'b\u0000c'],
        ['ünï', 'cödé'],
        ['ünïc', 'ödé'],
        [sealed, 'n'],
        [`${sealed}x`, 'n'],
        [sealed, randomBytes(48).toString('base64')],
      ];
      for (const [c, n] of pairs) expect(await store.nonces.use(c, n, t0, exp), `${c} ${n}`).toBe(true);
      for (const [c, n] of pairs) expect(await store.nonces.use(c, n, t0, exp), `${c} ${n}`).toBe(false);
    });

    it('race: 50 concurrent useNonce calls with one pair: exactly one is true, also once the pair expired', async () => {
      const [c, n] = ['raced', randomBytes(6).toString('base64url')];
      const first = await Promise.all(Array.from({ length: 50 }, () => store.nonces.use(c, n, t0, t0 + MINUTE)));
      expect(first.filter((r) => r)).toHaveLength(1);
      // Expired but not purged: of 50 concurrent reuses one wins again.
      const again = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.nonces.use(c, n, t0 + MINUTE + (i % 3), t0 + 2 * MINUTE)),
      );
      expect(again.filter((r) => r)).toHaveLength(1);
      // 50 concurrent calls with distinct nonces all succeed.
      const distinct = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.nonces.use(c, `${n}-${i}`, t0, t0 + MINUTE)),
      );
      expect(distinct.every((r) => r)).toBe(true);
    });

    it('purgeNonces: only expired, at most `limit` per call; a purged pair is accepted again', async () => {
      for (let i = 0; i < 10; i++) expect(await store.nonces.use('c', `old${i}`, t0, t0 + MINUTE + i)).toBe(true);
      for (let i = 0; i < 3; i++) expect(await store.nonces.use('c', `new${i}`, t0, t0 + 10 * MINUTE)).toBe(true);

      expect(await store.nonces.purge(t0, 100)).toBe(0);
      expect(await store.nonces.purge(t0 + MINUTE - 1, 100)).toBe(0);
      const now = t0 + MINUTE + 9;
      expect(await store.nonces.purge(now, 0)).toBe(0);
      expect(await store.nonces.purge(now, 4)).toBe(4);
      expect(await store.nonces.purge(now, 4)).toBe(4);
      expect(await store.nonces.purge(now, 4)).toBe(2);
      expect(await store.nonces.purge(now, 4)).toBe(0);
      // The live ones stayed and are still refused; the purged ones are accepted again.
      for (let i = 0; i < 3; i++) expect(await store.nonces.use('c', `new${i}`, now, now + MINUTE)).toBe(false);
      for (let i = 0; i < 10; i++) expect(await store.nonces.use('c', `old${i}`, now, now + MINUTE)).toBe(true);
      for (let i = 0; i < 10; i++) expect(await store.nonces.use('c', `old${i}`, now, now + MINUTE)).toBe(false);
    });

    it('purgeNonces: a pair reused after it expired lives to its new expiry, and the purge respects it', async () => {
      expect(await store.nonces.use('c', 'n', t0, t0 + MINUTE)).toBe(true);
      expect(await store.nonces.use('c', 'n', t0 + MINUTE, t0 + 5 * MINUTE)).toBe(true);
      expect(await store.nonces.purge(t0 + 2 * MINUTE, 100)).toBe(0);
      expect(await store.nonces.use('c', 'n', t0 + 2 * MINUTE, t0 + 6 * MINUTE)).toBe(false);
      expect(await store.nonces.purge(t0 + 5 * MINUTE, 100)).toBe(1);
      expect(await store.nonces.purge(t0 + 5 * MINUTE, 100)).toBe(0);
      expect(await store.nonces.use('c', 'n', t0 + 5 * MINUTE, t0 + 6 * MINUTE)).toBe(true);
    });

    it('purgeNonces with a backlog: concurrent purges remove each nonce once', async () => {
      for (let i = 0; i < 30; i++) expect(await store.nonces.use(`c${i % 3}`, `n${i}`, t0, t0 + MINUTE + i)).toBe(true);
      expect(await store.nonces.use('c0', 'keep', t0, t0 + 2 * MINUTE)).toBe(true);
      const now = t0 + 2 * MINUTE - 1;
      const removed = await Promise.all(Array.from({ length: 6 }, () => store.nonces.purge(now, 10)));
      for (const n of removed) expect(n).toBeLessThanOrEqual(10);
      expect(removed.reduce((x, y) => x + y, 0) + (await store.nonces.purge(now, 100))).toBe(30);
      expect(await store.nonces.use('c0', 'keep', now, now + MINUTE)).toBe(false);
    });
  });
}
