import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Dialect } from '../sql/table.js';
import { StoreUnavailableError } from '../types.js';
import { Checkpointer } from './checkpointer.js';
import { openSqlite, type SqliteConnection } from './driver.js';

/** Writes a connection makes before it hands checkpoints to a thread of their own (see checkpointer.ts). */
const BACKGROUND_CHECKPOINT_AFTER_WRITES = 2000;
/** How often the checkpoint thread copies the WAL back into the database. */
const BACKGROUND_CHECKPOINT_INTERVAL_MS = 200;
/** WAL pages after which the serving connection checkpoints by itself, once the thread is there (SQLite's default is 1000). */
const BACKSTOP_CHECKPOINT_PAGES = 16_384;
/** The WAL file is cut back to this size after a checkpoint has emptied it. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

interface PendingWrite {
  step: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Thrown out of a group commit's transaction to roll it back when one of its steps failed. */
class StepFailed extends Error {}

/** How the shared tables (sql/tables.ts) travel in SQLite: booleans as 0/1, JSON as TEXT. */
export const dialect: Dialect = {
  placeholder: () => '?',
  select: (column) => column,
  toDb: (type, v) => (type === 'bool' ? (v ? 1 : 0) : type === 'json' ? JSON.stringify(v) : v),
  fromDb: (type, v) => (type === 'bool' ? v === 1 : type === 'json' ? JSON.parse(v as string) : v),
  asIs: ['text', 'int', 'bytes'],
};

export interface SqliteDbOptions {
  /** Writes before checkpoints move to their own thread (tests lower it). */
  backgroundCheckpointAfterWrites?: number;
}

/**
 * The handle every part of the SQLite store works on: one connection to a
 * file in WAL mode (or to memory), and its group commit. The driver
 * (driver.ts: better-sqlite3 or node:sqlite) is synchronous, so within one process every step runs to completion without
 * interleaving; across processes sharing the file, each write runs in a
 * `BEGIN IMMEDIATE` transaction, which SQLite serialises. Every write is
 * group-committed (see write()); a read runs at once, or with the queued
 * writes when there are some (see read()).
 */
export class SqliteDb {
  readonly db: SqliteConnection;
  private checkpointer: Checkpointer | undefined;
  private writesBeforeCheckpointer: number;

  constructor(
    private readonly path: string,
    options: SqliteDbOptions = {},
  ) {
    this.writesBeforeCheckpointer = options.backgroundCheckpointAfterWrites ?? BACKGROUND_CHECKPOINT_AFTER_WRITES;
    if (!this.inMemory) mkdirSync(dirname(path), { recursive: true });
    this.db = openSqlite(path);
    this.db.pragma('busy_timeout = 5000');
    this.enableWal();
    // NORMAL in WAL mode: a commit survives a crash of the process (kill -9);
    // only a power loss may drop the last transactions.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('cache_size = -16000');
    this.db.pragma('temp_store = MEMORY');
    this.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }

  get inMemory(): boolean {
    return this.path === ':memory:' || this.path === '';
  }

  /** Whether a thread of its own copies the WAL back into the file (see checkpointer.ts). */
  get checkpointsInBackground(): boolean {
    return this.checkpointer !== undefined;
  }

  /**
   * Statements prepared on first use, once migrations created their tables:
   * also when another process (or `ticketd migrate`) migrated the file and
   * this one never calls migrate().
   */
  prepared<T>(make: (db: SqliteConnection) => T): () => T {
    let value: T | undefined;
    return () => {
      value ??= make(this.db);
      return value;
    };
  }

  async close(): Promise<void> {
    this.commitPending();
    await this.checkpointer?.close();
    this.checkpointer = undefined;
    if (this.db.open) this.db.close();
  }

  // ---- group commit ----------------------------------------------------------

  /** Writes waiting for the next group commit. */
  private pending: PendingWrite[] = [];

