/**
 * The Oz side of the PostgreSQL store against the server at
 * TICKETD_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test):
 * the shared OzStore conformance suite, then races between two store
 * instances (two pools, as two processes would have) and what only this
 * backend has (the purges' plans, deleteTenant's cascade, upgrading a
 * version-2 schema). Every store lives in its own fresh schema, dropped
 * afterwards. Without the variable the tests are skipped with a message,
 * except under CI (CI=true), where that fails.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import type { OzAppRecord, OzGrantRecord } from '../../src/store/oz-types.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { LATEST_VERSION, migrations } from '../../src/store/postgres/migrations.js';
import type { Store } from '../../src/store/types.js';
import { runOzStoreConformance } from './oz-conformance.js';

const URL_VAR = 'TICKETD_TEST_POSTGRES_URL';
const baseUrl = process.env[URL_VAR];

if (!baseUrl) {
  const why = `${URL_VAR} is not set: no PostgreSQL server to test against`;
  if (process.env.CI === 'true') {
    describe('postgres oz store', () => {
      it('needs a PostgreSQL server under CI', () => {
        throw new Error(`${why} (required when CI=true)`);
      });
    });
  } else {
    console.warn(`[postgres oz store] SKIPPED: ${why}`);
    describe.skip(`postgres oz store: SKIPPED, ${why}`, () => {
      it('conformance', () => {});
    });
  }
} else {
  definePostgresOzTests(baseUrl);
}

const MINUTE = 60_000;

function definePostgresOzTests(base: string): void {
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

  runOzStoreConformance({
    name: 'postgres',
    open: async () => openIn(freshSchema()),
    destroy,
  });

  const t0 = Date.now();
  const app = (tenant: string, id: string): OzAppRecord => ({
    id,
    tenant,
    key: randomBytes(24).toString('base64url'),
    algorithm: 'sha256',
    scope: ['mylet'],
    delegate: false,
    extAttributes: [],
    createdOn: t0,
  });
  const grant = (of: OzAppRecord, user: string, fields: Partial<OzGrantRecord> = {}): OzGrantRecord => ({
    id: randomBytes(16).toString('base64url'),
    tenant: of.tenant,
    app: of.id,
    user,
    scope: [...of.scope],
    exp: t0 + 30 * MINUTE,
    session: randomBytes(32),
    createdOn: t0,
    ...fields,
  });

  describe('postgres oz store: two instances (separate pools, as separate processes would have)', () => {
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

    it('useNonce on 50 pairs raced from both, 4 calls per pair: each pair is accepted exactly once', async () => {
      const pairs = Array.from({ length: 50 }, (_, i) => [`app${i % 5}`, randomBytes(6).toString('base64url')]);
      const results = await Promise.all(
        pairs.flatMap(([c, n]) =>
          [a, b, b, a].map((store) => store.useNonce(c as string, n as string, t0, t0 + MINUTE)),
        ),
      );
      for (let i = 0; i < pairs.length; i++) {
        expect(results.slice(4 * i, 4 * i + 4).filter((r) => r)).toHaveLength(1);
      }
      // Once expired, each is accepted exactly once again.
      const again = await Promise.all(
        pairs.flatMap(([c, n]) =>
          [b, a, a, b].map((store) => store.useNonce(c as string, n as string, t0 + MINUTE, t0 + 2 * MINUTE)),
        ),
      );
      for (let i = 0; i < pairs.length; i++) {
        expect(again.slice(4 * i, 4 * i + 4).filter((r) => r)).toHaveLength(1);
      }
    });

    it('useNonce raced from both while both purge: each pair accepted once per life', async () => {
      const pairs = Array.from({ length: 50 }, (_, i) => [`c${i}`, 'n']);
      for (const [c, n] of pairs) expect(await a.useNonce(c as string, n as string, t0, t0 + MINUTE)).toBe(true);
      const now = t0 + MINUTE;
      const [uses, purged] = await Promise.all([
        Promise.all(
          pairs.flatMap(([c, n]) => [a, b].map((store) => store.useNonce(c as string, n as string, now, now + MINUTE))),
        ),
        Promise.all([a.purgeNonces(now, 20), b.purgeNonces(now, 20), a.purgeNonces(now, 20)]),
      ]);
      for (let i = 0; i < pairs.length; i++) expect(uses.slice(2 * i, 2 * i + 2).filter((r) => r)).toHaveLength(1);
      // Whatever the purges took, every pair now lives to now + MINUTE.
      for (const n of purged) expect(n).toBeLessThanOrEqual(20);
      expect(await b.purgeNonces(now, 1000)).toBe(0);
      for (const [c, n] of pairs) expect(await b.useNonce(c as string, n as string, now, now + MINUTE)).toBe(false);
    });

    it('20 creates of one app id raced from both: exactly one is created', async () => {
      const candidates = Array.from({ length: 20 }, (_, i) => ({ ...app('a', 'raced'), createdOn: t0 + i }));
      const results = await Promise.all(candidates.map((c, i) => (i % 2 ? a : b).createApp(c)));
      expect(results.filter((r) => r === 'created')).toHaveLength(1);
      expect(await b.getApp('raced')).toEqual(candidates[results.indexOf('created')]);
    });

    it('deleteApp from one instance while the other creates grants: nothing of the app is listed after', async () => {
      const doomed = app('a', 'doomed');
      expect(await a.createApp(doomed)).toBe('created');
      const u = 'u'.repeat(24);
      const creates = Array.from({ length: 30 }, (_, i) => b.createGrant(grant(doomed, u, { createdOn: t0 + i })));
      await creates[3];
      expect(await a.deleteApp(doomed.id)).toBe(true);
      await Promise.all(creates);
      // Grants that committed after the delete may remain (the core refuses a grant of an unknown
      // app); a second deleteApp takes them and finds no app.
      await a.deleteApp(doomed.id);
      expect(await b.listGrants({ app: doomed.id }, t0, 100)).toEqual([]);
      expect(await b.getApp(doomed.id)).toBeNull();
    });
  });

  describe('postgres oz store: schema', () => {
    let store: PostgresStore;
    let schema: string;

    beforeAll(async () => {
      schema = freshSchema();
      store = openIn(schema);
      await store.migrate();
    });

    afterAll(async () => {
      await destroy(store);
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
      expect(await store.useNonce(long, `n\u0000${'x'.repeat(4000)}`, t0, t0 + MINUTE)).toBe(true);
      expect(await store.useNonce(long, `n\u0000${'x'.repeat(4000)}`, t0, t0 + MINUTE)).toBe(false);
      const rows = await withClient((c) =>
        c.query<{ c: number; n: number }>(
          `SELECT length(credential_id) AS c, length(nonce) AS n FROM "${schema}".oz_nonces`,
        ),
      );
      expect(rows.rows).toEqual([{ c: 32, n: 32 }]);
    });

    it('deleteTenant removes the tenant’s apps with their grants, and nothing of other tenants', async () => {
      for (const name of ['gone', 'kept']) await store.putTenant({ name, settings: withDefaults({}), createdAt: t0 });
      const [g1, g2, k] = [app('gone', 'gone.one'), app('gone', 'gone.two'), app('kept', 'kept.one')];
      for (const x of [g1, g2, k]) expect(await store.createApp(x)).toBe('created');
      const u = 'a'.repeat(24);
      const ofGone = [grant(g1, u), grant(g2, u, { createdOn: t0 + 1 })];
      const ofKept = grant(k, u, { createdOn: t0 + 2 });
      for (const g of [...ofGone, ofKept]) await store.createGrant(g);

      expect(await store.deleteTenant('gone')).toBe(true);
      expect(await store.listApps('gone')).toEqual([]);
      expect(await store.listApps(null)).toEqual([k]);
      for (const g of ofGone) expect(await store.getGrant(g.id, t0)).toBeNull();
      expect(await store.listGrants({ user: u }, t0, 10)).toEqual([ofKept]);
    });

    it('upgrades a version-2 schema in place: its tenants stay, and the Oz tables work', async () => {
      const old = freshSchema();
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
      const upgraded = openIn(old);
      try {
        expect(await upgraded.schemaVersion()).toBe(2);
        await upgraded.putTenant({ name: 't', settings: withDefaults({}), createdAt: t0 });
        await upgraded.migrate();
        expect(await upgraded.schemaVersion()).toBe(LATEST_VERSION);
        expect(await upgraded.getTenant('t')).not.toBeNull();
        const x = app('t', 'x');
        expect(await upgraded.createApp(x)).toBe('created');
        expect(await upgraded.useNonce('x', 'n', t0, t0 + MINUTE)).toBe(true);
        expect(await upgraded.deleteTenant('t')).toBe(true);
        expect(await upgraded.getApp('x')).toBeNull();
      } finally {
        await destroy(upgraded);
      }
    });
  });
}
