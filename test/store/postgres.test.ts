/**
 * The PostgreSQL store against the server at TICKETD_TEST_POSTGRES_URL
 * (e.g. postgres://postgres@127.0.0.1:5432/test): the conformance suites of
 * every part of `Store`, then races between two store instances (two pools,
 * as two processes would have), what only this backend has (jsonb encoding,
 * the purges' plans, deleteTenant's cascade, upgrading older schemas), and
 * configuration and outages. Every store lives in its own fresh schema,
 * dropped afterwards. Without the variable the tests are skipped with a
 * message, except under CI (CI=true), where that fails.
 */
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { openStore } from '../../src/store/open.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { LATEST_VERSION, migrations } from '../../src/store/postgres/migrations.js';
import type { OzAppRecord, OzGrantRecord, ProfileRecord } from '../../src/store/types.js';
import { type Store, StoreUnavailableError, type TicketRecord } from '../../src/store/types.js';
import { freshPostgres, serverUrl, withPostgresClient } from '../helpers/backends.js';
import { freshTarget, runStoreConformance } from './conformance.js';
import { runOzStoreConformance } from './oz-conformance.js';
import { runPairConformance } from './pair-conformance.js';
import { runProfileStoreConformance } from './profile-conformance.js';
import { appRecord, grantRecord, profileRecord, ticketRecord } from './records.js';

const baseUrl = serverUrl('postgres', 'store');
if (baseUrl) definePostgresTests(baseUrl);

const MINUTE = 60_000;

