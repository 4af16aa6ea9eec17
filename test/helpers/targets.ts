import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type FreshStore, freshStore, type ServerBackend, serverUrl } from './backends.js';
import { startRedisCluster, type TestRedisCluster } from './redis-cluster.js';

/** A store every process of a test shares, made fresh for that test. */
export interface StoreTarget {
  name: string;
  /** A fresh store for this run. */
  prepare: () => Promise<FreshStore>;
}

/**
 * The stores a multi-process test runs on: a SQLite file in a temporary
 * directory of its own (cleanup removes it), and a fresh PostgreSQL schema
 * and Redis prefix on the test servers. A server
 * that is not configured is skipped with a message (failed under CI=true),
 * as `serverUrl` says. With `cluster`, also a six-node Redis Cluster of the
 * file's own (test/helpers/redis-cluster.ts), started by the first prepare
 * and stopped after the file's tests; each prepare is a fresh key prefix on it.
 */
export function storeTargets(title: string, options: { cluster?: boolean } = {}): StoreTarget[] {
  const targets: StoreTarget[] = [
    {
      name: 'sqlite',
      prepare: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'ticketd-store-'));
        return {
          url: `sqlite:${join(dir, 'ticketd.db')}`,
          cleanup: async () => rmSync(dir, { recursive: true, force: true }),
        };
      },
    },
  ];
  for (const backend of ['postgres', 'redis'] as ServerBackend[]) {
    const base = serverUrl(backend, title);
    if (base) targets.push({ name: backend, prepare: async () => freshStore(backend, base) });
  }
  if (options.cluster) targets.push(clusterTarget());
  return targets;
}

function clusterTarget(): StoreTarget {
  let cluster: Promise<TestRedisCluster> | undefined;
  afterAll(async () => {
    await (await cluster?.catch(() => undefined))?.stop();
  }, 30_000);
  return {
    name: 'redis-cluster',
    prepare: async () => {
      cluster ??= startRedisCluster();
      const { seeds } = await cluster;
      // The cluster goes with the file: nothing to remove per store.
      return { url: `${seeds}/?prefix=t${randomBytes(5).toString('hex')}:`, cleanup: async () => {} };
    },
  };
}
