/**
 * The SQLite store: the conformance suites of every part of `Store` on a
 * file in a fresh temp directory, then what only this backend has: several
 * processes racing on one file (sqlite-worker.ts, sqlite-oz-worker.ts) and
 * the group commit of ticket writes.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { LATEST_VERSION } from '../../src/store/sqlite/migrations.js';
import type { TicketRecord } from '../../src/store/types.js';
import { freshTarget, runStoreConformance } from './conformance.js';
import { runOzStoreConformance } from './oz-conformance.js';
import { runProfileStoreConformance } from './profile-conformance.js';
import { profileRecord } from './records.js';
import type { Command } from './sqlite-oz-worker.js';
import type { Job, ProfileRaceResult } from './sqlite-worker.js';

const target = freshTarget('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-store-'));
  return {
    store: new SqliteStore(join(dir, 'ticketd.db')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

runStoreConformance(target);
runProfileStoreConformance(target);
runOzStoreConformance(target);

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'sqlite-worker.ts');
const OZ_WORKER = join(here, 'sqlite-oz-worker.ts');
const PROCESSES = 4;
const MINUTE = 60_000;

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

/** A worker process (sqlite-oz-worker.ts) that answers each command with one JSON line. */
class OzWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiting: (() => void) | undefined;
  private err = '';
  private exited: number | null | undefined;

  constructor(file: string, pairs: number) {
    this.child = spawn(process.execPath, ['--import', 'tsx', OZ_WORKER, file, String(pairs)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const parts = (partial + d).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.waiting?.();
    });
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.err += d;
    });
    this.child.on('exit', (code) => {
      this.exited = code;
      this.waiting?.();
    });
  }

  /** The next line the worker prints; rejects when it exits first. */
  async next(): Promise<string> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.exited !== undefined) throw new Error(`worker exited (${this.exited}): ${this.err}`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = undefined;
    }
  }

  async send<T>(command: Command): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    return JSON.parse(await this.next()) as T;
  }

  async exit(): Promise<void> {
    if (this.exited !== undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.write(`${JSON.stringify({ cmd: 'exit' })}\n`);
    await exited;
  }

  kill(): void {
    if (this.exited === undefined) this.child.kill();
  }
}

