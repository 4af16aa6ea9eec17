/**
 * The Redis store on a Redis Cluster of the test's own (six nodes: three
 * primaries, three replicas; test/helpers/redis-cluster.ts): every
 * conformance suite, two store instances racing, and what only a cluster
 * has: one tenant's tickets spread over every primary. A primary's crash
 * with `wait=1` is test/faults/failover.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { RedisStore } from '../../src/store/redis/index.js';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js';
import { freshTarget, runStoreConformance } from './conformance.js';
import { runOzStoreConformance } from './oz-conformance.js';
import { runPairConformance } from './pair-conformance.js';
import { runProfileStoreConformance } from './profile-conformance.js';
import { ticketRecord } from './records.js';

let cluster: TestRedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const url = (params: Record<string, string> = {}) =>
  `${cluster.seeds}/?${new URLSearchParams({ prefix: `t${randomBytes(5).toString('hex')}:`, ...params })}`;

const target = freshTarget('redis-cluster', () => ({ store: new RedisStore(url()), cleanup: async () => {} }));

runStoreConformance(target);
runProfileStoreConformance(target);
runOzStoreConformance(target);
runPairConformance({
  name: 'redis-cluster',
  openPair: async () => {
    const u = url();
    return [target.track(new RedisStore(u), async () => {}), new RedisStore(u)];
  },
  destroyPair: async ([a, b]) => {
    await b.close();
    await target.destroy(a);
  },
});

describe('redis cluster store', () => {
  it('spreads one tenant’s tickets over every primary, none holding more than twice its share', async () => {
    const store = new RedisStore(url());
    try {
      await store.migrate();
      await store.tenants.put({ name: 'spread', settings: withDefaults({}), createdAt: Date.now() });
      const now = Date.now();
      for (let i = 0; i < 30; i++) {
        await Promise.all(Array.from({ length: 100 }, () => store.tickets.create(ticketRecord('spread', now), 0, now)));
      }
      const primaries = await cluster.primaries();
      expect(primaries).toHaveLength(3);
      const counts = await Promise.all(
        primaries.map(async (port) => {
          const redis = new Redis({ port, host: '127.0.0.1' });
          try {
            let n = 0;
            let cursor = '0';
            do {
              const [next, keys] = await redis.scan(
                cursor,
                'MATCH',
                `{${store.options.prefix}/*}ticket:*`,
                'COUNT',
                1000,
              );
              cursor = next;
              n += keys.length;
            } while (cursor !== '0');
            return n;
          } finally {
            redis.disconnect();
          }
        }),
      );
      expect(counts.reduce((a, b) => a + b, 0)).toBe(3000);
      for (const n of counts) {
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(2000);
      }
      expect(await store.tickets.count('spread')).toBe(3000);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('a create whose answer is lost keeps its place only if the ticket was written; a late write is refused', async () => {
    const store = new RedisStore(url());
    try {
      await store.migrate();
      await store.tenants.put({ name: 'lost', settings: withDefaults({}), createdAt: Date.now() });
      const now = Date.now();
      // The cluster and its scripts stay real; only the create script's answer is lost, through a view of
      // the client that the store's ticket part is given instead of the client itself.
      type Fn = (...a: unknown[]) => Promise<unknown>;
      const tickets = store.tickets as unknown as { redis: Record<string, unknown> };
      const client = tickets.redis;
      const real: Fn = (...a) => (client.ticketdShardCreate as Fn).apply(client, a);
      let create: Fn = real;
      tickets.redis = new Proxy(client, {
        get: (target, prop) => {
          if (prop === 'ticketdShardCreate') return create;
          const v = Reflect.get(target, prop);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      let late: unknown[] = [];
      // Written, then the answer lost: the ticket counts, so ticketMax 1 is reached.
      create = async (...a) => {
        await real(...a);
        throw new Error('answer lost');
      };
      await expect(store.tickets.create(ticketRecord('lost', now), 1, now)).rejects.toThrow();
      expect(await store.tickets.count('lost')).toBe(1);
      create = real;
      expect(await store.tickets.create(ticketRecord('lost', now), 1, now)).toBe('limit');

      // Lost before it was written: the place comes back, and the write, arriving late, is refused.
      create = async (...a) => {
        late = a;
        throw new Error('answer lost');
      };
      await expect(store.tickets.create(ticketRecord('lost', now), 2, now)).rejects.toThrow();
      expect(await store.tickets.count('lost')).toBe(1);
      await expect(real(...late)).rejects.toThrow(/given up/);
      create = real;
      expect(await store.tickets.create(ticketRecord('lost', now), 2, now)).toBe('created');
      expect(await store.tickets.count('lost')).toBe(2);
    } finally {
      await store.close();
    }
  });
});
