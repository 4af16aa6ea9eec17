/**
 * The profile side of the PostgreSQL store against the server at
 * TICKETD_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test):
 * the shared ProfileStore conformance suite, then races between two store
 * instances (two pools, as two processes would have) and what only this
 * backend has (jsonb encoding, upgrading a version-1 schema). Every store
 * lives in its own fresh schema, dropped afterwards. Without the variable the
 * tests are skipped with a message, except under CI (CI=true), where that fails.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { LATEST_VERSION, migrations } from '../../src/store/postgres/migrations.js';
import type { ProfileRecord } from '../../src/store/profile-types.js';
import type { Store, TicketRecord } from '../../src/store/types.js';
import { runProfileStoreConformance } from './profile-conformance.js';

const URL_VAR = 'TICKETD_TEST_POSTGRES_URL';
const baseUrl = process.env[URL_VAR];

if (!baseUrl) {
  const why = `${URL_VAR} is not set: no PostgreSQL server to test against`;
  if (process.env.CI === 'true') {
    describe('postgres profile store', () => {
      it('needs a PostgreSQL server under CI', () => {
        throw new Error(`${why} (required when CI=true)`);
      });
    });
  } else {
    console.warn(`[postgres profile store] SKIPPED: ${why}`);
    describe.skip(`postgres profile store: SKIPPED, ${why}`, () => {
      it('conformance', () => {});
    });
  }
} else {
  definePostgresProfileTests(baseUrl);
}

function definePostgresProfileTests(base: string): void {
  const schemas = new WeakMap<Store, string>();

  const freshSchema = () => `ticketd_test_${randomBytes(6).toString('hex')}`;

  const openIn = (schema: string): PostgresStore => {
    const url = new URL(base);
    url.searchParams.set('schema', schema);
    const store = new PostgresStore(url.toString());
    schemas.set(store, schema);
    return store;
  };

  /** Runs `f` with a plain client of its own, outside any store. */
  const withClient = async <T>(f: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      return await f(client);
    } finally {
      await client.end();
    }
  };

  const dropSchema = (schema: string) => withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

  const destroy = async (store: Store): Promise<void> => {
    try {
      await store.close();
    } finally {
      const schema = schemas.get(store);
      if (schema) await dropSchema(schema);
    }
  };

  runProfileStoreConformance({
    name: 'postgres',
    open: async () => openIn(freshSchema()),
    destroy,
  });

  const t0 = Date.now();
  const profile = (tenant: string, username: string, fields: Partial<ProfileRecord> = {}): ProfileRecord => ({
    id: randomBytes(12).toString('hex'),
    tenant,
    username,
    email: `${username}@example.com`,
    passwordHash: null,
    enabled: true,
    verified: false,
    roles: [],
    attributes: {},
    createdOn: t0,
    lastModified: t0,
    failedLoginAttempts: 0,
    lastFailedLogin: null,
    lockedUntil: null,
    ...fields,
  });
  const ticket = (tenant: string): TicketRecord => ({
    tenant,
    id: randomBytes(32),
    usesLeft: null,
    expiresAt: null,
    createdAt: t0,
    payload: null,
  });

  describe('postgres profile store: two instances (separate pools, as separate processes would have)', () => {
    const schema = freshSchema();
    let a: PostgresStore;
    let b: PostgresStore;

    beforeAll(async () => {
      a = openIn(schema);
      b = openIn(schema);
      await Promise.all([a.migrate(), b.migrate()]);
      await a.putTenant({ name: 'a', settings: withDefaults({}), createdAt: t0 });
    });

    afterAll(async () => {
      await b.close();
      await destroy(a);
    });

    it('60 recordLoginFailure calls raced from both add exactly 60; the lock is set once, at lockAfter', async () => {
      const p = profile('a', 'target');
      expect(await a.createProfile(p)).toBe('created');
      const lockMs = 600_000;
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).recordLoginFailure(p.id, t0, 25, lockMs)),
      );
      const counts = results.map((r) => r?.failedLoginAttempts ?? 0).sort((x, y) => x - y);
      expect(counts).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      for (const r of results) expect(r?.lockedUntil).toBe((r?.failedLoginAttempts ?? 0) >= 25 ? t0 + lockMs : null);
      expect(await b.getProfile(p.id)).toMatchObject({
        failedLoginAttempts: 60,
        lastFailedLogin: t0,
        lockedUntil: t0 + lockMs,
      });
    });

    it('creates of one username raced from both: exactly one is created, for each of 20 usernames', async () => {
      const rounds = await Promise.all(
        Array.from({ length: 20 }, async (_, n) => {
          const candidates = Array.from({ length: 6 }, (_, i) => profile('a', `racer${n}`, { email: `c${i}@x.org` }));
          const results = await Promise.all(candidates.map((p, i) => (i % 2 ? a : b).createProfile(p)));
          return { candidates, results };
        }),
      );
      for (const [n, { candidates, results }] of rounds.entries()) {
        expect(results.filter((r) => r === 'created')).toHaveLength(1);
        const winner = candidates[results.indexOf('created')];
        expect(await a.getProfileByUsername('a', `racer${n}`)).toEqual(winner);
      }
      // 20 racers and the profile of the test before.
      expect(await b.countProfiles('a')).toBe(21);
    });

    it('renames to one username raced from both: exactly one wins', async () => {
      const ps = [];
      for (let i = 0; i < 10; i++) {
        const p = profile('a', `renamer${i}`);
        expect(await a.createProfile(p)).toBe('created');
        ps.push(p);
      }
      const results = await Promise.all(
        ps.map((p, i) => (i % 2 ? a : b).updateProfile(p.id, { username: 'renamed' }, t0 + 1)),
      );
      expect(results.filter((r) => r === 'exists')).toHaveLength(9);
      const won = results.find((r) => r !== 'exists');
      expect(won).toMatchObject({ username: 'renamed', lastModified: t0 + 1 });
      expect(await b.getProfileByUsername('a', 'renamed')).toEqual(won);
    });

    it('putMetaIfAbsent raced from both: one value wins and every caller gets it', async () => {
      const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
      const results = await Promise.all(values.map((v, i) => (i % 2 ? a : b).putMetaIfAbsent('race', v)));
      const winner = results[0];
      expect(values).toContain(winner);
      expect(results).toEqual(values.map(() => winner));
      expect(await b.getMeta('race')).toBe(winner);
    });

    it('deleteTenant racing ticket creates from the other instance leaves no ticket of the tenant behind', async () => {
      for (const max of [0, 1000]) {
        const tenant = `doomed-${max}`;
        await a.putTenant({ name: tenant, settings: withDefaults({}), createdAt: t0 });
        const creates = Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? a : b).createTicket(ticket(tenant), max, t0).catch(() => 'failed' as const),
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
        await b.putTenant({ name: tenant, settings: withDefaults({}), createdAt: t0 });
        expect(await a.countTickets(tenant)).toBe(0);
        expect(await a.createTicket(ticket(tenant), 1, t0)).toBe('created');
        expect(await a.createTicket(ticket(tenant), 1, t0)).toBe('limit');
        expect(await b.countTickets(tenant)).toBe(1);
      }
    });
  });

  describe('postgres profile store: schema', () => {
    it('stores plain JSON as jsonb and escapes only what jsonb cannot hold; every string round-trips', async () => {
      const store = openIn(freshSchema());
      try {
        await store.migrate();
        await store.putTenant({ name: 'a', settings: withDefaults({}), createdAt: t0 });
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
        for (const p of [plain, odd]) expect(await store.createProfile(p)).toBe('created');
        for (const p of [plain, odd]) expect(await store.getProfile(p.id)).toEqual(p);
        const listed = await store.listProfiles('a', 0, 10);
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
        expect(await store.createAccessToken(token)).toBe('created');
        expect(await store.getAccessToken(token.id)).toEqual(token);

        // Plain values are plain jsonb, which SQL can query.
        const schema = schemas.get(store);
        const res = await withClient((c) =>
          c.query(
            `SELECT attributes->>'firstName' AS name, roles->>0 AS role FROM "${schema}".profiles WHERE id = $1`,
            [plain.id],
          ),
        );
        expect(res.rows[0]).toEqual({ name: 'Ada', role: 'ADMIN' });
      } finally {
        await destroy(store);
      }
    });

    it('upgrades a version-1 schema in place: its tickets and counters stay', async () => {
      const schema = freshSchema();
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
      const old = openIn(schema);
      const store = openIn(schema);
      try {
        expect(await old.schemaVersion()).toBe(1);
        await old.putTenant({ name: 'a', settings: withDefaults({}), createdAt: t0 });
        const t = ticket('a');
        expect(await old.createTicket(t, 0, t0)).toBe('created');

        await Promise.all([store.migrate(), old.migrate()]);
        expect(await store.schemaVersion()).toBe(LATEST_VERSION);
        expect(await store.peekTicket('a', t.id, t0)).not.toBeNull();
        expect(await store.countTickets('a')).toBe(1);
        const p = profile('a', 'ada');
        expect(await store.createProfile(p)).toBe('created');
        expect(await old.getProfile(p.id)).toEqual(p);
        expect(await store.deleteTenant('a')).toBe(true);
        expect(await store.peekTicket('a', t.id, t0)).toBeNull();
        expect(await store.getProfile(p.id)).toBeNull();
      } finally {
        await old.close();
        await destroy(store);
      }
    });
  });
}