describe('sqlite: several processes on one file', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore | undefined;
  let ozWorkers: OzWorker[] = [];
  const now = Date.UTC(2026, 0, 1);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ticketd-race-'));
    file = join(dir, 'ticketd.db');
    store = undefined;
  });

  afterEach(async () => {
    for (const w of ozWorkers) w.kill();
    ozWorkers = [];
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
    await s.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: now });
    const ticket = { tenant: 'a', id: randomBytes(32), usesLeft: 1, expiresAt: null, createdAt: now, payload: null };
    expect(await s.tickets.create(ticket, 0, now)).toBe('created');
    expect(await s.tickets.use('a', ticket.id, now)).toEqual({ usesLeft: 0, payload: null });
    expect(await s.tickets.count('a')).toBe(0);
  });

  it('4 processes racing useTicket on a uses:5 ticket get exactly 5 uses in total (10 rounds)', async () => {
    const s = await openMigrated();
    await s.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: now });
    const ids = Array.from({ length: 10 }, () => randomBytes(32));
    for (const id of ids) {
      const ticket = { tenant: 'a', id, usesLeft: 5, expiresAt: now + 60_000, createdAt: now, payload: null };
      expect(await s.tickets.create(ticket, 0, now)).toBe('created');
    }
    const hex = ids.map((id) => id.toString('hex'));
    const job = { mode: 'use', file, tenant: 'a', ids: hex, attempts: 50, roundMs: 40, now } as const;
    const results = (await race(Array.from({ length: PROCESSES }, () => job))) as (number | null)[][][];
    for (const [r, id] of ids.entries()) {
      const uses = results.flatMap((perProcess) => perProcess[r] ?? []);
      expect(uses.sort(), `round ${r}`).toEqual([0, 1, 2, 3, 4]);
      expect(await s.tickets.peek('a', id, now)).toBeNull();
    }
    expect(await s.tickets.count('a')).toBe(0);
  });

  it('4 processes racing createTicket against ticketMax 10 create exactly 10 in total', async () => {
    const s = await openMigrated();
    await s.tenants.put({ name: 'a', settings: withDefaults({ ticketMax: 10 }), createdAt: now });
    const job = { mode: 'create', file, tenant: 'a', max: 10, attempts: 25, now } as const;
    const results = (await race(Array.from({ length: PROCESSES }, () => job))).flat();
    expect(results.filter((r) => r === 'created')).toHaveLength(10);
    expect(results.filter((r) => r === 'limit')).toHaveLength(PROCESSES * 25 - 10);
    expect(await s.tickets.count('a')).toBe(10);
  });

  it('race recordLoginFailure, createProfile and putMetaIfAbsent without losing or doubling anything', async () => {
    const s = await openMigrated();
    await s.tenants.put({ name: 'a', settings: withDefaults({}), createdAt: now });
    const profile = profileRecord('a', 'target', now);
    expect(await s.profiles.create(profile)).toBe('created');

    const n = 40;
    const jobs = ['one', 'two'].map(
      (label) => ({ mode: 'profile', file, profileId: profile.id, n, label, now }) as const,
    );
    const results = (await race(jobs)) as ProfileRaceResult[];

    // Every failure counted once: the counts returned across both processes are exactly 1..2n.
    const counts = results.flatMap((r) => r.failures);
    expect(counts.sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(Array.from({ length: 2 * n }, (_, i) => i + 1));
    expect(await s.profiles.get(profile.id)).toMatchObject({ failedLoginAttempts: 2 * n, lockedUntil: null });

    // Each username created by exactly one process.
    for (let i = 0; i < n; i++) {
      expect(results.map((r) => r.created[i]).sort()).toEqual(['created', 'exists']);
      const winner = results.findIndex((r) => r.created[i] === 'created');
      expect((await s.profiles.getByUsername('a', `user${i}`))?.attributes).toEqual({
        by: ['one', 'two'][winner],
      });
    }
    expect(await s.profiles.count('a')).toBe(n + 1);

    // One meta value won, and both processes got it.
    const meta = results[0]?.meta;
    expect(['one', 'two']).toContain(meta);
    expect(results.map((r) => r.meta)).toEqual([meta, meta]);
    expect(await s.meta.get('race')).toBe(meta);
  });

  it('racing useNonce on the same pairs: each pair is accepted exactly once per life; concurrent purges remove each once', async () => {
    const n = 300;
    // Both start on a new file and migrate it concurrently.
    ozWorkers = [new OzWorker(file, n), new OzWorker(file, n)];
    for (const w of ozWorkers) expect(await w.next()).toBe('ready');
    const s = new SqliteStore(file);
    store = s;
    expect(await s.schemaVersion()).toBe(LATEST_VERSION);

    /** Sends each worker its command, all to start at the same moment, and returns their results. */
    const phase = async <T>(command: (index: number, at: number) => Command): Promise<T[]> => {
      const at = Date.now() + 100;
      return Promise.all(ozWorkers.map((w, i) => w.send<T>(command(i, at))));
    };
    const acceptedOnce = (results: boolean[][]) => {
      for (let i = 0; i < n; i++) {
        expect(
          results.map((r) => r[i]),
          `pair ${i}`,
        ).toContain(true);
        expect(results.filter((r) => r[i]).length, `pair ${i}`).toBe(1);
      }
    };

    // A first life: every pair is new. The two walk the pairs from opposite ends.
    const first = await phase<boolean[]>((i, at) => ({
      cmd: 'use',
      at,
      now,
      expiresAt: now + MINUTE,
      reverse: i === 1,
    }));
    acceptedOnce(first);
    // Both processes won some: they ran at once and met. (Walking in one order, the one that
    // starts first stays a step ahead and may win every pair.)
    for (const r of first) expect(r.some((x) => x)).toBe(true);

    // At expiresAt every record is dead but not purged: one process revives each pair,
    // the two walking the pairs in one order, hitting each pair together.
    const second = await phase<boolean[]>((_, at) => ({
      cmd: 'use',
      at,
      now: now + MINUTE,
      expiresAt: now + 2 * MINUTE,
      reverse: false,
    }));
    acceptedOnce(second);

    // While the second life lasts, every use is refused everywhere.
    const replay = await phase<boolean[]>((_, at) => ({
      cmd: 'use',
      at,
      now: now + 2 * MINUTE - 1,
      expiresAt: now + 3 * MINUTE,
      reverse: false,
    }));
    for (const r of replay) expect(r.every((x) => !x)).toBe(true);

    // Purging from both processes at once removes each record once, in bounded batches.
    const purged = await phase<number[]>((_, at) => ({ cmd: 'purge', at, now: now + 2 * MINUTE, limit: 25 }));
    for (const batches of purged) for (const b of batches) expect(b).toBeLessThanOrEqual(25);
    expect(purged.flat().reduce((x, y) => x + y, 0)).toBe(n);
    expect(await s.nonces.purge(now + 2 * MINUTE, 1000)).toBe(0);
    expect(await s.nonces.use('app0', 'nonce-0', now + 2 * MINUTE, now + 3 * MINUTE)).toBe(true);
    expect(await s.nonces.use('app0', 'nonce-0', now + 2 * MINUTE, now + 3 * MINUTE)).toBe(false);

    for (const w of ozWorkers) await w.exit();
  });
});

