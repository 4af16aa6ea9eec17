import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FreshStore, freshStore, type ServerBackend, serverUrl } from './backends.js';

/** A store every process of a test shares, made fresh for that test. */
export interface StoreTarget {
  name: string;
  /** A fresh store for this run. */
  prepare: () => FreshStore;
}

/**
 * The stores a multi-process test runs on: a SQLite file in a temporary
 * directory of its own (cleanup removes it), and a fresh PostgreSQL schema
 * and Redis prefix on the test servers. A server
 * that is not configured is skipped with a message (failed under CI=true),
 * as `serverUrl` says.
 */
export function storeTargets(title: string): StoreTarget[] {
  const targets: StoreTarget[] = [
    {
      name: 'sqlite',
      prepare: () => {
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
    if (base) targets.push({ name: backend, prepare: () => freshStore(backend, base) });
  }
  return targets;
}
