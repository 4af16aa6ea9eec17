import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { openStore } from '../../src/store/open.js';
import type { Store, TicketRecord } from '../../src/store/types.js';
import { storeTargets } from '../helpers/targets.js';

/**
 * The background purge is safe on every instance at once (docs/operations.md,
 * "Several instances behind a load balancer": "The purge runs on every instance"). Two
 * worker processes, each with its own store object on one shared backend (one
 * SQLite file, one PostgreSQL schema, one Redis prefix), run the real Purger
 * at the same moment over many expired tickets of several tenants, in small
 * batches so that they interleave. Every expired ticket is removed exactly
 * once in total, live tickets stay, and the per-tenant counters end right.
 */
const TITLE = 'concurrent purge on several instances';
const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'purge-worker.ts');
const TENANTS = ['alpha', 'beta', 'gamma'];
const EXPIRED = 3_000;
const LIVE = 300;
const BATCH = 50;

const targets = storeTargets(TITLE);

interface WorkerResult {
  removed: number;
  runs: number;
  emitted: number;
}

/** Starts one purge worker; `ready` resolves once it is connected, `go()` starts it, `done` is its result. */
function startWorker(url: string, now: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, url, String(now), String(BATCH)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => (out.startsWith('ready\n') ? resolve() : undefined);
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`purge worker exited (${code}) before ready: ${err}`)));
  });
  const done = exited.then((code): WorkerResult => {
    clearTimeout(timer);
    if (code !== 0) throw new Error(`purge worker exited with ${code}: ${err}`);
    return JSON.parse(out.trim().split('\n').at(-1) ?? '') as WorkerResult;
  });
  return { ready, done, go: () => child.stdin.end('go\n') };
}

/** Runs `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

for (const target of targets) {
  describe(`${TITLE} on ${target.name}`, () => {
    it(`two purging processes remove each of ${EXPIRED} expired tickets exactly once; counters end right`, async () => {
      const fresh = await target.prepare();
      const store: Store = await openStore(fresh.url);
      try {
        await store.migrate();
        const t0 = Date.UTC(2026, 0, 1);
        for (const name of TENANTS) await store.tenants.put({ name, settings: withDefaults({}), createdAt: t0 });

        // Expired by purge time (t0 + 120 s), with interleaved expiries across tenants;
        // live ones never expire or expire long after. Redis expires keys natively only
        // 10 s after expiresAt - t0 (>= 60 s here), well after this test.
        const tickets: TicketRecord[] = [];
        for (let i = 0; i < EXPIRED + LIVE; i++) {
          const expired = i < EXPIRED;
          tickets.push({
            tenant: TENANTS[i % TENANTS.length] as string,
            id: randomBytes(32),
            usesLeft: 1 + (i % 3),
            expiresAt: expired ? t0 + 60_000 + ((i * 7919) % 50_000) : i % 2 ? null : t0 + 86_400_000,
            createdAt: t0,
            payload: null,
          });
        }
        await inParallel(tickets, 32, async (t) => {
          expect(await store.tickets.create(t, 0, t0)).toBe('created');
        });
        const perTenant = (expired: boolean) =>
          Object.fromEntries(
            TENANTS.map((name) => [
              name,
              tickets.filter((t, i) => t.tenant === name && i < EXPIRED === expired).length,
            ]),
          );
        const expiredBy = perTenant(true);
        const liveBy = perTenant(false);
        for (const name of TENANTS) {
          expect(await store.tickets.count(name)).toBe((expiredBy[name] ?? 0) + (liveBy[name] ?? 0));
        }

        const now = t0 + 120_000;
        const workers = [startWorker(fresh.url, now), startWorker(fresh.url, now)];
        await Promise.all(workers.map((w) => w.ready));
        for (const w of workers) w.go();
        const results = await Promise.all(workers.map((w) => w.done));
        console.log(`[${TITLE} on ${target.name}] removed per worker:`, JSON.stringify(results));

        // Exactly once in total: nothing removed twice, nothing left behind.
        expect(results.reduce((sum, r) => sum + r.removed, 0)).toBe(EXPIRED);
        for (const r of results) expect(r.emitted).toBe(r.removed);
        expect((await store.tickets.purge(now, 10_000)).removed).toBe(0);

        // Counters: exactly the live tickets are left, per tenant.
        for (const name of TENANTS) expect(await store.tickets.count(name), name).toBe(liveBy[name]);

        // The expired tickets are gone from the store (not only hidden: read at t0, when they lived),
        // and the live ones are all there.
        await inParallel(tickets.slice(0, EXPIRED), 32, async (t) => {
          expect(await store.tickets.peek(t.tenant, t.id, t0)).toBeNull();
        });
        await inParallel(tickets.slice(EXPIRED), 32, async (t) => {
          expect(await store.tickets.peek(t.tenant, t.id, now)).toMatchObject({ usesLeft: t.usesLeft });
        });
      } finally {
        await store.close();
        await fresh.cleanup();
      }
    }, 90_000);
  });
}
