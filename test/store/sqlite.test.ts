import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { runStoreConformance } from './conformance.js';
import type { Job } from './sqlite-worker.js';

const dirs = new WeakMap<Store, string>();

runStoreConformance({
  name: 'sqlite',
  open: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketd-store-'));
    const store = new SqliteStore(join(dir, 'ticketd.db'));
    dirs.set(store, dir);
    return store;
  },
  destroy: async (store) => {
    await store.close();
    const dir = dirs.get(store);
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
});

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'sqlite-worker.ts');
const PROCESSES = 4;

/**
 * Starts one worker process per job, waits until each has opened the store
 * and printed `ready`, tells all of them to start at the same moment and
 * returns what each printed last.
 */
async function race(jobs: Job[]): Promise<unknown[]> {
  const workers = jobs.map((job) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(job)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.startsWith('ready\n')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`worker exited (${code}) before ready: ${err}`)));
    });
    const done = new Promise<unknown>((resolve, reject) => {
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`worker exited with ${code}: ${err}`));
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? ''));
      });
    });
    // Awaited below unless another worker failed first: never an unhandled rejection.
    done.catch(() => {});
    return { child, ready, done };
  });
  try {
    await Promise.all(workers.map((w) => w.ready));
    const go = Date.now() + 100;
    for (const w of workers) w.child.stdin.write(`go ${go}\n`);
    return await Promise.all(workers.map((w) => w.done));
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill();
  }
}

describe('sqlite: several processes on one file', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore | undefined;
  const now = Date.UTC(2026, 0, 1);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ticketd-race-'));
    file = join(dir, 'ticketd.db');
    store = undefined;
  });

  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const openMigrated = async (): Promise<SqliteStore> => {
    store = new SqliteStore(file);
    await store.migrate();
    return store;
  };

  it('processes starting together on a new file all open and migrate it', async () => {
    const results = await race(Array.from({ length: PROCESSES }, () => ({ mode: 'migrate', file }) as const));
    const s = new SqliteStore(file);
    store = s;
    const version = await s.schemaVersion();
    expect(version).toBeGreaterThan(0);
    expect(results).toEqual(Array.from({ length: PROCESSES }, () => ({ schemaVersion: version })));
  });

  it('a store opened on a file another process migrated works without migrate()', async () => {
    const other = new SqliteStore(file);
    await other.migrate();
    await other.close();
    const s = new SqliteStore(file);
    store = s;
    await s.putTenant({ name: 'a', settings: withDefaults({}), createdAt: now });
    const ticket = { tenant: 'a', id: randomBytes(32), usesLeft: 1, expiresAt: null, createdAt: now, payload: null };
    expect(await s.createTicket(ticket, 0, now)).toBe('created');
    expect(await s.useTicket('a', ticket.id, now)).toEqual({ usesLeft: 0, payload: null });
    expect(await s.countTickets('a')).toBe(0);
  });

  it('4 processes racing useTicket on a uses:5 ticket get exactly 5 uses in total (10 rounds)', async () => {
    const s = await openMigrated();
    await s.putTenant({ name: 'a', settings: withDefaults({}), createdAt: now });
    const ids = Array.from({ length: 10 }, () => randomBytes(32));
    for (const id of ids) {
      const ticket = { tenant: 'a', id, usesLeft: 5, expiresAt: now + 60_000, createdAt: now, payload: null };
      expect(await s.createTicket(ticket, 0, now)).toBe('created');
    }
    const hex = ids.map((id) => id.toString('hex'));
    const job = { mode: 'use', file, tenant: 'a', ids: hex, attempts: 50, roundMs: 40, now } as const;
    const results = (await race(Array.from({ length: PROCESSES }, () => job))) as (number | null)[][][];
    for (const [r, id] of ids.entries()) {
      const uses = results.flatMap((perProcess) => perProcess[r] ?? []);
      expect(uses.sort(), `round ${r}`).toEqual([0, 1, 2, 3, 4]);
      expect(await s.peekTicket('a', id, now)).toBeNull();
    }
    expect(await s.countTickets('a')).toBe(0);
  });

  it('4 processes racing createTicket against ticketMax 10 create exactly 10 in total', async () => {
    const s = await openMigrated();
    await s.putTenant({ name: 'a', settings: withDefaults({ ticketMax: 10 }), createdAt: now });
    const job = { mode: 'create', file, tenant: 'a', max: 10, attempts: 25, now } as const;
    const results = (await race(Array.from({ length: PROCESSES }, () => job))).flat();
    expect(results.filter((r) => r === 'created')).toHaveLength(10);
    expect(results.filter((r) => r === 'limit')).toHaveLength(PROCESSES * 25 - 10);
    expect(await s.countTickets('a')).toBe(10);
  });
});
