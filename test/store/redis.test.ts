import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { RedisStore } from '../../src/store/redis/index.js';
import { type Store, StoreUnavailableError, type TicketRecord } from '../../src/store/types.js';
import { runStoreConformance } from './conformance.js';

const REDIS_URL = process.env.TICKETD_TEST_REDIS_URL;

if (!REDIS_URL) {
  if (process.env.CI === 'true') {
    describe('store: redis', () => {
      it('runs under CI', () => {
        throw new Error('TICKETD_TEST_REDIS_URL is not set: under CI the Redis store must be tested');
      });
    });
  } else {
    console.warn('store: redis: skipped, set TICKETD_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run it');
    describe('store: redis', () => {
      it.skip('skipped: TICKETD_TEST_REDIS_URL is not set', () => {});
    });
  }
} else {
  redisTests(REDIS_URL);
}

function redisTests(baseUrl: string): void {
  /** Deletes test keys; never FLUSHDB: other runs share this Redis. */
  const admin = new Redis(baseUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  afterAll(async () => {
    await admin.quit();
  });

  const newPrefix = () => `ticketd-test:${randomBytes(8).toString('hex')}:`;

  const urlFor = (prefix: string, params: Record<string, string> = {}, base = baseUrl): string => {
    const url = new URL(base);
    url.searchParams.set('prefix', prefix);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  };

  const deletePrefix = async (prefix: string): Promise<void> => {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
  };

  const destroy = async (store: Store): Promise<void> => {
    await store.close();
    await deletePrefix((store as RedisStore).options.prefix);
  };

  runStoreConformance({
    name: 'redis',
    open: async () => new RedisStore(urlFor(newPrefix())),
    destroy,
  });

  describe('redis store', () => {
    const opened: Store[] = [];
    /** Stores opened by a case; all on one prefix unless given. */
    const open = (prefix: string, params: Record<string, string> = {}, base = baseUrl): RedisStore => {
      const store = new RedisStore(urlFor(prefix, params, base));
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await destroy(store);
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
    const putTenant = (store: Store, name: string, ticketMax = 0) =>
      store.putTenant({ name, settings: withDefaults({ ticketMax }), createdAt: Date.now() });

    it('two connections (as two processes) racing: 200 uses of a uses:5 ticket give exactly 5', async () => {
      const prefix = newPrefix();
      const [a, b] = [open(prefix), open(prefix)];
      await a.migrate();
      await b.migrate();
      await putTenant(a, 't');
      const now = Date.now();
      const t = ticket('t', now, { usesLeft: 5, payload: Buffer.from('raced') });
      expect(await a.createTicket(t, 0, now)).toBe('created');

      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).useTicket('t', t.id, now)),
      );
      const ok = results.filter((r) => r !== null);
      expect(ok.map((r) => r.usesLeft).sort()).toEqual([0, 1, 2, 3, 4]);
      for (const r of ok) expect(r.payload).toEqual(Buffer.from('raced'));
      expect(await a.countTickets('t')).toBe(0);
      expect(await b.peekTicket('t', t.id, now)).toBeNull();
    });

    it('two connections racing: 50 creates against ticketMax 10 leave exactly 10', async () => {
      const prefix = newPrefix();
      const [a, b] = [open(prefix), open(prefix)];
      await a.migrate();
      await putTenant(a, 't', 10);
      const now = Date.now();
      const tickets = Array.from({ length: 50 }, () => ticket('t', now));
      const results = await Promise.all(tickets.map((t, i) => (i % 2 === 0 ? a : b).createTicket(t, 10, now)));
      expect(results.filter((r) => r === 'created')).toHaveLength(10);
      expect(await a.countTickets('t')).toBe(10);
      expect(await b.countTickets('t')).toBe(10);
      const alive = await Promise.all(tickets.map((t) => b.peekTicket('t', t.id, now)));
      expect(alive.filter((x) => x !== null)).toHaveLength(10);
    });

    it('a ticket whose native TTL elapsed stays counted until purge or reclaim, then the counter is right', async () => {
      const prefix = newPrefix();
      const store = open(prefix, { expiryGraceMs: '20' });
      await store.migrate();
      await putTenant(store, 't');
      const ttl = 50;
      let now = Date.now();
      const gone = ticket('t', now, { usesLeft: 3, expiresAt: now + ttl });
      const reclaimed = ticket('t', now, { expiresAt: now + ttl });
      const forever = ticket('t', now);
      for (const t of [gone, reclaimed, forever]) expect(await store.createTicket(t, 0, now)).toBe('created');
      expect(await store.countTickets('t')).toBe(3);

      // Wait until Redis itself has dropped both expiring hashes.
      const keys = [gone, reclaimed].map((t) => `${prefix}ticket:${t.id.toString('hex')}`);
      const deadline = Date.now() + 5_000;
      while ((await admin.exists(...keys)) > 0) {
        if (Date.now() > deadline) throw new Error('Redis did not expire the tickets');
        await new Promise((r) => setTimeout(r, 20));
      }
      now = Date.now();
      // Expired but not purged: still counted, never returned.
      expect(await store.countTickets('t')).toBe(3);
      expect(await store.useTicket('t', gone.id, now)).toBeNull();
      expect(await store.peekTicket('t', reclaimed.id, now)).toBeNull();

      // At the limit, a natively expired ticket is reclaimed through the index.
      const limitIndex = `${prefix}expiry:t`;
      expect(await store.createTicket(ticket('t', now), 3, now)).toBe('created');
      expect(await store.countTickets('t')).toBe(2);
      expect(await admin.zcard(limitIndex)).toBe(0);
      expect(await store.purgeTickets(now, 100)).toBe(0);
      expect(await store.countTickets('t')).toBe(2);

      // And purge uncounts one whose hash Redis already dropped.
      const later = ticket('t', now, { expiresAt: now + ttl });
      expect(await store.createTicket(later, 0, now)).toBe('created');
      expect(await store.countTickets('t')).toBe(3);
      const key = `${prefix}ticket:${later.id.toString('hex')}`;
      while ((await admin.exists(key)) > 0) await new Promise((r) => setTimeout(r, 20));
      expect(await store.purgeTickets(Date.now(), 100)).toBe(1);
      expect(await store.countTickets('t')).toBe(2);
      expect(await admin.exists(limitIndex, `${prefix}expiry-tenants`)).toBe(0);
      expect(await store.peekTicket('t', forever.id, Date.now())).not.toBeNull();
    });

    it('native expiry is relative: a caller clock far from real time still gets expiresAt - now + grace', async () => {
      const prefix = newPrefix();
      const store = open(prefix, { expiryGraceMs: '1000' });
      await store.migrate();
      await putTenant(store, 't');
      for (const now of [Date.UTC(2001, 0, 1), Date.UTC(2090, 0, 1)]) {
        const t = ticket('t', now, { expiresAt: now + 60_000 });
        expect(await store.createTicket(t, 0, now)).toBe('created');
        const pttl = await admin.pttl(`${prefix}ticket:${t.id.toString('hex')}`);
        expect(pttl).toBeGreaterThan(55_000);
        expect(pttl).toBeLessThanOrEqual(61_000);
        expect(await store.peekTicket('t', t.id, now + 59_999)).not.toBeNull();
        expect(await store.peekTicket('t', t.id, now + 60_000)).toBeNull();
      }
    });

    it('prefixes isolate stores sharing one Redis', async () => {
      const [a, b] = [open(newPrefix()), open(newPrefix())];
      await a.migrate();
      await putTenant(a, 't');
      const now = Date.now();
      const t = ticket('t', now);
      expect(await a.createTicket(t, 0, now)).toBe('created');
      expect(await b.schemaVersion()).toBe(0);
      expect(await b.listTenants()).toEqual([]);
      expect(await b.peekTicket('t', t.id, now)).toBeNull();
      expect(await b.countTickets('t')).toBe(0);
    });

    it('rejects quickly with StoreUnavailableError when Redis cannot be reached, and after close()', async () => {
      const unreachable = new RedisStore(urlFor(newPrefix(), { timeoutMs: '500' }, 'redis://127.0.0.1:1'));
      try {
        const started = Date.now();
        await expect(unreachable.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(unreachable.useTicket('t', randomBytes(32), started)).rejects.toBeInstanceOf(
          StoreUnavailableError,
        );
        expect(Date.now() - started).toBeLessThan(1_500);
      } finally {
        await unreachable.close();
      }

      const closed = open(newPrefix());
      await closed.ping();
      await closed.close();
      await expect(closed.countTickets('t')).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it('fails fast while the connection is down and reconnects by itself when Redis is back', async () => {
      const proxy = await TcpProxy.start(new URL(baseUrl));
      try {
        const store = open(newPrefix(), { timeoutMs: '500' }, proxy.url);
        await store.migrate();
        await putTenant(store, 't');
        expect(await store.countTickets('t')).toBe(0);

        await proxy.stop();
        const started = Date.now();
        await expect(store.countTickets('t')).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(1_500);

        await proxy.resume();
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
        expect(await store.createTicket(ticket('t', now), 0, now)).toBe('created');
        expect(await store.countTickets('t')).toBe(1);
      } finally {
        await proxy.stop();
      }
    });
  });
}

/** A TCP proxy to Redis that can be cut off and resumed on the same port: a Redis outage under test control. */
class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly target: URL,
    private port = 0,
  ) {}

  static async start(target: URL): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.resume();
    return proxy;
  }

  get url(): string {
    const url = new URL(this.target);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  resume(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(Number(this.target.port || 6379), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        const address = server.address();
        if (address && typeof address === 'object') this.port = address.port;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