  /**
   * Group commit. A commit costs far more than the statements it commits (it
   * appends every page they changed to the WAL), so writes of every kind
   * (tickets, sessions, Hawk nonces, ...) queue here and run together in
   * one IMMEDIATE transaction at the end of the event-loop turn that issued
   * them. Each write's promise settles only once
   * that transaction has committed (or failed), so an answer never goes out
   * before its write is durable. Every other call runs the queue first (see
   * run()), so calls still take effect in the order made. A step that needs
   * several statements to be atomic may run its own transaction: it nests as
   * a savepoint.
   */
  write<T>(step: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(this.commitPending);
      this.pending.push({ step, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private readonly commitPending = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.countWrites(batch.length);
    if (batch.length > 1) {
      const values: unknown[] = [];
      try {
        this.run(() => this.txn.batch(batch, values));
        for (let i = 0; i < batch.length; i++) (batch[i] as PendingWrite).resolve(values[i]);
        return;
      } catch (err) {
        if (!(err instanceof StepFailed)) {
          // BEGIN or COMMIT failed: none of the batch took effect.
          for (const p of batch) p.reject(err);
          return;
        }
        // A step failed and rolled the whole batch back: run each alone, so only that one fails.
      }
    }
    for (const p of batch) {
      let value: unknown;
      try {
        value = this.run(() => this.txn.one(p.step));
      } catch (err) {
        p.reject(err);
        continue;
      }
      p.resolve(value);
    }
  };

  /**
   * A read. With writes queued, it joins them, in order, in the next group
   * commit, so that it sees every write made before it (awaited or not);
   * otherwise it runs at once.
   */
  read<T>(step: () => T): Promise<T> {
    if (this.pending.length > 0) return this.write(step);
    try {
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(this.unavailable(err) ?? err);
    }
  }

  /**
   * Runs a synchronous step, turning "cannot reach the file" into
   * StoreUnavailableError. Writes still queued for a group commit run
   * first, so that every call sees the writes made before it.
   */
  run<T>(step: () => T): T {
    if (this.pending.length > 0) this.commitPending();
    try {
      return step();
    } catch (err) {
      throw this.unavailable(err) ?? err;
    }
  }

  private txnCache: ReturnType<SqliteDb['transactions']> | undefined;
  private get txn() {
    this.txnCache ??= this.transactions();
    return this.txnCache;
  }

  private transactions() {
    const db = this.db;
    return {
      /** One write in a transaction of its own. */
      one: (step: () => unknown) => db.immediate(step),
      /**
       * A group commit's writes in one transaction, without a savepoint each
       * (two more statements per write): a step that throws rolls back them
       * all, and commitPending() then runs each alone.
       */
      batch: (batch: PendingWrite[], values: unknown[]) =>
        db.immediate(() => {
          for (const p of batch) {
            try {
              values.push(p.step());
            } catch (err) {
              throw new StepFailed('a step of the group commit failed', { cause: err });
            }
          }
        }),
    };
  }

  /** Hands checkpoints to their own thread once this connection writes in earnest (file databases only). */
  private countWrites(n: number): void {
    if (this.writesBeforeCheckpointer <= 0) return;
    this.writesBeforeCheckpointer -= n;
    if (this.writesBeforeCheckpointer > 0 || this.inMemory) return;
    this.checkpointer = new Checkpointer(this.path, BACKGROUND_CHECKPOINT_INTERVAL_MS, this.db.driver);
    this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  }

  /**
   * Switches the file to WAL (a setting kept in the file). On a new file,
   * several processes starting together race for it and SQLite answers
   * SQLITE_BUSY at once, without waiting out busy_timeout (it would risk a
   * deadlock), so retry for as long as busy_timeout would have waited.
   */
  private enableWal(): void {
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        this.db.pragma('journal_mode = WAL');
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 + Math.random() * 20);
      }
    }
  }

  private unavailable(err: unknown): StoreUnavailableError | undefined {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR' || !this.db.open) {
      return new StoreUnavailableError(`sqlite: ${code || 'database closed'}`, { cause: err });
    }
    return undefined;
  }
}
