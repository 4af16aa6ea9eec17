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
import { runProfileStoreConformance } from './profile-conformance.js';

const dirs = new WeakMap<Store, string>();

runProfileStoreConformance({
  name: 'sqlite',
  open: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketd-profile-store-'));
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

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'sqlite-profile-worker.ts');

interface WorkerResult {
  meta: string;
  failures: (number | null)[];
  created: ('created' | 'exists')[];
}

/** Starts the workers, waits until each printed `ready`, says `go` to all at once, returns their results. */
async function race(argLists: string[][], env: Record<string, string>): Promise<WorkerResult[]> {
  const workers = argLists.map((args) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
      env: { ...process.env, ...env },
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
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => (out.startsWith('ready\n') ? resolve() : undefined));
      child.on('exit', (code) => reject(new Error(`worker exited (${code}) before ready: ${err}`)));
    });
    const done = new Promise<WorkerResult>((resolve, reject) => {
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`worker exited with ${code}: ${err}`));
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as WorkerResult);
      });
    });
    return { child, ready, done };
  });
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.write('go\n');
    return await Promise.all(workers.map((w) => w.done));
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill();
  }
}

describe('sqlite profile store: two processes on one file', () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ticketd-profile-race-'));
  });

  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('race recordLoginFailure, createProfile and putMetaIfAbsent without losing or doubling anything', async () => {
    const file = join(dir, 'ticketd.db');
    const now = Date.UTC(2026, 0, 1);
    store = new SqliteStore(file);
    await store.migrate();
    await store.putTenant({ name: 'a', settings: withDefaults({}), createdAt: now });
    const target = {
      id: randomBytes(12).toString('hex'),
      tenant: 'a',
      username: 'target',
      email: 'target@example.com',
      passwordHash: null,
      enabled: true,
      verified: false,
      roles: [],
      attributes: {},
      createdOn: now,
      lastModified: now,
      failedLoginAttempts: 0,
      lastFailedLogin: null,
      lockedUntil: null,
    };
    expect(await store.createProfile(target)).toBe('created');

    const n = 40;
    const results = await race(
      ['one', 'two'].map((label) => [file, target.id, String(n), label]),
      { RACE_NOW: String(now) },
    );

    // Every failure counted once: the counts returned across both processes are exactly 1..2n.
    const counts = results.flatMap((r) => r.failures);
    expect(counts.sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(Array.from({ length: 2 * n }, (_, i) => i + 1));
    expect(await store.getProfile(target.id)).toMatchObject({ failedLoginAttempts: 2 * n, lockedUntil: null });

    // Each username created by exactly one process.
    for (let i = 0; i < n; i++) {
      expect(results.map((r) => r.created[i]).sort()).toEqual(['created', 'exists']);
      const winner = results.findIndex((r) => r.created[i] === 'created');
      expect((await store.getProfileByUsername('a', `user${i}`))?.attributes).toEqual({
        by: ['one', 'two'][winner],
      });
    }
    expect(await store.countProfiles('a')).toBe(n + 1);

    // One meta value won, and both processes got it.
    const meta = results[0]?.meta;
    expect(['one', 'two']).toContain(meta);
    expect(results.map((r) => r.meta)).toEqual([meta, meta]);
    expect(await store.getMeta('race')).toBe(meta);
  });
});
