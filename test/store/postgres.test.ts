/**
 * The PostgreSQL store against the server at TICKETD_TEST_POSTGRES_URL
 * (e.g. postgres://postgres@127.0.0.1:5432/test). Every store lives in its
 * own fresh schema, dropped afterwards. Without the variable the tests are
 * skipped with a message, except under CI (CI=true), where that fails.
 */
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { openStore } from '../../src/store/open.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { type Store, StoreUnavailableError, type TicketRecord } from '../../src/store/types.js';
import { runStoreConformance } from './conformance.js';

const URL_VAR = 'TICKETD_TEST_POSTGRES_URL';
const baseUrl = process.env[URL_VAR];

if (!baseUrl) {
  const why = `${URL_VAR} is not set: no PostgreSQL server to test against`;
  if (process.env.CI === 'true') {
    describe('postgres store', () => {
      it('needs a PostgreSQL server under CI', () => {
        throw new Error(`${why} (required when CI=true)`);
      });
    });
  } else {
    console.warn(`[postgres store] SKIPPED: ${why}`);
    describe.skip(`postgres store: SKIPPED, ${why}`, () => {
      it('conformance', () => {});
    });
  }
} else {
  definePostgresTests(baseUrl);
}

function definePostgresTests(base: string): void {
  const schemas = new WeakMap<Store, string>();

  /** The base URL with extra query parameters. */
  const withParams = (params: Record<string, string>): string => {
    const url = new URL(base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  };

  const freshSchema = () => `ticketd_test_${randomBytes(6).toString('hex')}`;

  const openIn = (schema: string, params: Record<string, string> = {}): PostgresStore => {
    const store = new PostgresStore(withParams({ schema, ...params }));
    schemas.set(store, schema);
    return store;
  };

  const dropSchema = async (schema: string): Promise<void> => {
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
  };

  const destroy = async (store: Store): Promise<void> => {
    try {
      await store.close();
    } finally {
      const schema = schemas.get(store);
      if (schema) await dropSchema(schema);
    }
  };

  runStoreConformance({
    name: 'postgres',
    open: async () => openIn(freshSchema()),
    destroy,
  });

  describe('postgres store: several instances (separate pools, as separate processes would have)', () => {
    const schema = freshSchema();
    let a: PostgresStore;
    let b: PostgresStore;
    const t0 = Date.now();
    const ticket = (tenant: string, fields: Partial<TicketRecord> = {}): TicketRecord => ({
      tenant,
      id: randomBytes(32),
      usesLeft: null,
      expiresAt: null,
      createdAt: t0,
      payload: null,
      ...fields,
    });

    beforeAll(async () => {
      a = openIn(schema);
      b = openIn(schema);
      // Both start at once: each migration is applied once, under the advisory lock.
      await Promise.all([a.migrate(), b.migrate(), a.migrate(), b.migrate()]);
      expect(await a.schemaVersion()).toBe(await b.schemaVersion());
    });

    afterAll(async () => {
      await b.close();
      await destroy(a);
    });

    it('record their migrations once', async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        const res = await client.query(
          `SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY 1`,
        );
        expect(res.rows.length).toBeGreaterThan(0);
        for (const row of res.rows) expect(row.n).toBe(1);
      } finally {
        await client.end();
      }
    });

    it('200 uses of a uses:5 ticket raced from two instances give exactly 5', async () => {
      await a.putTenant({ name: 'race-use', settings: withDefaults({}), createdAt: t0 });
      const t = ticket('race-use', { usesLeft: 5, payload: Buffer.from('p') });
      expect(await a.createTicket(t, 0, t0)).toBe('created');
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).useTicket('race-use', t.id, t0)),
      );
      const ok = results.filter((r) => r !== null);
      expect(ok.map((r) => r.usesLeft).sort()).toEqual([0, 1, 2, 3, 4]);
      expect(await b.countTickets('race-use')).toBe(0);
    });

    it('50 creates against ticketMax 10 raced from two instances leave exactly 10', async () => {
      await b.putTenant({ name: 'race-create', settings: withDefaults({ ticketMax: 10 }), createdAt: t0 });
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).createTicket(ticket('race-create'), 10, t0)),
      );
      expect(results.filter((r) => r === 'created')).toHaveLength(10);
      expect(await a.countTickets('race-create')).toBe(10);
    });

    it('50 creates against ticketMax 10 held by expired tickets, raced from two instances, leave exactly 10', async () => {
      await a.putTenant({ name: 'race-reclaim', settings: withDefaults({ ticketMax: 10 }), createdAt: t0 });
      for (let i = 0; i < 10; i++) {
        expect(await a.createTicket(ticket('race-reclaim', { expiresAt: t0 + 1000 + i }), 10, t0)).toBe('created');
      }
      const now = t0 + 2000;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).createTicket(ticket('race-reclaim'), 10, now)),
      );
      expect(results.filter((r) => r === 'created')).toHaveLength(10);
      expect(await b.countTickets('race-reclaim')).toBe(10);
    });

    it('two concurrent purgers remove each expired ticket once and keep the counters right', async () => {
      const tenants = ['purge-x', 'purge-y', 'purge-z'];
      for (const name of tenants) await a.putTenant({ name, settings: withDefaults({}), createdAt: t0 });
      const expired = 300;
      await Promise.all(
        Array.from({ length: expired }, (_, i) =>
          (i % 2 ? a : b).createTicket(ticket(tenants[i % 3] ?? 'purge-x', { expiresAt: t0 + 1000 + (i % 17) }), 0, t0),
        ),
      );
      for (const name of tenants) await a.createTicket(ticket(name), 0, t0);
      const now = t0 + 5000;

      const purger = async (store: Store): Promise<number> => {
        let total = 0;
        for (;;) {
          const n = await store.purgeTickets(now, 7);
          total += n;
          if (n === 0) return total;
        }
      };
      const removed = await Promise.all([purger(a), purger(b), purger(a), purger(b)]);
      expect(removed.reduce((x, y) => x + y, 0)).toBe(expired);
      for (const name of tenants) expect(await b.countTickets(name)).toBe(1);
      expect(await a.purgeTickets(now, 1000)).toBe(0);
    });

    it('a mixed load from two instances keeps every count equal to the rows stored and the limit exact', async () => {
      const tenants = ['mix-limited', 'mix-free'];
      await a.putTenant({ name: 'mix-limited', settings: withDefaults({ ticketMax: 40 }), createdAt: t0 });
      await a.putTenant({ name: 'mix-free', settings: withDefaults({}), createdAt: t0 });
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
            ops.push(store.createTicket(t, tenant === 'mix-limited' ? 40 : 0, now));
            break;
          }
          case 2:
          case 3:
            if (pick) ops.push(store.useTicket(pick.tenant, pick.id, now));
            break;
          case 4:
            if (pick) ops.push(store.deleteTicket(pick.tenant, pick.id, now));
            break;
          default:
            ops.push(store.purgeTickets(now, 5));
        }
        if (i % 50 === 49) {
          await Promise.all(ops.splice(0));
          if ((await a.countTickets('mix-limited')) > 40) over = true;
        }
      }
      await Promise.all(ops);
      expect(over).toBe(false);

      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        for (const name of tenants) {
          const rows = await client.query(`SELECT count(*)::int AS n FROM "${schema}".tickets WHERE tenant = $1`, [
            name,
          ]);
          expect(await b.countTickets(name)).toBe(rows.rows[0].n);
        }
      } finally {
        await client.end();
      }
    });
  });

  describe('postgres store: configuration and outages', () => {
    const stores: Store[] = [];
    afterEach(async () => {
      for (const s of stores.splice(0)) await destroy(s);
    });

    it('openStore picks PostgresStore for postgres:// and postgresql:// URLs', async () => {
      const schema = freshSchema();
      for (const url of [withParams({ schema }), withParams({ schema }).replace(/^postgres:/, 'postgresql:')]) {
        const store = openStore(url);
        schemas.set(store, schema);
        stores.push(store);
        expect(store.kind).toBe('postgres');
        await store.ping();
      }
    });

    it('rejects a bad schema name', () => {
      expect(() => new PostgresStore(withParams({ schema: 'x"; DROP TABLE y; --' }))).toThrow(/schema/);
    });

    it('an unreachable server rejects with StoreUnavailableError', async () => {
      const url = new URL(base);
      url.host = '127.0.0.1:1';
      const store = new PostgresStore(url.toString());
      try {
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.useTicket('default', randomBytes(32), Date.now())).rejects.toBeInstanceOf(
          StoreUnavailableError,
        );
        await expect(store.migrate()).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await store.close();
      }
    });

    it('a connection killed by the server (57P01) rejects with StoreUnavailableError; the pool recovers', async () => {
      const app = `ticketd_test_${randomBytes(4).toString('hex')}`;
      const schema = freshSchema();
      const victim = openIn(schema, { application_name: app });
      stores.push(victim);

      await victim.migrate();
      await victim.putTenant({ name: 'a', settings: withDefaults({}), createdAt: Date.now() });
      const t = plainTicket('a', 3);
      expect(await victim.createTicket(t, 0, Date.now())).toBe('created');

      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        // Hold the ticket row so that the store's use waits on the server, then kill its connection.
        await admin.query('BEGIN');
        await admin.query(`SELECT 1 FROM "${schema}".tickets WHERE id = $1 FOR UPDATE`, [t.id]);
        const pending = victim.useTicket('a', t.id, Date.now());
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
      } finally {
        await admin.end();
      }

      // The pool opens new connections by itself: the ticket is still there, with its 3 uses.
      expect(await victim.useTicket('a', t.id, Date.now())).toEqual({ usesLeft: 2, payload: null });
      await victim.ping();
    });

    it('the server stopping, coming back and hanging: 503-style errors, no crash, recovery by itself', async () => {
      const target = new URL(base);
      const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
      const schema = freshSchema();
      const url = new URL(withParams({ schema }));
      url.host = `127.0.0.1:${proxy.port}`;
      const idleErrors: Error[] = [];
      const store = new PostgresStore(url.toString(), {
        onError: (err) => idleErrors.push(err),
        queryTimeoutMs: 1_000,
      });
      schemas.set(store, schema);
      stores.push(store);
      try {
        await store.migrate();
        await store.putTenant({ name: 'a', settings: withDefaults({}), createdAt: Date.now() });
        const t = plainTicket('a', 10);
        expect(await store.createTicket(t, 0, Date.now())).toBe('created');

        // Stopped: open connections are cut and new ones refused.
        await proxy.stop();
        await waitFor(async () => idleErrors.length > 0);
        await expect(store.useTicket('a', t.id, Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);

        // Back: the next calls work, without anyone touching the store.
        await proxy.resume();
        expect(await store.useTicket('a', t.id, Date.now())).toEqual({ usesLeft: 9, payload: null });

        // Hanging (the connection stays open, nothing comes back): the call fails after the query timeout.
        proxy.freeze();
        const started = Date.now();
        await expect(store.useTicket('a', t.id, Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(5_000);
        proxy.thaw();
        await proxy.stop();
        await proxy.resume();
        await waitFor(async () => (await store.peekTicket('a', t.id, Date.now()).catch(() => null)) !== null);
        expect(await store.countTickets('a')).toBe(1);
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