function definePostgresTests(base: string): void {
  const target = freshTarget('postgres', () => {
    const fresh = freshPostgres(base);
    return { store: new PostgresStore(fresh.url), cleanup: fresh.cleanup };
  });

  runStoreConformance(target);
  runProfileStoreConformance(target);
  runOzStoreConformance(target);

  /** A store on a fresh schema (URL parameters added), destroyed by target.destroy; its schema and URL. */
  const openFresh = (params: Record<string, string> = {}) => {
    const fresh = freshPostgres(base, params);
    return { store: target.track(new PostgresStore(fresh.url), fresh.cleanup), schema: fresh.schema, url: fresh.url };
  };

  /** Runs `f` with a plain client of its own, outside any store. */
  const withClient = <T>(f: (client: pg.Client) => Promise<T>): Promise<T> => withPostgresClient(base, f);

  runPairConformance({
    name: 'postgres',
    openPair: async () => {
      const { store, url } = openFresh();
      return [store, new PostgresStore(url)];
    },
    destroyPair: async ([a, b]) => {
      await b.close();
      await target.destroy(a);
    },
  });

  const t0 = Date.now();
  const ticket = (tenant: string, fields: Partial<TicketRecord> = {}) => ticketRecord(tenant, t0, fields);
  const profile = (tenant: string, username: string, fields: Partial<ProfileRecord> = {}) =>
    profileRecord(tenant, username, t0, fields);
  const app = (tenant: string, id: string) => appRecord(tenant, id, t0);
  const grant = (of: OzAppRecord, user: string, fields: Partial<OzGrantRecord> = {}) =>
    grantRecord(of, user, t0, fields);

  describe('postgres store: two instances (separate pools, as separate processes would have)', () => {
    let a: PostgresStore;
    let b: PostgresStore;
    let schema: string;

    beforeAll(async () => {
      const fresh = openFresh();
      a = fresh.store;
      schema = fresh.schema;
      b = new PostgresStore(fresh.url);
      // Both start at once: each migration is applied once, under the advisory lock.
      await Promise.all([a.migrate(), b.migrate(), a.migrate(), b.migrate()]);
      expect(await a.schemaVersion()).toBe(await b.schemaVersion());
      await a.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: t0 });
    });

    afterAll(async () => {
      await b.close();
      await target.destroy(a);
    });

    // ---- tickets

    it('record their migrations once', async () => {
      const res = await withClient((c) =>
        c.query(`SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY 1`),
      );
      expect(res.rows.length).toBeGreaterThan(0);
      for (const row of res.rows) expect(row.n).toBe(1);
    });

    it('50 creates against ticketMax 10 held by expired tickets, raced from two instances, leave exactly 10', async () => {
      await a.tenants.put({ name: 'race-reclaim', settings: withDefaults({ ticketMax: 10 }), createdAt: t0 });
      for (let i = 0; i < 10; i++) {
        expect(await a.tickets.create(ticket('race-reclaim', { expiresAt: t0 + 1000 + i }), 10, t0)).toBe('created');
      }
      const now = t0 + 2000;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).tickets.create(ticket('race-reclaim'), 10, now)),
      );
      expect(results.filter((r) => r === 'created')).toHaveLength(10);
      expect(await b.tickets.count('race-reclaim')).toBe(10);
    });

    it('two concurrent purgers remove each expired ticket once and keep the counters right', async () => {
      const tenants = ['purge-x', 'purge-y', 'purge-z'];
      for (const name of tenants) await a.tenants.put({ name, settings: withDefaults({}), createdAt: t0 });
      const expired = 300;
      await Promise.all(
        Array.from({ length: expired }, (_, i) =>
          (i % 2 ? a : b).tickets.create(
            ticket(tenants[i % 3] ?? 'purge-x', { expiresAt: t0 + 1000 + (i % 17) }),
            0,
            t0,
          ),
        ),
      );
      for (const name of tenants) await a.tickets.create(ticket(name), 0, t0);
      const now = t0 + 5000;

      const purger = async (store: Store): Promise<number> => {
        let total = 0;
        for (;;) {
          const n = (await store.tickets.purge(now, 7)).removed;
          total += n;
          if (n === 0) return total;
        }
      };
      const removed = await Promise.all([purger(a), purger(b), purger(a), purger(b)]);
      expect(removed.reduce((x, y) => x + y, 0)).toBe(expired);
      for (const name of tenants) expect(await b.tickets.count(name)).toBe(1);
      expect((await a.tickets.purge(now, 1000)).removed).toBe(0);
    });

    it('a mixed load from two instances keeps every count equal to the rows stored and the limit exact', async () => {
      const tenants = ['mix-limited', 'mix-free'];
      await a.tenants.put({ name: 'mix-limited', settings: withDefaults({ ticketMax: 40 }), createdAt: t0 });
      await a.tenants.put({ name: 'mix-free', settings: withDefaults({}), createdAt: t0 });
      const made: TicketRecord[] = [];
      const ops: Promise<unknown>[] = [];
      let over = false;
      for (let i = 0; i < 600; i++) {
        const store = i % 2 ? a : b;
        const tenant = tenants[i % 2] ?? 'mix-free';
        const now = t0 + i;
        const pick = made[(i * 7) % Math.max(made.length, 1)];
        switch (i % 6) {
          case 0:
          case 1: {
            const t = ticket(tenant, { usesLeft: 1 + (i % 3), expiresAt: i % 4 === 0 ? t0 + 300 : null });
            made.push(t);
            ops.push(store.tickets.create(t, tenant === 'mix-limited' ? 40 : 0, now));
            break;
          }
          case 2:
          case 3:
            if (pick) ops.push(store.tickets.use(pick.tenant, pick.id, now));
            break;
          case 4:
            if (pick) ops.push(store.tickets.delete(pick.tenant, pick.id, now));
            break;
          default:
            ops.push(store.tickets.purge(now, 5));
        }
        if (i % 50 === 49) {
          await Promise.all(ops.splice(0));
          if ((await a.tickets.count('mix-limited')) > 40) over = true;
        }
      }
      await Promise.all(ops);
      expect(over).toBe(false);

      for (const name of tenants) {
        const rows = await withClient((c) =>
          c.query(`SELECT count(*)::int AS n FROM "${schema}".tickets WHERE tenant = $1`, [name]),
        );
        expect(await b.tickets.count(name)).toBe(rows.rows[0].n);
      }
    });

    // ---- profiles

    it('60 recordLoginFailure calls raced from both add exactly 60; the lock is set once, at lockAfter', async () => {
      const p = profile('a', 'target');
      expect(await a.profiles.create(p)).toBe('created');
      const lockMs = 600_000;
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).profiles.recordLoginFailure(p.id, t0, 25, lockMs)),
      );
      const counts = results.map((r) => r?.failedLoginAttempts ?? 0).sort((x, y) => x - y);
      expect(counts).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      for (const r of results) expect(r?.lockedUntil).toBe((r?.failedLoginAttempts ?? 0) >= 25 ? t0 + lockMs : null);
      expect(await b.profiles.get(p.id)).toMatchObject({
        failedLoginAttempts: 60,
        lastFailedLogin: t0,
        lockedUntil: t0 + lockMs,
      });
    });

    it('creates of one username raced from both: exactly one is created, for each of 20 usernames', async () => {
      const rounds = await Promise.all(
        Array.from({ length: 20 }, async (_, n) => {
          const candidates = Array.from({ length: 6 }, (_, i) => profile('a', `racer${n}`, { email: `c${i}@x.org` }));
          const results = await Promise.all(candidates.map((p, i) => (i % 2 ? a : b).profiles.create(p)));
          return { candidates, results };
        }),
      );
      for (const [n, { candidates, results }] of rounds.entries()) {
        expect(results.filter((r) => r === 'created')).toHaveLength(1);
        const winner = candidates[results.indexOf('created')];
        expect(await a.profiles.getByUsername('a', `racer${n}`)).toEqual(winner);
      }
      // 20 racers and the profile of the test before.
      expect(await b.profiles.count('a')).toBe(21);
    });

    it('renames to one username raced from both: exactly one wins', async () => {
      const ps = [];
      for (let i = 0; i < 10; i++) {
        const p = profile('a', `renamer${i}`);
        expect(await a.profiles.create(p)).toBe('created');
        ps.push(p);
      }
      const results = await Promise.all(
        ps.map((p, i) => (i % 2 ? a : b).profiles.update(p.id, { username: 'renamed' }, t0 + 1)),
      );
      expect(results.filter((r) => r === 'exists')).toHaveLength(9);
      const won = results.find((r) => r !== 'exists');
      expect(won).toMatchObject({ username: 'renamed', lastModified: t0 + 1 });
      expect(await b.profiles.getByUsername('a', 'renamed')).toEqual(won);
    });

    it('putMetaIfAbsent raced from both: one value wins and every caller gets it', async () => {
      const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
      const results = await Promise.all(values.map((v, i) => (i % 2 ? a : b).meta.putIfAbsent('race', v)));
      const winner = results[0];
      expect(values).toContain(winner);
      expect(results).toEqual(values.map(() => winner));
      expect(await b.meta.get('race')).toBe(winner);
    });

    it('deleteTenant racing ticket creates from the other instance leaves no ticket of the tenant behind', async () => {
      for (const max of [0, 1000]) {
        const tenant = `doomed-${max}`;
        await a.tenants.put({ name: tenant, settings: withDefaults({}), createdAt: t0 });
        const creates = Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? a : b).tickets.create(ticket(tenant), max, t0).catch(() => 'failed' as const),
        );
        // Let some creates land first, then delete while the rest are in flight.
        await creates[5];
        const deleted = a.deleteTenant(tenant);
        const outcomes = await Promise.all(creates);
        expect(await deleted).toBe(true);
        expect(outcomes.every((o) => o === 'created' || o === 'failed')).toBe(true);
        const left = await withClient((c) =>
          c.query(`SELECT count(*)::int AS n FROM "${schema}".tickets WHERE tenant = $1`, [tenant]),
        );
        expect(left.rows[0].n).toBe(0);
        // A tenant of the same name starts from nothing, with right counters.
        await b.tenants.put({ name: tenant, settings: withDefaults({}), createdAt: t0 });
        expect(await a.tickets.count(tenant)).toBe(0);
        expect(await a.tickets.create(ticket(tenant), 1, t0)).toBe('created');
        expect(await a.tickets.create(ticket(tenant), 1, t0)).toBe('limit');
        expect(await b.tickets.count(tenant)).toBe(1);
      }
    });

    // ---- Oz

    it('useNonce raced from both while both purge: each pair accepted once per life', async () => {
      const pairs = Array.from({ length: 50 }, (_, i) => [`c${i}`, 'n']);
      for (const [c, n] of pairs) expect(await a.nonces.use(c as string, n as string, t0, t0 + MINUTE)).toBe(true);
      const now = t0 + MINUTE;
      const [uses, purged] = await Promise.all([
        Promise.all(
          pairs.flatMap(([c, n]) =>
            [a, b].map((store) => store.nonces.use(c as string, n as string, now, now + MINUTE)),
          ),
        ),
        Promise.all([a.nonces.purge(now, 20), b.nonces.purge(now, 20), a.nonces.purge(now, 20)]),
      ]);
      for (let i = 0; i < pairs.length; i++) expect(uses.slice(2 * i, 2 * i + 2).filter((r) => r)).toHaveLength(1);
      // Whatever the purges took, every pair now lives to now + MINUTE.
      for (const n of purged) expect(n).toBeLessThanOrEqual(20);
      expect(await b.nonces.purge(now, 1000)).toBe(0);
      for (const [c, n] of pairs) expect(await b.nonces.use(c as string, n as string, now, now + MINUTE)).toBe(false);
    });

    it('20 creates of one app id raced from both: exactly one is created', async () => {
      const candidates = Array.from({ length: 20 }, (_, i) => ({ ...app('a', 'raced'), createdOn: t0 + i }));
      const results = await Promise.all(candidates.map((c, i) => (i % 2 ? a : b).apps.create(c)));
      expect(results.filter((r) => r === 'created')).toHaveLength(1);
      expect(await b.apps.get('raced')).toEqual(candidates[results.indexOf('created')]);
    });

    it('deleteApp from one instance while the other creates grants: nothing of the app is listed after', async () => {
      const doomed = app('a', 'doomed');
      expect(await a.apps.create(doomed)).toBe('created');
      const u = 'u'.repeat(24);
      const creates = Array.from({ length: 30 }, (_, i) => b.grants.create(grant(doomed, u, { createdOn: t0 + i })));
      await creates[3];
      expect(await a.apps.delete(doomed.id)).toBe(true);
      await Promise.all(creates);
      // Grants that committed after the delete may remain (the core refuses a grant of an unknown
      // app); a second deleteApp takes them and finds no app.
      await a.apps.delete(doomed.id);
      expect(await b.grants.list({ app: doomed.id }, t0, 100)).toEqual([]);
      expect(await b.apps.get(doomed.id)).toBeNull();
    });
  });

  describe('postgres store: schema', () => {
    let store: PostgresStore;
    let schema: string;

    beforeAll(async () => {
      ({ store, schema } = openFresh());
      await store.migrate();
    });

    afterAll(async () => {
      await target.destroy(store);
    });

    /** The plan of a statement in the store's schema (with the planner told that the tables are big). */
    const plan = (sql: string, params: unknown[]) =>
      withClient(async (c) => {
        await c.query('BEGIN');
        try {
          await c.query('SET LOCAL enable_seqscan = off');
          const res = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
          return res.rows.map((r) => r['QUERY PLAN']).join('\n');
        } finally {
          await c.query('ROLLBACK');
        }
      });

    it('purges go through the expiry indexes, and nonces are deleted by ctid (a TID scan)', async () => {
      const grants = await plan(
        `DELETE FROM "${schema}".oz_grants WHERE id = ANY (ARRAY(
           SELECT id FROM "${schema}".oz_grants WHERE exp <= $1 ORDER BY exp LIMIT $2 FOR UPDATE SKIP LOCKED))`,
        [t0, 10],
      );
      expect(grants).toMatch(/oz_grants_exp/);
      const nonces = await plan(
        `DELETE FROM "${schema}".oz_nonces WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM "${schema}".oz_nonces WHERE expires_at <= $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
        [t0, 10],
      );
      expect(nonces).toMatch(/oz_nonces_expiry/);
      expect(nonces).toMatch(/Tid Scan/);
    });

    it('nonces are stored as two SHA-256 digests: long, NUL-holding pairs fit the key', async () => {
      const long = `Fe26.2**${randomBytes(3000).toString('base64url')}`;
      expect(await store.nonces.use(long, `n\u0000${'x'.repeat(4000)}`, t0, t0 + MINUTE)).toBe(true);
      expect(await store.nonces.use(long, `n\u0000${'x'.repeat(4000)}`, t0, t0 + MINUTE)).toBe(false);
      const rows = await withClient((c) =>
        c.query<{ c: number; n: number }>(
          `SELECT length(credential_id) AS c, length(nonce) AS n FROM "${schema}".oz_nonces`,
        ),
      );
      expect(rows.rows).toEqual([{ c: 32, n: 32 }]);
    });

    it('deleteTenant removes the tenant’s apps with their grants, and nothing of other tenants', async () => {
      for (const name of ['gone', 'kept']) await store.tenants.put({ name, settings: withDefaults({}), createdAt: t0 });
      const [g1, g2, k] = [app('gone', 'gone.one'), app('gone', 'gone.two'), app('kept', 'kept.one')];
      for (const x of [g1, g2, k]) expect(await store.apps.create(x)).toBe('created');
      const u = 'a'.repeat(24);
      const ofGone = [grant(g1, u), grant(g2, u, { createdOn: t0 + 1 })];
      const ofKept = grant(k, u, { createdOn: t0 + 2 });
      for (const g of [...ofGone, ofKept]) await store.grants.create(g);

      expect(await store.deleteTenant('gone')).toBe(true);
      expect(await store.apps.list('gone')).toEqual([]);
      expect(await store.apps.list(null)).toEqual([k]);
      for (const g of ofGone) expect(await store.grants.get(g.id, t0)).toBeNull();
      expect(await store.grants.list({ user: u }, t0, 10)).toEqual([ofKept]);
    });
  });

  describe('postgres store: schema, on stores of their own', () => {
    it('stores plain JSON as jsonb and escapes only what jsonb cannot hold; every string round-trips', async () => {
      const { store, schema } = openFresh();
      try {
        await store.migrate();
        await store.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: t0 });
        const plain = profile('a', 'plain', { roles: ['ADMIN'], attributes: { firstName: 'Ada', n: [1, 2.5] } });
        const odd = profile('a', 'odd', {
          roles: ['nul\u0000role', '\uffff'],
          attributes: {
            'nul\u0000key': 'a\u0000b',
            lone: ['\ud800', 'x\udc00y', '\udbff\udfff pair', '\uffff0 not an escape', '\\u0000 literal'],
            nested: { deep: [{ '\uffff': '\uffff2d800' }] },
            ...JSON.parse('{"__proto__": "a key, not a prototype"}'),
          },
        });
        expect(Object.keys(odd.attributes)).toContain('__proto__');
        for (const p of [plain, odd]) expect(await store.profiles.create(p)).toBe('created');
        for (const p of [plain, odd]) expect(await store.profiles.get(p.id)).toEqual(p);
        const listed = await store.profiles.list('a', 0, 10);
        expect(listed).toEqual([odd, plain]);

        const token = {
          id: randomBytes(32),
          idPrefix: 'abcd0123',
          application: 'app',
          master: false,
          tenantPermissions: [{ tenant: 'a\u0000', allowedActions: ['\ud800'] }],
          expiresOn: null,
          createdOn: t0,
        };
        expect(await store.accessTokens.create(token)).toBe('created');
        expect(await store.accessTokens.get(token.id)).toEqual(token);

        // Plain values are plain jsonb, which SQL can query.
        const res = await withClient((c) =>
          c.query(
            `SELECT attributes->>'firstName' AS name, roles->>0 AS role FROM "${schema}".profiles WHERE id = $1`,
            [plain.id],
          ),
        );
        expect(res.rows[0]).toEqual({ name: 'Ada', role: 'ADMIN' });
      } finally {
        await target.destroy(store);
      }
    });

    it('upgrades a version-1 schema in place: its tickets and counters stay', async () => {
      const { store, schema, url } = openFresh();
      const old = new PostgresStore(url);
      const v1 = migrations.find((m) => m.version === 1);
      if (!v1) throw new Error('no migration 1');
      // A schema as the released version 1 left it, with a tenant and a ticket.
      await withClient(async (c) => {
        await c.query(`CREATE SCHEMA "${schema}"`);
        await c.query(
          `CREATE TABLE "${schema}".schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        await c.query(v1.sql(`"${schema}"`));
        await c.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES (1)`);
      });
      try {
        expect(await old.schemaVersion()).toBe(1);
        await old.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: t0 });
        const t = ticket('a');
        expect(await old.tickets.create(t, 0, t0)).toBe('created');

        await Promise.all([store.migrate(), old.migrate()]);
        expect(await store.schemaVersion()).toBe(LATEST_VERSION);
        expect(await store.tickets.peek('a', t.id, t0)).not.toBeNull();
        expect(await store.tickets.count('a')).toBe(1);
        const p = profile('a', 'ada');
        expect(await store.profiles.create(p)).toBe('created');
        expect(await old.profiles.get(p.id)).toEqual(p);
        expect(await store.deleteTenant('a')).toBe(true);
        expect(await store.tickets.peek('a', t.id, t0)).toBeNull();
        expect(await store.profiles.get(p.id)).toBeNull();
      } finally {
        await old.close();
        await target.destroy(store);
      }
    });

    it('upgrades a version-2 schema in place: its tenants stay, and the Oz tables work', async () => {
      const { store: upgraded, schema: old } = openFresh();
      await withClient(async (c) => {
        await c.query(`CREATE SCHEMA "${old}"`);
        await c.query(
          `CREATE TABLE "${old}".schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        for (const m of migrations.filter((m) => m.version <= 2)) {
          await c.query(m.sql(`"${old}"`));
          await c.query(`INSERT INTO "${old}".schema_migrations (version) VALUES ($1)`, [m.version]);
        }
      });
      try {
        expect(await upgraded.schemaVersion()).toBe(2);
        await upgraded.tenants.put({ name: 't', settings: withDefaults({}), createdAt: t0 });
        await upgraded.migrate();
        expect(await upgraded.schemaVersion()).toBe(LATEST_VERSION);
        expect(await upgraded.tenants.get('t')).not.toBeNull();
        const x = app('t', 'x');
        expect(await upgraded.apps.create(x)).toBe('created');
        expect(await upgraded.nonces.use('x', 'n', t0, t0 + MINUTE)).toBe(true);
        expect(await upgraded.deleteTenant('t')).toBe(true);
        expect(await upgraded.apps.get('x')).toBeNull();
      } finally {
        await target.destroy(upgraded);
      }
    });
  });

  describe('postgres store: configuration and outages', () => {
    const stores: Store[] = [];
    afterEach(async () => {
      for (const s of stores.splice(0)) await target.destroy(s);
    });

    it('openStore picks PostgresStore for postgres:// and postgresql:// URLs', async () => {
      const fresh = freshPostgres(base);
      for (const url of [fresh.url, fresh.url.replace(/^postgres:/, 'postgresql:')]) {
        const store = target.track(await openStore(url), fresh.cleanup);
        stores.push(store);
        expect(store.kind).toBe('postgres');
        await store.ping();
      }
    });

    it('rejects a bad schema name', () => {
      const url = new URL(base);
      url.searchParams.set('schema', 'x"; DROP TABLE y; --');
      expect(() => new PostgresStore(url.toString())).toThrow(/schema/);
    });

    it('an unreachable server rejects with StoreUnavailableError', async () => {
      const url = new URL(base);
      url.host = '127.0.0.1:1';
      const store = new PostgresStore(url.toString());
      try {
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.tickets.use('default', randomBytes(32), Date.now())).rejects.toBeInstanceOf(
          StoreUnavailableError,
        );
        await expect(store.migrate()).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await store.close();
      }
    });

    it('a connection killed by the server (57P01) rejects with StoreUnavailableError; the pool recovers', async () => {
      const app = `ticketd_test_${randomBytes(4).toString('hex')}`;
      const { store: victim, schema } = openFresh({ application_name: app });
      stores.push(victim);

      await victim.migrate();
      await victim.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: Date.now() });
      const t = plainTicket('a', 3);
      expect(await victim.tickets.create(t, 0, Date.now())).toBe('created');

      await withClient(async (admin) => {
        // Hold the ticket row so that the store's use waits on the server, then kill its connection.
        await admin.query('BEGIN');
        await admin.query(`SELECT 1 FROM "${schema}".tickets WHERE id = $1 FOR UPDATE`, [t.id]);
        const pending = victim.tickets.use('a', t.id, Date.now());
        pending.catch(() => {});
        await waitFor(async () => {
          const res = await admin.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
            [app],
          );
          return res.rows[0].n === 1;
        });
        // Kill every connection of the store: the waiting one and the idle ones.
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
        await expect(pending).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(pending).rejects.toThrow(/57P01/);
        await admin.query('ROLLBACK');
      });

      // The pool opens new connections by itself: the ticket is still there, with its 3 uses.
      expect(await victim.tickets.use('a', t.id, Date.now())).toEqual({ usesLeft: 2, payload: null });
      await victim.ping();
    });

    it('the server stopping, coming back and hanging: 503-style errors, no crash, recovery by itself', async () => {
      const server = new URL(base);
      const proxy = await TcpProxy.start(server.hostname, Number(server.port || 5432));
      const fresh = freshPostgres(base);
      const url = new URL(fresh.url);
      url.host = `127.0.0.1:${proxy.port}`;
      const idleErrors: Error[] = [];
      const store = new PostgresStore(url.toString(), {
        onError: (err) => idleErrors.push(err),
        queryTimeoutMs: 1_000,
      });
      stores.push(target.track(store, fresh.cleanup));
      try {
        await store.migrate();
        await store.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: Date.now() });
        const t = plainTicket('a', 10);
        expect(await store.tickets.create(t, 0, Date.now())).toBe('created');

        // Stopped: open connections are cut and new ones refused.
        await proxy.stop();
        await waitFor(async () => idleErrors.length > 0);
        await expect(store.tickets.use('a', t.id, Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);

        // Back: the next calls work, without anyone touching the store.
        await proxy.resume();
        expect(await store.tickets.use('a', t.id, Date.now())).toEqual({ usesLeft: 9, payload: null });

        // Hanging (the connection stays open, nothing comes back): the call fails after the query timeout.
        proxy.freeze();
        const started = Date.now();
        await expect(store.tickets.use('a', t.id, Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(5_000);
        proxy.thaw();
        await proxy.stop();
        await proxy.resume();
        await waitFor(async () => (await store.tickets.peek('a', t.id, Date.now()).catch(() => null)) !== null);
        expect(await store.tickets.count('a')).toBe(1);
      } finally {
        await proxy.stop();
      }
    });
  });
}

function plainTicket(tenant: string, usesLeft: number | null): TicketRecord {
  return { tenant, id: randomBytes(32), usesLeft, expiresAt: null, createdAt: Date.now(), payload: null };
}

/**
 * A TCP proxy in front of the PostgreSQL server, to play an outage without
 * touching the shared server: stop (cut every connection, refuse new ones),
 * resume, freeze (keep connections open but forward nothing), thaw.
 */
class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private frozen = false;
  port = 0;

  private constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  static async start(host: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(host, targetPort);
    await proxy.resume();
    return proxy;
  }

  /** Listens again, on the same port as before. */
  resume(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, this.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('data', (chunk) => {
        if (!this.frozen) to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    if (server?.listening) await new Promise((resolve) => server.close(resolve));
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
