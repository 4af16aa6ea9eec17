import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { LATEST_VERSION } from '../../src/store/sqlite/migrations.js';
import type { Store } from '../../src/store/types.js';
import { runOzStoreConformance } from './oz-conformance.js';
import type { Command } from './sqlite-oz-worker.js';

const dirs = new WeakMap<Store, string>();

runOzStoreConformance({
  name: 'sqlite',
  open: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketd-oz-store-'));
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

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'sqlite-oz-worker.ts');
const MINUTE = 60_000;

/** A worker process (sqlite-oz-worker.ts) that answers each command with one JSON line. */
class Worker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiting: (() => void) | undefined;
  private err = '';
  private exited: number | null | undefined;

  constructor(file: string, pairs: number) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER, file, String(pairs)], {
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

describe('sqlite oz store: two processes on one file', () => {
  let dir: string;
  let store: SqliteStore | undefined;
  let workers: Worker[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ticketd-oz-race-'));
  });

  afterEach(async () => {
    for (const w of workers) w.kill();
    workers = [];
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('racing useNonce on the same pairs: each pair is accepted exactly once per life; concurrent purges remove each once', async () => {
    const file = join(dir, 'ticketd.db');
    const n = 300;
    const now = Date.UTC(2026, 0, 1);
    // Both start on a new file and migrate it concurrently.
    workers = [new Worker(file, n), new Worker(file, n)];
    for (const w of workers) expect(await w.next()).toBe('ready');
    store = new SqliteStore(file);
    expect(await store.schemaVersion()).toBe(LATEST_VERSION);

    /** Sends each worker its command, all to start at the same moment, and returns their results. */
    const phase = async <T>(command: (index: number, at: number) => Command): Promise<T[]> => {
      const at = Date.now() + 100;
      return Promise.all(workers.map((w, i) => w.send<T>(command(i, at))));
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
    expect(await store.purgeNonces(now + 2 * MINUTE, 1000)).toBe(0);
    expect(await store.useNonce('app0', 'nonce-0', now + 2 * MINUTE, now + 3 * MINUTE)).toBe(true);
    expect(await store.useNonce('app0', 'nonce-0', now + 2 * MINUTE, now + 3 * MINUTE)).toBe(false);

    for (const w of workers) await w.exit();
  });
});