/**
 * Ticket writes made in one event-loop turn are committed together (group
 * commit). These check that batching changes nothing a caller can see.
 */
describe('sqlite store: group commit', () => {
  const NOW = Date.UTC(2026, 0, 1);
  const id = (name: string) => createHash('sha256').update(name).digest();
  const ticket = (name: string, usesLeft: number | null = 1): TicketRecord => ({
    tenant: 'default',
    id: id(name),
    usesLeft,
    expiresAt: NOW + 60_000,
    createdAt: NOW,
    payload: Buffer.from(name),
  });

  let dir: string;
  let path: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ticketd-group-commit-'));
    path = join(dir, 'ticketd.db');
    store = new SqliteStore(path);
    await store.migrate();
    await store.tenants.put({ name: 'default', settings: withDefaults({}), createdAt: NOW });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the writes of one turn in the order they were made', async () => {
    const created = await Promise.all([ticket('a', 3), ticket('b')].map((t) => store.tickets.create(t, 0, NOW)));
    expect(created).toEqual(['created', 'created']);
    const uses = await Promise.all([1, 2, 3, 4, 5].map(() => store.tickets.use('default', id('a'), NOW)));
    expect(uses.map((u) => u?.usesLeft ?? 'none')).toEqual([2, 1, 0, 'none', 'none']);
    const mixed = await Promise.all([
      store.tickets.use('default', id('b'), NOW),
      store.tickets.delete('default', id('b'), NOW),
      store.tickets.create(ticket('c'), 0, NOW),
      store.tickets.delete('default', id('c'), NOW),
    ]);
    expect(mixed).toEqual([{ usesLeft: 0, payload: Buffer.from('b') }, null, 'created', { usesLeft: 1 }]);
    expect(await store.tickets.count('default')).toBe(0);
  });

  it('holds the ticket limit within one batch', async () => {
    await store.tenants.put({ name: 'default', settings: withDefaults({ ticketMax: 5 }), createdAt: NOW });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.tickets.create(ticket(`t${i}`), 5, NOW)),
    );
    expect(results.filter((r) => r === 'created')).toHaveLength(5);
    expect(results.slice(5)).toEqual(['limit', 'limit', 'limit']);
    expect(await store.tickets.count('default')).toBe(5);
  });

  it('rolls back a write that fails alone, and commits the rest of its batch', async () => {
    const results = await Promise.allSettled([
      store.tickets.create(ticket('x'), 0, NOW),
      store.tickets.create(ticket('x'), 0, NOW), // same id: the UNIQUE constraint refuses it
      store.tickets.create(ticket('y'), 0, NOW),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The refused create took no slot: the counter matches the rows.
    expect(await store.tickets.count('default')).toBe(2);
    expect(await store.tickets.peek('default', id('y'), NOW)).not.toBeNull();
  });

  it('lets a read see the writes made before it, even unawaited', async () => {
    const created = store.tickets.create(ticket('r'), 0, NOW);
    expect(await store.tickets.peek('default', id('r'), NOW)).toEqual({
      usesLeft: 1,
      expiresAt: NOW + 60_000,
      createdAt: NOW,
    });
    expect(await created).toBe('created');
  });

  it('hands checkpoints to a thread once it writes in earnest, and stops it on close', async () => {
    await store.close();
    store = new SqliteStore(path, { backgroundCheckpointAfterWrites: 50 });
    const createMany = async (prefix: string, n: number) => {
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => store.tickets.create(ticket(`${prefix}${i}`), 0, NOW)),
      );
      expect(new Set(results)).toEqual(new Set(['created']));
    };
    await createMany('warm', 40);
    expect(store.checkpointsInBackground).toBe(false);
    await createMany('past', 20);
    expect(store.checkpointsInBackground).toBe(true);
    // Far fewer WAL pages than the serving connection's backstop: only the thread copies them into the file.
    const before = statSync(path).size;
    for (let i = 0; i < 5; i++) await createMany(`more${i}-`, 200);
    const deadline = Date.now() + 5000;
    while (statSync(path).size <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(statSync(path).size).toBeGreaterThan(before);
    await store.close();
    expect(store.checkpointsInBackground).toBe(false);
    store = new SqliteStore(path);
    expect(await store.tickets.count('default')).toBe(1060);
  });

  it('commits queued writes on close', async () => {
    const created = store.tickets.create(ticket('late'), 0, NOW);
    await store.close();
    expect(await created).toBe('created');
    store = new SqliteStore(path);
    expect(await store.tickets.use('default', id('late'), NOW)).toEqual({ usesLeft: 0, payload: Buffer.from('late') });
  });
});
